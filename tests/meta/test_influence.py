"""Leave-one-out and influence diagnostics beyond the shared reference files.

Numbers come from `data/bias_extra.json` (committed R script `data/bias_extra.R`, metafor
3.8-1): Knapp-Hartung leave-one-out and every column of ``influence()`` for a DL fit of
37 studies, and for a Knapp-Hartung meta-regression (BCG vaccine on absolute latitude),
including covariance ratios, DFBETAS and metafor's "influential" flag.  Self-contained
checks: leaving study i out equals fitting the other k - 1 studies; hat values sum to p.

Tolerances: rtol 1e-6 for DL (closed form); rtol 1e-5 for the REML meta-regression
(Fisher scoring stopped at metafor's threshold 1e-5).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from alsreview.errors import ValidationError
from alsreview.meta.influence import hatvalues, influence, leave1out
from alsreview.meta.rma import rma

EXTRA = json.loads((Path(__file__).parent / "data" / "bias_extra.json").read_text())

COLUMNS = ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "QE_del", "hat", "weight")


def _compare_influence(ref: dict, res, rtol: float) -> None:
    for col in COLUMNS:
        got = getattr(res, col)
        assert got == pytest.approx(np.asarray(ref[col], float), rel=rtol, abs=1e-12), col
    dfbs = np.asarray(ref["dfbs"], float).reshape(res.dfbs.shape)
    assert res.dfbs == pytest.approx(dfbs, rel=rtol, abs=1e-12)
    assert res.is_infl.tolist() == ref["inf"]


def test_influence_of_dl_fit():
    case = EXTRA["hackshaw1998"]
    res = influence(rma(case["yi"], case["vi"], method="DL"))
    _compare_influence(case["influence_DL"], res, 1e-6)


def test_influence_of_knha_meta_regression():
    case = EXTRA["bcg_ablat_knha"]
    fit = rma(case["yi"], case["vi"], mods=np.asarray(case["ablat"]), test="knha")
    res = influence(fit)
    _compare_influence(case["influence"], res, 1e-5)  # REML tau2, see module docstring
    assert res.dfbs.shape == (13, 2)


def test_leave1out_knha():
    case = EXTRA["hackshaw1998"]
    res = leave1out(rma(case["yi"], case["vi"], method="DL", test="knha"))
    ref = case["leave1out_DL_knha"]
    for key in ("estimate", "se", "pval", "ci_lb", "ci_ub", "tau2", "Q"):
        got = getattr(res, key)
        assert got == pytest.approx(np.asarray(ref[key], float), rel=1e-6, abs=1e-12), key


def test_leave1out_is_the_fit_without_the_study():
    yi = np.array([0.12, 0.45, -0.05, 0.30, 0.62, 0.21])
    vi = np.array([0.03, 0.05, 0.02, 0.04, 0.09, 0.03])
    res = leave1out(rma(yi, vi, method="REML"))
    for i in range(yi.size):
        keep = np.arange(yi.size) != i
        alone = rma(yi[keep], vi[keep], method="REML")
        # the same Fisher-scoring iterations, run as rows of rma_batch: equal up to the
        # order of floating-point sums
        assert res.estimate[i] == pytest.approx(alone.estimate, rel=1e-13, abs=1e-15)
        assert res.tau2[i] == pytest.approx(alone.tau2, rel=1e-10, abs=1e-15)


def test_hat_values_sum_to_number_of_coefficients():
    case = EXTRA["bcg_ablat_knha"]
    fit = rma(case["yi"], case["vi"], mods=np.asarray(case["ablat"]))
    assert hatvalues(fit).sum() == pytest.approx(2.0, rel=1e-12)


def test_leave1out_refuses_meta_regression():
    case = EXTRA["bcg_ablat_knha"]
    with pytest.raises(ValidationError, match="without moderators"):
        leave1out(rma(case["yi"], case["vi"], mods=np.asarray(case["ablat"])))


def test_summaries_list_every_study():
    case = EXTRA["hackshaw1998"]
    fit = rma(case["yi"], case["vi"], method="DL")
    assert len(leave1out(fit).summary().splitlines()) == 2 + 37
    assert len(influence(fit).summary().splitlines()) == 2 + 37
