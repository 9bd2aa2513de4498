"""The piecewise mixed model against lme4: cold and warm fits on both sides, whole processes.

    python benchmarks/trial_mixed_model.py [--patients 1000 10000] [--rounds 3]
                                           [--statsmodels-patients 1000]

One simulated cohort per size (seeded; 12 visits per patient), written to CSV.  For each
size, in alternating R / Python rounds:

- in-process, inside one process per side, after the libraries are loaded (untimed):
  cold = the first fit in that process, warm = the best of the next three fits; lme4 is
  timed with its defaults (which add a finite-difference gradient and Hessian check after
  the optimum, ``calc.derivs = TRUE``) and with ``calc.derivs = FALSE`` (the same work as
  alsreview, which checks no derivatives);
- whole process: wall and CPU time of ``Rscript`` (library(lme4), read.csv, one lmer) and of
  ``python`` (import alsreview.trial.mixed, pandas.read_csv, one fit).

Ratios are of medians over rounds; min and median are shown.  statsmodels' MixedLM is timed
once on --statsmodels-patients patients.  Also prints the largest relative difference of the
fixed effects from lme4.  Needs Rscript with lme4 and jsonlite.  Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from processes import run_process

MONTHS = np.array([-6, -4, -2, 0, 1, 2, 3, 4, 6, 8, 10, 12], float)

R_INPROCESS = r"""
suppressPackageStartupMessages({ library(lme4); library(jsonlite) })
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
d$month_post <- pmax(d$month, 0)
f <- alsfrs_r ~ month + month_post + (1 + month | patient_id)
el <- function(expr) unname(system.time(expr)["elapsed"])
cold <- el(m <- lmer(f, data = d, REML = TRUE))
warm <- min(sapply(1:3, function(i) el(lmer(f, data = d, REML = TRUE))))
ctl <- lmerControl(calc.derivs = FALSE)
warm_noderiv <- min(sapply(1:3, function(i) el(lmer(f, data = d, REML = TRUE, control = ctl))))
cat(toJSON(list(cold = cold, warm = warm, warm_noderiv = warm_noderiv, fixef = as.list(fixef(m)),
                lme4 = as.character(packageVersion("lme4"))), auto_unbox = TRUE, digits = NA))
"""

R_PROCESS = r"""
suppressPackageStartupMessages(library(lme4))
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
d$month_post <- pmax(d$month, 0)
m <- lmer(alsfrs_r ~ month + month_post + (1 + month | patient_id), data = d, REML = TRUE)
"""

PY_INPROCESS = r"""
import json, sys, time
import pandas as pd
from alsreview.trial.mixed import piecewise_lmm
d = pd.read_csv(sys.argv[1])
t0 = time.perf_counter(); res = piecewise_lmm(d); cold = time.perf_counter() - t0
warm = []
for _ in range(3):
    t0 = time.perf_counter(); piecewise_lmm(d); warm.append(time.perf_counter() - t0)
print(json.dumps({"cold": cold, "warm": min(warm), "fixef": dict(zip(res.names, res.coef))}))
"""

PY_PROCESS = r"""
import sys
import pandas as pd
from alsreview.trial.mixed import piecewise_lmm
piecewise_lmm(pd.read_csv(sys.argv[1]))
"""


def cohort(n: int, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    b0 = rng.normal(30, 5, n)
    b1 = rng.normal(-1.0, 0.5, n)
    t = np.tile(MONTHS, n)
    ids = np.repeat(np.arange(n), len(MONTHS))
    y = b0[ids] + b1[ids] * t + 0.4 * np.maximum(t, 0) + rng.normal(0, 1.5, len(t))
    return pd.DataFrame({"patient_id": ids, "month": t, "alsfrs_r": np.round(y, 3)})


def run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + sys) and stdout of one child process."""
    return run_process(cmd)[:3]


def mm(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, nargs="+", default=[1_000, 10_000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--statsmodels-patients", type=int, default=1_000)
    args = ap.parse_args()

    rows: list[str] = []
    diffs: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        scripts = {}
        for name, text in (
            ("r_in.R", R_INPROCESS),
            ("r_proc.R", R_PROCESS),
            ("py_in.py", PY_INPROCESS),
            ("py_proc.py", PY_PROCESS),
        ):
            scripts[name] = d / name
            scripts[name].write_text(text)
        for n in args.patients:
            csv = d / f"cohort{n}.csv"
            cohort(n).to_csv(csv, index=False)
            r_in, py_in, r_proc, py_proc = [], [], [], []
            for _ in range(args.rounds):
                r_in.append(json.loads(run(["Rscript", str(scripts["r_in.R"]), str(csv)])[2]))
                py_in.append(
                    json.loads(run([sys.executable, str(scripts["py_in.py"]), str(csv)])[2])
                )
                r_proc.append(run(["Rscript", str(scripts["r_proc.R"]), str(csv)])[:2])
                py_proc.append(run([sys.executable, str(scripts["py_proc.py"]), str(csv)])[:2])
            ref = r_in[0]["fixef"]
            ours = py_in[0]["fixef"]
            diffs[n] = max(abs(ours[k] - v) / abs(v) for k, v in ref.items())

            def ratio(r: list[float], p: list[float]) -> str:
                return f"{statistics.median(r) / statistics.median(p):.1f}x"

            def col(runs: list[dict], key: str) -> list[float]:
                return [x[key] for x in runs]

            pairs = [
                ("cold (first fit in the process)", col(r_in, "cold"), col(py_in, "cold")),
                ("warm, lme4 defaults (derivative check)", col(r_in, "warm"), col(py_in, "warm")),
                (
                    "warm, like for like (`calc.derivs = FALSE`)",
                    col(r_in, "warm_noderiv"),
                    col(py_in, "warm"),
                ),
                ("whole process, wall", [x[0] for x in r_proc], [x[0] for x in py_proc]),
                ("whole process, CPU user+sys", [x[1] for x in r_proc], [x[1] for x in py_proc]),
            ]
            for label, r, p in pairs:
                rows.append(f"| {n:,} | {label} | {mm(r)} | {mm(p)} | {ratio(r, p)} |")
            lme4_version = r_in[0]["lme4"]

    sm = ""
    if args.statsmodels_patients:
        import statsmodels.formula.api as smf

        from alsreview.trial.mixed import piecewise_lmm

        sub = cohort(args.statsmodels_patients).assign(
            month_post=lambda x: np.maximum(x["month"], 0)
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = smf.mixedlm(
                "alsfrs_r ~ month + month_post", sub, groups=sub["patient_id"], re_formula="~month"
            ).fit(reml=True)
        sm_time = time.perf_counter() - t0
        ours = piecewise_lmm(sub)
        rel = max(abs(fit.fe_params.iloc[i] - ours.coef[i]) / abs(ours.coef[i]) for i in range(3))
        sm = (
            f"statsmodels MixedLM (REML) on {args.statsmodels_patients:,} patients: "
            f"{sm_time:.2f} s in-process (one fit); fixed effects within {rel:.1e} of alsreview."
        )

    print(
        f"machine: {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"load average {os.getloadavg()[0]:.1f}; lme4 {lme4_version}; "
        f"Python {platform.python_version()}; seconds, min / median of {args.rounds} rounds"
    )
    print()
    print("| patients | timing | lme4 | alsreview | lme4 / alsreview (medians) |")
    print("|---:|---|---:|---:|---:|")
    print("\n".join(rows))
    print()
    print(
        "largest relative difference of the fixed effects from lme4: "
        + ", ".join(f"{n:,} patients {v:.1e}" for n, v in diffs.items())
    )
    if sm:
        print(sm)


if __name__ == "__main__":
    main()
