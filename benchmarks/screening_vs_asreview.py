"""alsreview's screening model against ASReview LAB's default model, same priors and seeds.

    nice python benchmarks/screening_vs_asreview.py [--data DIR] [--seeds 1 2 3]
        [--workers 2] [--venv /tmp/asreview-venv] [--out results.json]
        [--save-asreview DIR] [--asreview-cache DIR] [--only SET ...]
        [--option name=value ...]

ASReview LAB (`asreview` from PyPI) is installed into its own virtual environment (not a
project dependency) on first use; `benchmarks/asreview_driver.py` runs one ASReview
simulation there with the default AI ("elas_u4") and the given prior rows.  For every
labelled set (`label_included`) in `../shared/data/screening/` and every seed, the priors
are one included and one excluded record chosen by `alsreview.screening.simulate.
choose_priors(labels, seed)`; both tools start from them and screen until the last
included record is found.  Both orders are scored by the same functions
(`alsreview.screening.simulate`): WSS@95, recall after 10 % screened, and seconds per
simulation, wall-clock and CPU (features + every refit + ranking; interpreter start-up
and imports excluded for both; ASReview's time includes reading the CSV).

Every simulation (one tool, one set, one seed) is a job; `--workers` processes (default
2, each at niceness `--nice` (10) at least, one BLAS/OpenMP thread each, for both tools)
take the jobs largest first.  On a shared machine wall-clock seconds depend on the load, so the CPU
seconds of each simulation are reported beside them (`time.process_time()` of the
simulating process: in-process for alsreview, inside the driver for ASReview).

`--asreview-cache DIR` reads ASReview orders saved earlier as DIR/<set>_<seed>.json (the
driver's output, e.g. by `--save-asreview DIR`) instead of running ASReview again, for a
fast development loop; the table then says so, and such a run is not a benchmark result.
`--option name=value` passes a keyword option to `alsreview.screening.ranking.Ranker`
(for measuring variants; the default model takes none).

The default model fuses sentence embeddings (`ranking.default_embeddings`): they are
computed once per record set before the jobs start (the CPU of that one-off step is
printed apart; about 0 when the disk cache under $XDG_CACHE_HOME/alsreview already holds
them) and read from the cache inside each alsreview job, outside its timed part.
"""

from __future__ import annotations

import os

# one BLAS/OpenMP thread per worker, for both tools (set before numpy is imported)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import ast  # noqa: E402
import datetime as dt  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from alsreview.records.labelled import read_labelled_csv  # noqa: E402
from alsreview.screening.simulate import choose_priors, recall_at, wss  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "screening"
DRIVER = Path(__file__).resolve().parent / "asreview_driver.py"


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "asreview"], check=True)
    return python


def _init_worker(niceness: int) -> None:
    """Run at niceness `niceness` at least (not more: under `nice`, adding would starve
    the workers against other niced jobs); import the models' libraries untimed."""
    os.nice(max(0, niceness - os.nice(0)))
    import sklearn.feature_extraction.text
    import sklearn.svm  # noqa: F401


def run_asreview(
    python: str, path: str, seed: int, priors: list[int], save: str | None
) -> dict[str, Any]:
    """One ASReview simulation in its own venv (a subprocess of this worker)."""
    out = subprocess.run(
        [python, str(DRIVER), path, str(seed), *map(str, priors)],
        check=False,
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),  # ASReview writes a synergy_cache.sqlite into its cwd
    )
    if out.returncode != 0:
        raise RuntimeError(f"ASReview driver failed on {path} seed {seed}: {out.stderr[-2000:]}")
    res = json.loads(out.stdout)
    if save:
        Path(save, f"{Path(path).stem}_{seed}.json").write_text(out.stdout)
    return res


def run_alsreview(path: str, seed: int, priors: list[int], options: dict) -> dict[str, Any]:
    """One alsreview simulation in this worker process (default model unless options)."""
    from alsreview.screening.ranking import Ranker, default_embeddings, record_text
    from alsreview.screening.simulate import simulate

    data = read_labelled_csv(path)
    texts = [record_text(r) for r in data.records]
    # the default model's sentence embeddings, if it uses them: computed once per record
    # set before the jobs start (see main), so here a read of the disk cache, untimed
    emb, _ = default_embeddings(texts)
    if emb is not None and "embeddings" not in options:
        options = {**options, "embeddings": emb}

    def factory(t: list[str], query: str | None = None) -> Ranker:
        return Ranker(t, query=query, **options)

    cpu0 = time.process_time()
    res = simulate(texts, data.labels, priors=priors, seed=seed, ranker_factory=factory)
    cpu = time.process_time() - cpu0
    code = hashlib.sha256(Path(sys.modules[Ranker.__module__].__file__ or "").read_bytes())
    return {
        "order": list(res.order),
        "seconds": res.seconds,
        "cpu_seconds": cpu,
        "ai": res.model,
        "code": code.hexdigest()[:12],  # the ranking.py that ran, to show it is one model
    }


def score(order: list[int], y: np.ndarray) -> tuple[float, float]:
    found = y[order].tolist()
    full = found + [0] * (len(y) - len(found))
    n = int(y.sum())
    return wss(full, n, 0.95), recall_at(full, n, 0.10)


def parse_options(items: list[str]) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            opts[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            opts[key] = value
    return opts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--venv", type=Path, default=Path("/tmp/asreview-venv"))
    ap.add_argument("--asreview-cache", type=Path, default=None)
    ap.add_argument("--save-asreview", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--only", nargs="*", default=None, help="set names (file stems)")
    ap.add_argument("--option", nargs="*", default=[], help="Ranker keyword options")
    args = ap.parse_args()
    options = parse_options(args.option)
    python = None if args.asreview_cache else str(ensure_venv(args.venv))
    if args.save_asreview:
        args.save_asreview.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    load0 = os.getloadavg()
    print(f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}")
    cpu = platform.machine()
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    print(f"start {started:%Y-%m-%d %H:%M} UTC; load average {load0[0]:.1f} {load0[1]:.1f} "
          f"{load0[2]:.1f}; {os.cpu_count()} cores ({cpu}); {args.workers} workers, "
          f"nice {args.nice}; Ranker options {options or 'none'}")  # fmt: skip

    files = sorted(args.data.glob("*.csv"))
    if args.only:
        files = [f for f in files if f.stem in args.only]
    labels: dict[str, np.ndarray] = {}
    jobs: list[tuple[int, str, str, int, list[int]]] = []  # (cost, tool, path, seed, priors)
    for path in files:
        y = np.asarray(read_labelled_csv(path).labels)
        labels[path.stem] = y
        for seed in args.seeds:
            priors = [int(i) for i in choose_priors(y, seed)]
            jobs.append((len(y), "alsreview", str(path), seed, priors))
            if not args.asreview_cache:
                jobs.append((3 * len(y), "asreview", str(path), seed, priors))
    # the default model's embeddings (if any), once per record set, timed apart: a one-off
    # per record set (a project computes them at import), not part of a simulation
    from alsreview.screening.ranking import default_embeddings, record_text

    embed_cpu: dict[str, float] = {}
    for path in files:
        texts = [record_text(r) for r in read_labelled_csv(path).records]
        cpu0 = time.process_time()
        emb, why = default_embeddings(texts)
        if emb is not None:
            embed_cpu[path.stem] = time.process_time() - cpu0
            took = embed_cpu[path.stem]
            print(f"embeddings {path.stem}: {len(texts)} records, {took:.1f} CPU s now "
                  "(about 0 if cached earlier)", flush=True)  # fmt: skip
        elif why and "does not use" not in why:
            print(f"warning: {why}", flush=True)
    # ASReview first, then alsreview, each largest first (the shortest makespan on few
    # workers); the alsreview model is imported by a worker at its first alsreview job
    jobs.sort(key=lambda j: (j[1] == "alsreview", -j[0]))

    results: dict[tuple[str, int, str], dict[str, Any]] = {}
    failures: list[str] = []
    if args.asreview_cache:
        for path in files:
            for seed in args.seeds:
                cached = args.asreview_cache / f"{path.stem}_{seed}.json"
                if cached.exists():
                    results[(path.stem, seed, "asreview")] = json.loads(cached.read_text())
                else:
                    failures.append(f"{path.stem} seed {seed}: no cached ASReview run")

    def save_rows() -> list[dict[str, Any]]:
        rows = []
        for path in files:
            y = labels[path.stem]
            for seed in args.seeds:
                a = results.get((path.stem, seed, "asreview"))
                o = results.get((path.stem, seed, "alsreview"))
                if a is None or o is None:
                    continue
                priors = [int(i) for i in choose_priors(y, seed)]
                row: dict[str, Any] = {"set": path.stem, "n": len(y), "included": int(y.sum())}
                row.update(seed=seed, priors=priors)
                for tool, r in (("asreview", a), ("alsreview", o)):
                    if r["order"][:2] != priors:
                        raise RuntimeError(f"{tool} did not start from the priors ({path.stem})")
                    w, r10 = score(r["order"], y)
                    row[tool] = {
                        "wss95": w,
                        "recall_at_10": r10,
                        "seconds": r["seconds"],
                        "cpu_seconds": r.get("cpu_seconds", float("nan")),
                        "model": r.get("ai", ""),
                        "version": r.get("asreview", ""),
                        "code": r.get("code", ""),
                    }
                rows.append(row)
        if args.out:
            args.out.write_text(json.dumps(rows, indent=1))
        return rows

    with ProcessPoolExecutor(args.workers, initializer=_init_worker, initargs=(args.nice,)) as ex:
        futures = {}
        for _, tool, path, seed, priors in jobs:
            if tool == "asreview":
                save = str(args.save_asreview) if args.save_asreview else None
                fut = ex.submit(run_asreview, python, path, seed, priors, save)
            else:
                fut = ex.submit(run_alsreview, path, seed, priors, options)
            futures[fut] = (tool, Path(path).stem, seed)
        for fut in as_completed(futures):
            tool, stem, seed = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # report and go on: one failure must not lose the run
                failures.append(f"{stem} seed {seed} {tool}: {exc}")
                print(f"FAILED {tool} {stem} seed {seed}: {exc}", flush=True)
                continue
            results[(stem, seed, tool)] = res
            w, r10 = score(res["order"], labels[stem])
            print(
                f"{dt.datetime.now(dt.UTC):%H:%M:%S} {tool:9s} {stem:34s} seed {seed}"
                f"  WSS@95 {w:6.3f}  recall@10% {r10:5.3f}  {res['seconds']:7.1f} s "
                f"(CPU {res.get('cpu_seconds', float('nan')):7.1f} s)  load "
                f"{os.getloadavg()[0]:.1f}",
                flush=True,
            )
            save_rows()

    rows = save_rows()
    load1 = os.getloadavg()
    print()
    print(f"{'set':34s} {'n':>5s} {'incl':>4s}  WSS@95 als / asr   recall@10% als / asr"
          "   s/sim als / asr   CPU s/sim als / asr")  # fmt: skip
    sets = sorted({r["set"] for r in rows})
    for s in [*sets, "MEAN"]:
        sel = rows if s == "MEAN" else [r for r in rows if r["set"] == s]
        if not sel:
            continue

        def m(tool: str, key: str, sel: list = sel) -> float:
            return float(np.mean([r[tool][key] for r in sel]))

        n = f"{len(sel)} runs" if s == "MEAN" else str(sel[0]["n"])
        inc = "" if s == "MEAN" else str(sel[0]["included"])
        print(
            f"{s:34s} {n:>5s} {inc:>4s}  {m('alsreview', 'wss95'):6.3f} / "
            f"{m('asreview', 'wss95'):6.3f}   {m('alsreview', 'recall_at_10'):6.3f} / "
            f"{m('asreview', 'recall_at_10'):6.3f}   {m('alsreview', 'seconds'):6.1f} / "
            f"{m('asreview', 'seconds'):6.1f}   {m('alsreview', 'cpu_seconds'):6.1f} / "
            f"{m('asreview', 'cpu_seconds'):6.1f}"
        )
    ended = dt.datetime.now(dt.UTC)
    print(f"end {ended:%Y-%m-%d %H:%M} UTC ({(ended - started).total_seconds() / 60:.0f} min); "
          f"load average {load1[0]:.1f} {load1[1]:.1f} {load1[2]:.1f}")  # fmt: skip
    models = sorted({(r["asreview"]["model"], r["asreview"]["version"]) for r in rows})
    ours = sorted({(r["alsreview"]["model"], r["alsreview"]["code"]) for r in rows})
    print(f"ASReview: {models}; alsreview (model, sha256 of ranking.py): {ours}")
    if embed_cpu:
        n_emb = sum(len(labels[k]) for k in embed_cpu)
        print(f"alsreview's embeddings, one-off per record set (not in the s/sim above): "
              f"{sum(embed_cpu.values()):.1f} CPU s for {n_emb} records")  # fmt: skip
    if args.asreview_cache:
        print(f"(ASReview orders and times read from {args.asreview_cache}: not one run)")
    if failures:
        print("MISSING: " + "; ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
