"""Edges of the meta-analysis (issue 8, part 4): missing values dropped with a note as metafor
does, invalid values refused naming the study, numbers at the limits of double precision,
trim-and-fill on identical effects, a regression test on 100,000 studies without a k x k
matrix, and the GENQ confidence interval for tau^2.

References: metafor 3.8-1 run by hand on the same data (values quoted next to each test);
for the GENQ interval the closed form that holds when every vi is equal - the generalised Q
is then (v + tau^2)/v times a chi^2 with k - 1 df - computed with scipy.stats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alsreview.errors import ValidationError
from alsreview.meta.bias import ranktest, regtest, trimfill
from alsreview.meta.quadform import quadform_sf
from alsreview.meta.rma import rma


def test_missing_yi_or_vi_is_omitted_with_a_note() -> None:
    yi = [0.1, math.nan, 0.3, 0.25, 0.4]
    vi = [0.01, 0.02, 0.03, math.nan, 0.02]
    res = rma(yi, vi, method="DL")
    want = rma([0.1, 0.3, 0.4], [0.01, 0.03, 0.02], method="DL")
    assert res.k == 3 and res.omitted == (1, 3)
    assert res.estimate == want.estimate and res.tau2 == want.tau2
    assert "omitted" in res.notes[0] and "study 2" in res.notes[0] and "study 4" in res.notes[0]
    assert "note: 2 studies with missing values omitted" in res.summary()
    assert res.to_dict()["omitted"] == [2, 4]


def test_moderator_with_a_missing_value_drops_the_study_and_keeps_the_slope() -> None:
    # metafor: rma(yi, vi, mods = ~ x) with x[3] = NA fits 4 studies and one slope
    yi = [0.1, 0.2, 0.35, 0.3, 0.5]
    vi = [0.01, 0.02, 0.03, 0.02, 0.01]
    x = [1.0, 2.0, math.nan, 3.0, 4.0]
    res = rma(yi, vi, mods={"x": x}, method="DL")
    keep = [0, 1, 3, 4]
    want = rma(np.take(yi, keep), np.take(vi, keep), mods={"x": np.take(x, keep)}, method="DL")
    assert res.coef_names == ("intrcpt", "x") and res.k == 4 and res.omitted == (2,)
    np.testing.assert_array_equal(res.b, want.b)


@pytest.mark.parametrize(
    ("yi", "vi", "match"),
    [
        ([0.1, math.inf, 0.2], [0.01, 0.02, 0.03], "study 2: yi is inf"),
        ([0.1, 0.2, 0.2], [0.01, -0.02, 0.03], "study 2: sampling variance vi = -0.02"),
        ([1e300, -1e300, 0.5], [0.1, 0.2, 0.05], "study 1: yi = 1e\\+300 is too large"),
        ([0.1, 0.2, 0.5], [1e300, 1e-300, 0.05], "study 2: vi = 1e-300 is outside"),
    ],
)
def test_invalid_values_are_refused_naming_the_study(yi, vi, match) -> None:
    with pytest.raises(ValidationError, match=match):
        rma(yi, vi)


def test_labels_name_the_study_in_errors() -> None:
    with pytest.raises(ValidationError, match=r"study 2 \(Lee 2004\)"):
        rma([0.1, 0.2], [0.01, -1.0], slab=["Ahn 2001", "Lee 2004"])


def test_identical_effects_give_metafor_estimate_and_se() -> None:
    # metafor 3.8-1, rma(yi = rep(0.5, 5), vi = c(.1, .2, .05, .3, .12)): tau^2 = 0 (SE = 0.0749),
    # estimate 0.5000, se 0.1464, Q = 0; regtest z = 0, p = 1; ranktest tau NA
    vi = [0.1, 0.2, 0.05, 0.3, 0.12]
    res = rma([0.5] * 5, vi)
    assert res.tau2 == 0 and res.I2 == 0 and res.H2 == 1
    assert res.estimate == pytest.approx(0.5) and res.se[0] == pytest.approx(0.1464, abs=5e-5)
    assert res.se_tau2 == pytest.approx(0.0749, abs=5e-5)
    tf = trimfill(res)  # metafor's filled count depends on rounding noise; the fit must exist
    assert math.isfinite(tf.estimate) and math.isfinite(tf.se)
    assert regtest(res).pval == pytest.approx(1.0)
    assert math.isnan(ranktest(res).tau)


def test_regtest_on_100000_studies_needs_no_k_by_k_matrix() -> None:
    # a k x k float matrix would be 80 GB; the test only finishes if none is built
    rng = np.random.default_rng(8)
    k = 100_000
    vi = rng.uniform(0.01, 0.2, k)
    yi = rng.normal(0.2, np.sqrt(vi))
    res = regtest(rma(yi, vi, method="DL"))
    assert abs(res.zval) < 5  # no small-study effect was simulated


def test_quadform_tail_matches_chi_square_and_simulation() -> None:
    # equal weights: c * chi2_m exactly
    for m, c, q in ((1, 1.0, 2.0), (4, 2.5, 7.0), (12, 0.3, 2.0)):
        assert quadform_sf(q, np.full(m, c)) == pytest.approx(stats.chi2.sf(q / c, m), rel=1e-7)
    # unequal weights: against 400,000 simulated draws (binomial SE < 0.001)
    lam = np.array([3.0, 1.0, 0.5, 0.1])
    rng = np.random.default_rng(1)
    draws = (rng.standard_normal((400_000, 4)) ** 2) @ lam
    assert quadform_sf(5.0, lam) == pytest.approx(np.mean(draws > 5.0), abs=0.004)


def test_genq_confint_equals_closed_form_with_equal_variances() -> None:
    yi = np.array([0.12, 0.45, -0.2, 0.61, 0.3, 0.05, 0.9, 0.33])
    v, k = 0.04, yi.size
    res = rma(yi, np.full(k, v), method="GENQ")
    ci = res.confint()
    q = float(np.sum((yi - yi.mean()) ** 2) / v)
    lb = q * v / stats.chi2.ppf(0.975, k - 1) - v
    ub = q * v / stats.chi2.ppf(0.025, k - 1) - v
    assert ci.type == "GENQ"
    assert ci.tau2[1] == pytest.approx(max(lb, 0.0), abs=2e-4)  # uniroot tol eps^0.25
    assert ci.tau2[2] == pytest.approx(ub, abs=2e-4)
    # with equal variances the Q-profile interval of a DL fit is the same interval
    qp = rma(yi, np.full(k, v), method="DL").confint()
    assert ci.tau2[1:] == pytest.approx(qp.tau2[1:], abs=2e-4)


def test_confint_needs_more_studies_than_coefficients() -> None:
    with pytest.raises(ValidationError, match="more studies than coefficients"):
        rma([0.1], [0.01], method="DL").confint()
