"""alsreview.meta against R's metafor, side by side, on the same data in one run.

    python benchmarks/meta_vs_metafor.py [--reps 300] [--sims 2000] [--rounds 5]

Each task is done the same way on both sides and timed the same way; R and Python rounds
alternate (the machine is shared, its load changes), and min and median over rounds are
reported for each side, with the ratio of the medians.

1. single: one REML fit + predict() + Q-profile confint() on dat.bcg (k = 13), repeated
   --reps times inside one process on each side (R: system.time() around its loop after one
   untimed warm-up fit, as Python is warmed up), seconds per fit.
2. loop: --sims simulated meta-analyses of k = 20 (seed 2026: vi ~ U(0.01, 0.2),
   yi ~ N(0.3, vi + 0.05)), REML, fitted one by one in a loop on both sides (like for like),
   and alsreview's vectorised rma_batch against metafor's loop (different algorithms: the
   ratio says what a simulation study gains, not that one fit is that much faster).
3. process: the whole `alsreview meta FILE.csv` command (k = 20: fit, predict, confint,
   regtest, ranktest, trimfill, fsn, leave1out, influence) against an Rscript that loads
   metafor and does the same, as separate processes: wall time and CPU time (user + sys).
4. `alsreview meta` on k = 1,000 and 10,000 studies (whole process, wall and CPU time, peak
   memory): the command must stay linear (leave1out/influence are skipped above k = 2,000).

The script also reports the largest difference between the two sets of loop estimates, so a
fast wrong answer cannot pass.  Needs Rscript with metafor (r-cran-metafor).  Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from processes import run_process

ROOT = Path(__file__).resolve().parents[1]
BCG = ROOT.parent / "shared" / "reference" / "metafor" / "bcg.json"

R_SCRIPT = r"""
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
if (mode == "single") {
  single <- read.csv(args[2]); reps <- as.integer(args[3])
  r <- rma(single$yi, single$vi, method = "REML"); p <- predict(r); ci <- confint(r)  # warm-up
  t1 <- system.time(for (i in seq_len(reps)) {
    r <- rma(single$yi, single$vi, method = "REML"); p <- predict(r); ci <- confint(r)
  })[["elapsed"]]
  cat(sprintf("{\"seconds\": %.17g, \"version\": \"%s\"}\n", t1 / reps,
              as.character(packageVersion("metafor"))))
} else {
  Y <- as.matrix(read.csv(args[2], header = FALSE))
  V <- as.matrix(read.csv(args[3], header = FALSE))
  n <- nrow(Y); est <- rep(NA_real_, n); tau2 <- rep(NA_real_, n)
  t2 <- system.time(for (i in seq_len(n)) {
    r <- try(rma(Y[i, ], V[i, ], method = "REML"), silent = TRUE)
    if (!inherits(r, "try-error")) { est[i] <- r$b[1]; tau2[i] <- r$tau2 }
  })[["elapsed"]]
  cat(sprintf("{\"seconds\": %.17g}\n", t2))
  write.table(cbind(est, tau2), args[4], sep = ",", row.names = FALSE, col.names = FALSE)
}
"""

R_COMMAND = r"""
suppressMessages(library(metafor))
d <- read.csv(commandArgs(TRUE)[1])
r <- rma(yi, vi, data = d, method = "REML"); print(r); print(predict(r)); print(confint(r))
print(regtest(r)); print(ranktest(r)); print(trimfill(r)); print(fsn(yi, vi, data = d))
l <- leave1out(r); inf <- influence(r)
"""


def run_r(rscript: str, script: Path, *args: str) -> dict:
    proc = subprocess.run([rscript, str(script), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"Rscript failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_single(yi: np.ndarray, vi: np.ndarray, reps: int) -> float:
    """Seconds per REML fit + predict + confint, alsreview in-process."""
    from alsreview.meta import rma

    t0 = time.perf_counter()
    for _ in range(reps):
        res = rma(yi, vi, method="REML")
        res.predict()
        res.confint()
    return (time.perf_counter() - t0) / reps


def ensure_metafor() -> str:
    rscript = shutil.which("Rscript")
    ok = (
        rscript
        and subprocess.run([rscript, "-e", "library(metafor)"], capture_output=True).returncode == 0
    )
    if not ok:
        sys.exit("needs R with metafor: apt-get install r-base-core r-cran-metafor")
    return rscript  # type: ignore[return-value]


def write_csv(path: Path, yi: np.ndarray, vi: np.ndarray) -> None:
    rows = "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(yi, vi, strict=True))
    path.write_text("yi,vi\n" + rows)


def stats_row(values: list[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=300, help="repeats of the single fit")
    parser.add_argument("--sims", type=int, default=2000, help="simulated meta-analyses")
    parser.add_argument("--rounds", type=int, default=5, help="alternating R/Python rounds")
    parser.add_argument(
        "--process-only", action="store_true", help="only task 3 (whole processes, k = 20)"
    )
    args = parser.parse_args()
    if args.process_only:
        process_only(args.rounds)
        return

    from alsreview.meta import rma, rma_batch

    ref = json.loads(BCG.read_text())
    yi, vi = np.array(ref["yi"]), np.array(ref["vi"])
    rng = np.random.default_rng(2026)
    V = rng.uniform(0.01, 0.2, (args.sims, 20))
    Y = rng.normal(0.3, np.sqrt(V + 0.05))
    rscript = ensure_metafor()
    time_single(yi, vi, 50)  # warm-up, as R's is untimed too
    rma_batch(Y[:50], V[:50])
    python = [sys.executable, "-m", "alsreview", "meta"]
    env_path = os.environ.get("PYTHONPATH", "")

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_csv(d / "single.csv", yi, vi)
        np.savetxt(d / "Y.csv", Y, delimiter=",", fmt="%.17g")
        np.savetxt(d / "V.csv", V, delimiter=",", fmt="%.17g")
        script = d / "bench.R"
        script.write_text(R_SCRIPT)
        command_r = d / "command.R"
        command_r.write_text(R_COMMAND)
        sim = np.random.default_rng(1)  # a data set on which every metafor step converges
        v20 = sim.uniform(0.01, 0.2, 20)
        write_csv(d / "k20.csv", sim.normal(0.3, np.sqrt(v20 + 0.05)), v20)

        r_single, py_single, r_proc, py_proc = [], [], [], []
        for _ in range(args.rounds):
            out = run_r(rscript, script, "single", str(d / "single.csv"), str(args.reps))
            r_single.append(out["seconds"])
            py_single.append(time_single(yi, vi, args.reps))
            r_proc.append(run_process([rscript, str(command_r), str(d / "k20.csv")])[:2])
            py_proc.append(run_process([*python, str(d / "k20.csv")])[:2])
        version = out["version"]

        r_loop = run_r(rscript, script, "loop", str(d / "Y.csv"), str(d / "V.csv"),
                       str(d / "out.csv"))["seconds"]  # fmt: skip
        r_out = np.genfromtxt(d / "out.csv", delimiter=",", missing_values="NA")
        t0 = time.perf_counter()
        loop_est = np.array([rma(Y[i], V[i]).estimate for i in range(args.sims)])
        py_loop = time.perf_counter() - t0
        batch_times = []
        for _ in range(3):
            t0 = time.perf_counter()
            batch = rma_batch(Y, V, method="REML")
            batch_times.append(time.perf_counter() - t0)

        big = {}
        for k in (1000, 10_000):
            vk = sim.uniform(0.01, 0.2, k)
            write_csv(d / f"k{k}.csv", sim.normal(0.3, np.sqrt(vk + 0.05)), vk)
            wall, cpu_s, _, err = run_process(
                ["/usr/bin/time", "-f", "%M", *python, str(d / f"k{k}.csv")]
            )
            big[k] = (wall, cpu_s, err)

    ok = np.isfinite(r_out[:, 0])
    diff_est = float(np.max(np.abs(batch.estimate[ok] - r_out[ok, 0])))
    diff_loop = float(np.max(np.abs(loop_est[ok] - r_out[ok, 0])))
    diff_tau2 = float(np.max(np.abs(batch.tau2[ok] - r_out[ok, 1])))
    cpu = platform.processor() or platform.machine()
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs ({cpu}), load average {load:.1f}; "
          f"metafor {version}; numpy {np.__version__}; Python {platform.python_version()}; "
          f"PYTHONPATH={env_path}")  # fmt: skip
    print()
    print("| task | metafor (min / median) | alsreview (min / median) | speed-up (median) |")
    print("|---|---:|---:|---:|")
    rs, ps = stats_row(r_single), stats_row(py_single)
    print(
        f"| REML fit + predict + confint, dat.bcg (k = 13), per fit, in-process, warm "
        f"| {1e3 * rs[0]:.2f} / {1e3 * rs[1]:.2f} ms | {1e3 * ps[0]:.3f} / {1e3 * ps[1]:.3f} ms "
        f"| {rs[1] / ps[1]:.0f}x |"
    )
    print(
        f"| {args.sims:,} REML fits of k = 20, loop of `rma` on both sides "
        f"| {r_loop:.2f} s | {py_loop:.2f} s | {r_loop / py_loop:.0f}x |"
    )
    py_batch = statistics.median(batch_times)
    print(
        f"| {args.sims:,} REML fits of k = 20: metafor loop vs alsreview `rma_batch` "
        f"(vectorised, median of 3) | {r_loop:.2f} s | {py_batch:.3f} s "
        f"| {r_loop / py_batch:.0f}x |"
    )
    for label, idx in (("wall", 0), ("CPU user+sys", 1)):
        rp = stats_row([x[idx] for x in r_proc])
        pp = stats_row([x[idx] for x in py_proc])
        print(
            f"| whole process, k = 20 (`alsreview meta FILE.csv` vs `Rscript`), {label} "
            f"| {rp[0]:.2f} / {rp[1]:.2f} s | {pp[0]:.2f} / {pp[1]:.2f} s | {rp[1] / pp[1]:.1f}x |"
        )
    for k, (wall, cpu_s, err) in big.items():
        peak = int(err.strip().splitlines()[-1]) / 1024  # /usr/bin/time -f %M: KB
        print(f"| `alsreview meta` whole process, k = {k:,} | - | {wall:.2f} s wall, "
              f"{cpu_s:.2f} s CPU, {peak:.0f} MB peak | - |")  # fmt: skip
    print()
    print(
        f"metafor failed (Fisher scoring did not converge) on {int((~ok).sum())} of {args.sims} "
        f"simulated analyses; alsreview fitted those by bracketing ({int(batch.fallback.sum())} "
        f"rows).  On the others the largest differences from metafor were {diff_loop:.1e} "
        f"(rma loop, estimate), {diff_est:.1e} (rma_batch, estimate) and {diff_tau2:.1e} (tau2)."
    )


def process_only(rounds: int) -> None:
    """Task 3 alone: `alsreview meta` against Rscript on k = 20, alternating processes."""
    rscript = ensure_metafor()
    python = [sys.executable, "-m", "alsreview", "meta"]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "command.R").write_text(R_COMMAND)
        sim = np.random.default_rng(1)
        v20 = sim.uniform(0.01, 0.2, 20)
        write_csv(d / "k20.csv", sim.normal(0.3, np.sqrt(v20 + 0.05)), v20)
        r_proc, py_proc = [], []
        for _ in range(rounds):
            r_proc.append(run_process([rscript, str(d / "command.R"), str(d / "k20.csv")])[:2])
            py_proc.append(run_process([*python, str(d / "k20.csv")])[:2])
    print(f"load average {os.getloadavg()[0]:.1f}; {rounds} alternating rounds")
    for label, idx in (("wall", 0), ("CPU user+sys", 1)):
        rp = stats_row([x[idx] for x in r_proc])
        pp = stats_row([x[idx] for x in py_proc])
        ratios = sorted(r[idx] / p[idx] for r, p in zip(r_proc, py_proc, strict=True))
        print(
            f"| whole process, k = 20, {label} | {rp[0]:.2f} / {rp[1]:.2f} s "
            f"| {pp[0]:.2f} / {pp[1]:.2f} s | {rp[1] / pp[1]:.1f}x (per-round ratios "
            f"{', '.join(f'{x:.1f}' for x in ratios)}) |"
        )


if __name__ == "__main__":
    main()
