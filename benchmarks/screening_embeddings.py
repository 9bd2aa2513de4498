"""Do MiniLM sentence embeddings help alsreview's active-learning ranking? WSS@95 per variant.

    nice python benchmarks/screening_embeddings.py --asreview-cache DIR
        [--data DIR] [--seeds 1] [--only SET ...] [--workers 1] [--max-tokens 128]
        [--variants tfidf emb-svm stack:1 fuse:1 ...] [--out rows.json]

Embeddings come from `alsreview.screening.embeddings` (the packaged all-MiniLM-L6-v2, numpy
forward pass; `--embedder static` for the model2vec-style static distillation), computed
once per text and cached on disk; that one-off cost is printed per data set and is **not**
inside a simulation's seconds.  Each simulation replays a labelled set exactly as
`benchmarks/screening_vs_asreview.py` does (same priors from `choose_priors(labels, seed)`,
refit after every record, until the last included record), and is scored against
ASReview's order of the same priors read from `--asreview-cache` (saved by
`screening_vs_asreview.py --save-asreview DIR`).

Variants (no per-data-set tuning: one setting for every set):
  tfidf      the default `Ranker` (TF-IDF word 1-2-grams, weighted linear SVM)
  emb-svm    the same weighted linear SVM (C = 0.1) on the 384 embedding dimensions alone
  emb-lr     logistic regression (C = 1) with the same sample weights, embeddings alone
  stack:A    one SVM on [tfidf | A * embedding] (both blocks have unit-norm rows)
  fuse:B     two SVMs (tfidf; embedding), decision values z-scored over all records and
             added as z_tfidf + B * z_embedding
  emb-ridge  weighted ridge regression (targets +-1, lambda 1, same sample weights) on the
             embeddings alone, from per-class sums of x x^T kept up to date as records are
             labelled (a 385 x 385 solve per refit instead of an SVM fit)
  fridge:B   the tfidf SVM and emb-ridge, z-scored and added as in fuse:B
`--option name=value` passes keyword options to `Ranker` (e.g. neighbour_weight=0.5).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from alsreview.records.labelled import read_labelled_csv  # noqa: E402
from alsreview.screening.embeddings import zscore  # noqa: E402
from alsreview.screening.ranking import Ranker, record_text  # noqa: E402
from alsreview.screening.simulate import choose_priors, simulate  # noqa: E402
from screening_vs_asreview import DATA, parse_options, score  # noqa: E402


def _svm_scores(X: Any, rows: np.ndarray, target: np.ndarray, w: np.ndarray, C: float = 0.1):
    from sklearn import config_context
    from sklearn.svm import LinearSVC

    clf = LinearSVC(C=C, random_state=0)
    with config_context(assume_finite=True):
        clf.fit(X[rows], target, sample_weight=w)
    return np.asarray(X @ clf.coef_.ravel() + clf.intercept_[0]).ravel()


class EmbeddingRanker(Ranker):
    """`Ranker` with an embedding block: alone, stacked, or a second model's fused score."""

    def __init__(
        self,
        texts: list[str],
        *,
        query: str | None = None,
        emb: np.ndarray,
        variant: str,
        **options: Any,
    ) -> None:
        from scipy import sparse

        super().__init__(texts, query=query, **options)
        self.variant = variant
        self.E = np.asarray(emb, dtype=np.float64)
        kind, _, arg = variant.partition(":")
        self.kind, self.arg = kind, float(arg or 1.0)
        if kind == "stack":
            self.X = sparse.hstack([self.X, sparse.csr_matrix(self.arg * self.E)]).tocsr()
        self.name = f"{self.name}+minilm-{variant}"

    def scores(self, labelled, labels):  # type: ignore[no-untyped-def]
        idx = np.asarray(labelled, dtype=int)
        y = np.asarray(labels, dtype=int)
        if self.kind in ("tfidf", "stack") or not (len(idx) and len(set(y.tolist())) == 2):
            return super().scores(idx, y)
        rows, target, w = self.training_set(idx, y)
        if self.kind == "emb-svm":
            return _svm_scores(self.E, rows, target, w), "model"
        if self.kind == "emb-lr":
            from sklearn.linear_model import LogisticRegression

            clf = LogisticRegression(C=1.0, max_iter=200)
            clf.fit(self.E[rows], target, sample_weight=w)
            return self.E @ clf.coef_.ravel() + clf.intercept_[0], "model"
        if self.kind in ("fuse", "fridge"):
            s1, _ = super().scores(idx, y)
            if self.kind == "fuse":
                s2 = _svm_scores(self.E, rows, target, w)
            else:
                s2 = self.ridge_scores(idx, y)
            return zscore(s1) + self.arg * zscore(s2), "model"
        if self.kind == "emb-ridge":
            return self.ridge_scores(idx, y), "model"
        raise ValueError(f"unknown variant {self.variant}")

    def ridge_scores(self, idx: np.ndarray, y: np.ndarray) -> np.ndarray:
        from alsreview.screening.embeddings import RidgeScorer
        from alsreview.screening.ranking import POSITIVE_WEIGHT

        if not hasattr(self, "_ridge"):
            self._ridge = RidgeScorer(self.E, lam=1.0)
        return self._ridge.scores(idx, y, POSITIVE_WEIGHT)


def embeddings_for(texts: list[str], embedder: str, max_tokens: int) -> tuple[np.ndarray, float]:
    """(embeddings, CPU seconds spent computing them now; ~0 when cached)."""
    from alsreview.screening import embeddings as em

    cpu = time.process_time()
    if embedder == "static":
        from minilm_speed import StaticMiniLM

        e = StaticMiniLM(em.MiniLM(max_tokens)).encode(texts)
    else:
        e = em.embed_texts(texts, max_tokens=max_tokens)
    return e, time.process_time() - cpu


def run_one(
    path: str, seed: int, variant: str, embedder: str, max_tokens: int, options: dict[str, Any]
) -> dict[str, Any]:
    data = read_labelled_csv(path)
    texts = [record_text(r) for r in data.records]
    emb, emb_cpu = embeddings_for(texts, embedder, max_tokens)
    y = np.asarray(data.labels)
    priors = list(choose_priors(y, seed))

    def factory(t: list[str], query: str | None = None) -> Ranker:
        return EmbeddingRanker(t, query=query, emb=emb, variant=variant, **options)

    cpu = time.process_time()
    res = simulate(texts, data.labels, priors=priors, seed=seed, ranker_factory=factory)
    cpu = time.process_time() - cpu
    w, r10 = score(list(res.order), y)
    return {
        "set": Path(path).stem,
        "seed": seed,
        "variant": variant + "".join(f"+{k}={v}" for k, v in options.items()),
        "embedder": f"{embedder}-t{max_tokens}",
        "wss95": w,
        "recall_at_10": r10,
        "cpu_seconds": cpu,
        "seconds": res.seconds,
        "embedding_cpu_seconds": emb_cpu,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--asreview-cache", type=Path, required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--embedder", choices=["minilm", "static"], default="minilm")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--variants", nargs="+", default=["tfidf", "emb-svm", "stack:1", "fuse:1"])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--option", nargs="*", default=[], help="Ranker keyword options")
    args = ap.parse_args()
    options = parse_options(args.option)
    print(
        f"start {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average "
        f"{os.getloadavg()[0]:.1f}; {args.embedder}, max_tokens {args.max_tokens}; "
        f"variants {args.variants}",
        flush=True,
    )
    files = sorted(args.data.glob("*.csv"))
    if args.only:
        files = [f for f in files if f.stem in args.only]
    asr: dict[tuple[str, int], dict[str, float]] = {}
    for f in files:
        y = np.asarray(read_labelled_csv(f).labels)
        for seed in args.seeds:
            order = json.loads((args.asreview_cache / f"{f.stem}_{seed}.json").read_text())
            if order["order"][:2] != list(choose_priors(y, seed)):
                raise SystemExit(f"cached ASReview run of {f.stem} seed {seed}: other priors")
            w, r10 = score(order["order"], y)
            asr[(f.stem, seed)] = {
                "wss95": w,
                "recall_at_10": r10,
                "cpu_seconds": order.get("cpu_seconds", float("nan")),
            }
    jobs = [
        (f.stat().st_size, str(f), s, v) for f in files for s in args.seeds for v in args.variants
    ]
    jobs.sort(key=lambda j: -j[0])
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(args.workers) as ex:
        futs = {
            ex.submit(run_one, p, s, v, args.embedder, args.max_tokens, options): (p, s, v)
            for _, p, s, v in jobs
        }
        for fut in as_completed(futs):
            r = fut.result()
            r["asreview"] = asr[(r["set"], r["seed"])]
            rows.append(r)
            print(
                f"{dt.datetime.now(dt.UTC):%H:%M:%S} {r['set']:34s} seed {r['seed']} "
                f"{r['variant']:10s} WSS@95 {r['wss95']:6.3f} (ASReview "
                f"{r['asreview']['wss95']:6.3f})  recall@10% {r['recall_at_10']:5.3f} "
                f"({r['asreview']['recall_at_10']:5.3f})  CPU {r['cpu_seconds']:6.1f} s "
                f"(embedding now {r['embedding_cpu_seconds']:.1f} s)",
                flush=True,
            )
            if args.out:
                args.out.write_text(json.dumps(rows, indent=1))
    print()
    print(
        f"{'variant':12s} runs  WSS@95 (ASReview)  recall@10% (ASReview)  CPU s/sim  "
        "per-set WSS@95 minus ASReview (points)"
    )
    suffix = "".join(f"+{k}={v}" for k, v in options.items())
    for v in args.variants:
        v = v + suffix
        sel = sorted((r for r in rows if r["variant"] == v), key=lambda r: (r["set"], r["seed"]))
        m = {k: np.mean([r[k] for r in sel]) for k in ("wss95", "recall_at_10", "cpu_seconds")}
        a = {k: np.mean([r["asreview"][k] for r in sel]) for k in ("wss95", "recall_at_10")}
        per = {}
        for r in sel:
            per.setdefault(r["set"], []).append(100 * (r["wss95"] - r["asreview"]["wss95"]))
        deltas = " ".join(
            f"{s.replace('Cohen_2006_', '')[:8]} {np.mean(d):+.1f}" for s, d in per.items()
        )
        print(
            f"{v:12s} {len(sel):4d}  {m['wss95']:.3f} ({a['wss95']:.3f})      "
            f"{m['recall_at_10']:.3f} ({a['recall_at_10']:.3f})        "
            f"{m['cpu_seconds']:6.1f}     {deltas}"
        )


if __name__ == "__main__":
    main()
