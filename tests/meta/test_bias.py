"""Publication-bias tools beyond the shared reference files.

Numbers come from `data/bias_extra.json`, written by the committed R script
`data/bias_extra.R` (metafor 3.8-1 on metadat data sets that the shared reference files do
not use): Egger's test with ``model="lm"`` and ``predictor="vi"``, the rank test, trim and
fill with the R0 and Q0 estimators and a forced side, Orwin's and Rosenberg's fail-safe N,
and Egger's test on a Knapp-Hartung meta-regression.  Independent checks: the exact
Kendall p-value by enumerating every permutation, and the ``lm`` variant against
statsmodels' weighted least squares.

Tolerances: rtol 1e-6 for closed-form results; rtol 1e-5 where a REML tau2 (Fisher scoring
stopped at metafor's threshold 1e-5) enters.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from alsreview.errors import ValidationError
from alsreview.meta.bias import fsn, ranktest, regtest, trimfill
from alsreview.meta.rma import rma

EXTRA = json.loads((Path(__file__).parent / "data" / "bias_extra.json").read_text())
RTOL = 1e-6
RTOL_ITERATIVE = 1e-5  # REML tau2 by Fisher scoring, threshold 1e-5


def assert_matches(ref: dict, ours: dict, rtol: float, atol: float = 1e-12) -> None:
    for key, value in ref.items():
        if value is None:
            assert ours[key] is None, key
        elif isinstance(value, str):
            assert ours[key] == value, key
        else:
            assert ours[key] == pytest.approx(value, rel=rtol, abs=atol), key


@pytest.fixture(scope="module")
def hackshaw():
    case = EXTRA["hackshaw1998"]
    return case, np.asarray(case["yi"]), np.asarray(case["vi"])


def test_regtest_lm_and_vi_predictor(hackshaw):
    case, yi, vi = hackshaw
    fit = rma(yi, vi)
    lm = regtest(fit, model="lm")
    ref = case["regtest_lm"]
    assert lm.ddf == ref["ddf"]
    ours = {
        "zval": lm.zval,
        "pval": lm.pval,
        "limit_estimate": lm.limit_estimate,
        "ci_lb": lm.ci_lb,
        "ci_ub": lm.ci_ub,
    }
    assert_matches({k: v for k, v in ref.items() if k != "ddf"}, ours, RTOL)
    assert_matches(case["regtest_vi"], regtest(fit, predictor="vi").to_dict(), RTOL_ITERATIVE)


def test_regtest_lm_equals_statsmodels_wls(hackshaw):
    import statsmodels.api as sm

    _, yi, vi = hackshaw
    wls = sm.WLS(yi, sm.add_constant(np.sqrt(vi)), weights=1 / vi).fit()
    res = regtest(yi, vi, model="lm")
    assert res.zval == pytest.approx(wls.tvalues[1], rel=1e-10)
    assert res.pval == pytest.approx(wls.pvalues[1], rel=1e-8)
    assert res.limit_estimate == pytest.approx(wls.params[0], rel=1e-10)


def test_regtest_on_knha_meta_regression():
    case = EXTRA["bcg_ablat_knha"]
    fit = rma(case["yi"], case["vi"], mods=np.asarray(case["ablat"]), test="knha")
    res = regtest(fit)
    assert res.ddf == case["regtest"]["ddf"]
    assert res.limit_estimate is None  # no limit estimate once moderators are in the model
    assert_matches({k: case["regtest"][k] for k in ("zval", "pval")}, res.to_dict(), 1e-5)


def test_ranktest_hackshaw(hackshaw):
    case, yi, vi = hackshaw
    assert_matches(case["ranktest"], ranktest(yi, vi).to_dict(), RTOL)


def test_ranktest_exact_p_by_enumeration():
    """Exact two-sided p = share of all k! orderings with |tau| at least the observed one."""
    from scipy.stats import kendalltau

    yi = np.array([0.42, -0.10, 0.80, 0.15, 0.55, 0.31])
    vi = np.array([0.020, 0.090, 0.150, 0.040, 0.110, 0.030])
    res = ranktest(yi, vi)
    w = 1 / vi
    ystar = (yi - np.sum(w * yi) / np.sum(w)) / np.sqrt(vi - 1 / np.sum(w))
    observed = kendalltau(ystar, vi).statistic
    taus = np.array(
        [kendalltau(ystar, np.asarray(p)).statistic for p in itertools.permutations(vi)]
    )
    assert res.exact
    assert res.tau == pytest.approx(observed, rel=1e-12)
    assert res.pval == pytest.approx(np.mean(np.abs(taus) >= abs(observed) - 1e-12), rel=1e-9)


def test_ranktest_beyond_170_studies_is_nan_like_r():
    """R's exact Kendall p-value is NaN for n > 170 (n! overflows), so metafor reports NA."""
    rng = np.random.default_rng(3)
    vi = rng.uniform(0.01, 0.5, size=171)
    yi = rng.normal(0.2, np.sqrt(vi))
    res = ranktest(yi, vi)
    assert res.exact and math.isnan(res.pval) and 0 < res.pval_normal < 1
    assert "not computable" in res.summary()
    assert not math.isnan(ranktest(yi[:170], vi[:170]).pval)


def _tf_dict(res) -> dict:
    out = res.to_dict()
    out["p_k0"] = res.p_k0
    return out


@pytest.mark.parametrize(
    ("key", "method", "kwargs"),
    [
        ("trimfill_R0", "DL", {"estimator": "R0"}),
        ("trimfill_Q0", "DL", {"estimator": "Q0"}),
        ("trimfill_REML_right", "REML", {"side": "right"}),
    ],
)
def test_trimfill_estimators_and_forced_side(hackshaw, key, method, kwargs):
    case, yi, vi = hackshaw
    res = trimfill(rma(yi, vi, method=method), **kwargs)
    rtol = RTOL_ITERATIVE if method == "REML" else RTOL
    assert_matches(case[key], _tf_dict(res), rtol)


def test_trimfill_mirrors_the_most_extreme_studies(hackshaw):
    _, yi, vi = hackshaw
    res = trimfill(rma(yi, vi, method="DL"))
    assert res.side == "left" and res.k0 == int(res.fill.sum()) > 0
    # filled points mirror the k0 largest effects about the final trimmed estimate
    trimmed = np.sort(yi)[: yi.size - res.k0]
    vi_sorted = vi[np.argsort(yi, kind="stable")][: yi.size - res.k0]
    beta = rma(trimmed, vi_sorted, method="DL").estimate
    expected = 2 * beta - np.sort(yi)[yi.size - res.k0 :]
    assert np.sort(res.yi_fill) == pytest.approx(np.sort(expected), rel=1e-10)
    assert res.fit.k == yi.size + res.k0


def test_fsn_orwin_and_rosenberg(hackshaw):
    case, yi, vi = hackshaw
    orwin = fsn(yi, vi, type="Orwin")
    assert orwin.fsnum == case["fsn_orwin"]["fsnum"]
    assert orwin.meanes == pytest.approx(case["fsn_orwin"]["meanes"], rel=RTOL)
    assert orwin.target == pytest.approx(case["fsn_orwin"]["target"], rel=RTOL)
    rosenberg = fsn(yi, vi, type="Rosenberg")
    assert rosenberg.fsnum == case["fsn_rosenberg"]["fsnum"]
    assert rosenberg.pval == pytest.approx(case["fsn_rosenberg"]["pval"], rel=RTOL)


def test_fsn_rosenthal_by_hand():
    # four studies with z = 1: z_avg = 4/2 = 2, N = 4 (2/1.644854)^2 - 4 = 1.913 -> 2
    res = fsn([1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0])
    assert res.fsnum == 2
    assert res.pval == pytest.approx(0.5 * math.erfc(2 / math.sqrt(2)), rel=1e-12)


def test_bad_input_is_reported():
    with pytest.raises(ValidationError, match="predictor"):
        regtest([0.1, 0.2, 0.3], [0.1, 0.1, 0.2], predictor="ni")
    with pytest.raises(ValidationError, match="without moderators"):
        trimfill(rma([0.1, 0.4, 0.2, 0.5], [0.1, 0.2, 0.1, 0.3], mods=[1, 2, 3, 4]))
    with pytest.raises(ValidationError, match="yi has 3 values but vi has 2"):
        ranktest([0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(ValidationError, match="type"):
        fsn([0.1, 0.2], [0.1, 0.1], type="Fisher-exact")


def test_summaries_name_the_test(hackshaw):
    _, yi, vi = hackshaw
    fit = rma(yi, vi, method="DL")
    assert "funnel plot asymmetry" in regtest(fit).summary()
    assert "Kendall's tau" in ranktest(fit).summary()
    assert "missing" in trimfill(fit).summary()
    assert "Fail-safe N (Rosenthal)" in fsn(yi, vi).summary()
