"""alsreview's screening model against ASReview LAB's default model, same priors and seeds.

    python benchmarks/screening_vs_asreview.py [--data DIR] [--seeds 1 2 3]
        [--venv /tmp/asreview-venv] [--asreview-cache DIR] [--out results.json]

ASReview LAB (`asreview` from PyPI) is installed into its own virtual environment (not a
project dependency) on first use; `benchmarks/asreview_driver.py` runs one ASReview
simulation there with the default AI ("elas_u4") and the given prior rows.  For every
labelled set (`label_included`) in `../shared/data/screening/` and every seed, the priors
are one included and one excluded record chosen by `alsreview.screening.simulate.
choose_priors(labels, seed)`; both tools start from them and screen until the last
included record is found.  Both orders are scored by the same functions
(`alsreview.screening.simulate`): WSS@95, recall after 10 % screened, and seconds per
simulation (features + every refit + ranking; interpreter start-up excluded).

`--asreview-cache DIR` reads ASReview orders saved earlier as DIR/<set>_<seed>.json (the
driver's output) instead of running ASReview again; the table then says so.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from alsreview.records.labelled import read_labelled_csv  # noqa: E402
from alsreview.screening.ranking import record_text  # noqa: E402
from alsreview.screening.simulate import (  # noqa: E402
    choose_priors,
    recall_at,
    simulate,
    wss,
)

DATA = ROOT.parent / "shared" / "data" / "screening"
DRIVER = Path(__file__).resolve().parent / "asreview_driver.py"


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "asreview"], check=True)
    return python


def run_asreview(python: Path, path: Path, seed: int, priors: tuple[int, int]) -> dict:
    out = subprocess.run(
        [str(python), str(DRIVER), str(path), str(seed), *map(str, priors)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def score(order: list[int], y: np.ndarray) -> tuple[float, float]:
    found = y[order].tolist()
    full = found + [0] * (len(y) - len(found))
    n = int(y.sum())
    return wss(full, n, 0.95), recall_at(full, n, 0.10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--venv", type=Path, default=Path("/tmp/asreview-venv"))
    ap.add_argument("--asreview-cache", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--only", nargs="*", default=None, help="set names (file stems)")
    args = ap.parse_args()
    python = None if args.asreview_cache else ensure_venv(args.venv)
    rows: list[dict] = []
    skipped: list[str] = []
    files = sorted(args.data.glob("*.csv"))
    if args.only:
        files = [f for f in files if f.stem in args.only]
    for path in files:
        data = read_labelled_csv(path)
        y = np.asarray(data.labels)
        texts = [record_text(r) for r in data.records]
        for seed in args.seeds:
            priors = choose_priors(y, seed)
            if args.asreview_cache:
                cached = args.asreview_cache / f"{path.stem}_{seed}.json"
                if not cached.exists():
                    print(f"{path.stem:38s} seed {seed}  skipped: no cached ASReview run")
                    skipped.append(f"{path.stem} seed {seed}")
                    continue
                asr = json.loads(cached.read_text())
            else:
                asr = run_asreview(python, path, seed, priors)
            assert asr["order"][:2] == list(priors), "ASReview did not start from the priors"
            t0 = time.perf_counter()
            ours = simulate(texts, y, priors=priors, seed=seed)
            wall = time.perf_counter() - t0
            a_wss, a_r10 = score(asr["order"], y)
            o_wss, o_r10 = score(list(ours.order), y)
            row = {
                "set": path.stem,
                "n": len(y),
                "included": int(y.sum()),
                "seed": seed,
                "priors": list(priors),
                "asreview": {"wss95": a_wss, "recall_at_10": a_r10, "seconds": asr["seconds"]},
                "alsreview": {"wss95": o_wss, "recall_at_10": o_r10, "seconds": wall},
            }
            rows.append(row)
            print(
                f"{path.stem:38s} seed {seed}  WSS@95 {o_wss:6.3f} vs {a_wss:6.3f}   "
                f"recall@10% {o_r10:5.3f} vs {a_r10:5.3f}   s {wall:6.1f} vs "
                f"{asr['seconds']:6.1f}",
                flush=True,
            )
    print()
    print(f"{'set':38s} {'n':>5s} {'incl':>4s}  WSS@95 als / asr   recall@10% als / asr"
          "   s/sim als / asr")  # fmt: skip
    sets = sorted({r["set"] for r in rows})
    for s in [*sets, "MEAN"]:
        sel = rows if s == "MEAN" else [r for r in rows if r["set"] == s]

        def m(tool: str, key: str, sel: list = sel) -> float:
            return float(np.mean([r[tool][key] for r in sel]))

        n = "" if s == "MEAN" else str(sel[0]["n"])
        inc = "" if s == "MEAN" else str(sel[0]["included"])
        print(
            f"{s:38s} {n:>5s} {inc:>4s}  {m('alsreview', 'wss95'):6.3f} / "
            f"{m('asreview', 'wss95'):6.3f}   {m('alsreview', 'recall_at_10'):6.3f} / "
            f"{m('asreview', 'recall_at_10'):6.3f}   {m('alsreview', 'seconds'):7.1f} / "
            f"{m('asreview', 'seconds'):7.1f}"
        )
    if args.asreview_cache:
        print(f"(ASReview orders and times read from {args.asreview_cache})")
    if skipped:
        print(f"(skipped, no cached ASReview run: {', '.join(skipped)})")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
