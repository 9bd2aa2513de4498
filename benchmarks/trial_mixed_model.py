"""Time the piecewise mixed model on 10,000 patients × 12 visits against lme4 (and statsmodels).

    python benchmarks/trial_mixed_model.py [--patients 10000] [--statsmodels-patients 1000]

Simulates one cohort (seeded), fits it with `alsreview.trial.mixed.piecewise_lmm`, with R's
lme4 (`lmer(..., REML = TRUE)`, timed inside R around the fit only) on the same CSV, and with
statsmodels' MixedLM on the first `--statsmodels-patients` patients (it is too slow for
10,000: see BENCHMARKS.md). Prints one table: seconds per fit and the largest relative
difference of the fixed effects from lme4. Needs Rscript with lme4 and jsonlite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from alsreview.trial.mixed import piecewise_lmm

MONTHS = np.array([-6, -4, -2, 0, 1, 2, 3, 4, 6, 8, 10, 12], float)

R_SCRIPT = r"""
suppressPackageStartupMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$month_post <- pmax(d$month, 0)
tm <- system.time(m <- lmer(alsfrs_r ~ month + month_post + (1 + month | patient_id),
                            data = d, REML = TRUE))
cat(toJSON(list(seconds = unname(tm["elapsed"]), fixef = as.list(fixef(m)),
                se = as.list(sqrt(diag(as.matrix(vcov(m))))),
                lme4 = as.character(packageVersion("lme4"))), auto_unbox = TRUE, digits = NA))
"""


def cohort(n: int, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    b0 = rng.normal(30, 5, n)
    b1 = rng.normal(-1.0, 0.5, n)
    t = np.tile(MONTHS, n)
    ids = np.repeat(np.arange(n), len(MONTHS))
    y = b0[ids] + b1[ids] * t + 0.4 * np.maximum(t, 0) + rng.normal(0, 1.5, len(t))
    return pd.DataFrame({"patient_id": ids, "month": t, "alsfrs_r": np.round(y, 3)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--statsmodels-patients", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=3, help="best of N for alsreview")
    args = ap.parse_args()

    data = cohort(args.patients)
    rows = []
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = piecewise_lmm(data)
        times.append(time.perf_counter() - t0)
    ours = dict(zip(res.names, res.coef, strict=True))
    rows.append(("alsreview piecewise_lmm (profiled REML)", args.patients, min(times), ours))

    lme4 = None
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "cohort.csv"
            script = Path(tmp) / "fit.R"
            data.to_csv(csv, index=False)
            script.write_text(R_SCRIPT)
            out = subprocess.run(
                ["Rscript", str(script), str(csv)], capture_output=True, text=True, check=True
            )
            lme4 = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(
            (f"lme4 {lme4['lme4']} lmer (REML)", args.patients, lme4["seconds"], lme4["fixef"])
        )

    if args.statsmodels_patients:
        import statsmodels.formula.api as smf

        sub = data[data["patient_id"] < args.statsmodels_patients].assign(
            month_post=lambda d: np.maximum(d["month"], 0)
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = smf.mixedlm(
                "alsfrs_r ~ month + month_post", sub, groups=sub["patient_id"], re_formula="~month"
            ).fit(reml=True)
        sm_time = time.perf_counter() - t0
        n_sm = args.statsmodels_patients
        sm_ours = piecewise_lmm(sub)
        diff = max(
            abs(fit.fe_params.iloc[i] - sm_ours.coef[i]) / abs(sm_ours.coef[i]) for i in range(3)
        )
        rows.append(
            (
                f"statsmodels MixedLM (REML) [diff vs alsreview, same {n_sm} patients]",
                args.statsmodels_patients,
                sm_time,
                {"_rel": diff},
            )
        )

    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    print(f"cohort: {args.patients} patients x {len(MONTHS)} visits = {len(data)} rows")
    print(f"{'fit':<72}{'patients':>9}{'seconds':>10}{'max rel diff':>14}")
    for name, n, sec, fe in rows:
        if "_rel" in fe:
            rel = fe["_rel"]
        elif lme4 is not None:
            rel = max(abs(fe[k] - v) / abs(v) for k, v in lme4["fixef"].items())
        else:
            rel = float("nan")
        print(f"{name:<72}{n:>9}{sec:>10.2f}{rel:>14.1e}")
    if lme4 is not None:
        print("alsreview vs lme4 fixed effects:")
        for k, v in lme4["fixef"].items():
            print(f"  {k:<12} alsreview {ours[k]:.8f}   lme4 {v:.8f}")


if __name__ == "__main__":
    main()
