"""alsreview.meta against R's metafor, side by side, on the same data in one run.

    python benchmarks/meta_vs_metafor.py [--reps 500] [--sims 10000]

1. One REML random-effects fit with predict() and Q-profile confint() on dat.bcg (log risk
   ratios, k = 13, from ../shared/reference/metafor/bcg.json), repeated --reps times in R
   and at least 1000 times in Python, in --rounds alternating rounds (the machine's load
   changes; the speed-up reported is the median of the per-round ratios).
2. --sims simulated meta-analyses of k = 20 (numpy seed 2026: vi ~ U(0.01, 0.2),
   yi ~ N(0.3, vi + 0.05)), REML; metafor fits them one by one (the usual loop, with
   try() because Fisher scoring fails on a few), alsreview fits them with rma_batch.

Both sides are timed in-process: R with system.time() around its loop inside one Rscript,
Python with time.perf_counter() around its loop (the batch: median of three calls) -
process start-up and data transfer are excluded on both sides.  The script also reports
the largest difference between the two sets of estimates, so a fast wrong answer cannot
pass.  R and metafor come from Debian
(r-base-core, r-cran-metafor); the script installs them with apt-get when missing and it
runs as root, otherwise it says what to install.  Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BCG = ROOT.parent / "shared" / "reference" / "metafor" / "bcg.json"

R_SCRIPT = r"""
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
if (mode == "single") {
  single <- read.csv(args[2]); reps <- as.integer(args[3])
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


def run_r(rscript: str, script: Path, *args: str) -> dict:
    proc = subprocess.run([rscript, str(script), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"Rscript failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_single(yi: np.ndarray, vi: np.ndarray, reps: int) -> float:
    """Seconds per REML fit + predict + confint, alsreview in-process."""
    from alsreview.meta.rma import rma

    t0 = time.perf_counter()
    for _ in range(reps):
        res = rma(yi, vi, method="REML")
        res.predict()
        res.confint()
    return (time.perf_counter() - t0) / reps


def ensure_metafor() -> str:
    """Path of Rscript with metafor loadable; installs the Debian packages if it can."""
    rscript = shutil.which("Rscript")
    ok = (
        rscript
        and subprocess.run([rscript, "-e", "library(metafor)"], capture_output=True).returncode == 0
    )
    if ok:
        return rscript  # type: ignore[return-value]
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("needs R with metafor: apt-get install r-base-core r-cran-metafor")
    print("installing r-base-core r-cran-metafor with apt-get ...", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "r-base-core", "r-cran-metafor"], check=True, env=env
    )
    return shutil.which("Rscript") or sys.exit("Rscript still missing after apt-get")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500, help="repeats of the single fit")
    parser.add_argument("--sims", type=int, default=10_000, help="simulated meta-analyses")
    parser.add_argument("--rounds", type=int, default=5, help="alternating R/Python rounds")
    args = parser.parse_args()

    from alsreview.meta.batch import rma_batch

    ref = json.loads(BCG.read_text())
    yi, vi = np.array(ref["yi"]), np.array(ref["vi"])
    rng = np.random.default_rng(2026)
    V = rng.uniform(0.01, 0.2, (args.sims, 20))
    Y = rng.normal(0.3, np.sqrt(V + 0.05))

    rscript = ensure_metafor()
    time_single(yi, vi, 50)  # warm-up (imports, caches), as library(metafor) is untimed too
    rma_batch(Y[:50], V[:50])
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        rows = "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(yi, vi, strict=True))
        (d / "single.csv").write_text("yi,vi\n" + rows)
        np.savetxt(d / "Y.csv", Y, delimiter=",", fmt="%.17g")
        np.savetxt(d / "V.csv", V, delimiter=",", fmt="%.17g")
        script = d / "bench.R"
        script.write_text(R_SCRIPT)
        # single fit: alternate R and Python rounds so both see the same machine load
        r_single, py_single_rounds = [], []
        for _ in range(args.rounds):
            out = run_r(rscript, script, "single", str(d / "single.csv"), str(args.reps))
            r_single.append(out["seconds"])
            py_single_rounds.append(time_single(yi, vi, max(args.reps, 1000)))
        version = out["version"]
        r_batch = run_r(rscript, script, "batch", str(d / "Y.csv"), str(d / "V.csv"),
                        str(d / "out.csv"))["seconds"]  # fmt: skip
        r_out = np.genfromtxt(d / "out.csv", delimiter=",", missing_values="NA")
    batch_times = []
    for _ in range(3):  # median of three runs (the first pays for page faults on new arrays)
        t0 = time.perf_counter()
        batch = rma_batch(Y, V, method="REML")
        batch_times.append(time.perf_counter() - t0)
    py_batch = sorted(batch_times)[1]
    ratios = sorted(r / p for r, p in zip(r_single, py_single_rounds, strict=True))
    r_med = sorted(r_single)[len(r_single) // 2]
    py_med = sorted(py_single_rounds)[len(py_single_rounds) // 2]
    single_ratio = ratios[len(ratios) // 2]
    r_times = {"version": version, "single": r_med, "batch": r_batch}
    py_single = py_med

    ok = np.isfinite(r_out[:, 0])
    diff_est = float(np.max(np.abs(batch.estimate[ok] - r_out[ok, 0])))
    diff_tau2 = float(np.max(np.abs(batch.tau2[ok] - r_out[ok, 1])))
    cpu = platform.processor() or platform.machine()
    print(f"machine: {os.cpu_count()} CPUs ({cpu}); metafor {r_times['version']}; "
          f"numpy {np.__version__}; Python {platform.python_version()}")  # fmt: skip
    print()
    print("| task | metafor | alsreview | speed-up |")
    print("|---|---:|---:|---:|")
    print(
        f"| REML fit + predict + confint, dat.bcg (k = 13), per fit "
        f"| {1e3 * r_times['single']:.2f} ms | {1e3 * py_single:.3f} ms "
        f"| {single_ratio:.0f}x (rounds: {', '.join(f'{x:.0f}' for x in ratios)}) |"
    )
    print(
        f"| {args.sims:,} REML meta-analyses of k = 20 (total) "
        f"| {r_times['batch']:.2f} s | {py_batch:.3f} s | {r_times['batch'] / py_batch:.0f}x |"
    )
    print()
    print(
        f"metafor failed (Fisher scoring did not converge) on {int((~ok).sum())} of "
        f"{args.sims} simulated analyses; alsreview fitted those by bracketing "
        f"({int(batch.fallback.sum())} rows).  On the others the largest differences "
        f"were {diff_est:.1e} (estimate) and {diff_tau2:.1e} (tau2)."
    )


if __name__ == "__main__":
    main()
