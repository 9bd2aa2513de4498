"""Re-ranking speed: one refit + scoring of 10,000 records after a new decision.

    python benchmarks/screening_rerank.py [--n 10000] [--labelled 200 2000 5000] [--reps 5]

Records are the real titles and abstracts of ../shared/data/screening/*.csv (8,828 in all;
repeated to reach --n).  Features are built once (`Ranker(texts)`, timed separately, as
`alsreview screen` and the web server cache them); each re-rank is `Ranker.scores` with
the given number of labelled records (10 % of them included) followed by ordering the
unlabelled ones, i.e. what `next_record` does after each decision.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from alsreview.records.labelled import read_labelled_csv  # noqa: E402
from alsreview.screening.ranking import Ranker, rank, record_text  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "screening"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--labelled", type=int, nargs="+", default=[200, 2000, 5000])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    texts: list[str] = []
    for f in sorted(DATA.glob("*.csv")):
        texts += [record_text(r) for r in read_labelled_csv(f).records]
    base = list(texts)
    while len(texts) < args.n:
        texts += base[: args.n - len(texts)]
    texts = texts[: args.n]
    t0, c0 = time.perf_counter(), time.process_time()
    ranker = Ranker(texts)
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{args.n} records, features {ranker.X.shape[1]}: built in {build:.2f} s "
          f"(CPU {build_cpu:.2f} s; once)")  # fmt: skip
    rng = np.random.default_rng(1)
    keys = list(range(args.n))
    for m in args.labelled:
        idx = rng.choice(args.n, m, replace=False)
        labels = {int(i): int(k < max(2, m // 10)) for k, i in enumerate(idx)}
        times, cpu = [], []
        for _ in range(args.reps):
            t, c = time.perf_counter(), time.process_time()
            rank(ranker, keys, labels)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        print(
            f"  {m:5d} labelled: re-rank median {np.median(times):.3f} s, "
            f"max {max(times):.3f} s; CPU median {np.median(cpu):.3f} s, max {max(cpu):.3f} s "
            f"({args.reps} runs, load average {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
