"""rma beyond the shared reference files: subgroups, a two-moderator meta-regression with a
factor (z and Knapp-Hartung), predict with new moderator values, the convergence fallback on
data where metafor's Fisher scoring fails, the vectorised batch, and input errors.  metafor
values come from tests/meta/data/metafor_extra.json (tests/meta/data/make_reference.R)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from alsreview.errors import ValidationError
from alsreview.meta.batch import rma_batch
from alsreview.meta.rma import METHODS, rma
from alsreview.meta.subgroups import subgroups

from .reference import check, load, reference_files

DATA = Path(__file__).parent / "data"
EXTRA = json.loads((DATA / "metafor_extra.json").read_text())
RTOL_ITERATIVE = 1e-5  # REML tau2 by Fisher scoring to metafor's threshold 1e-5


def test_subgroups_match_metafor() -> None:
    ref = EXTRA["subgroups"]
    res = subgroups(ref["yi"], ref["vi"], ref["alloc"], method="REML")
    assert list(res.groups) == list(ref["groups"])
    for g, fit in res.fits.items():
        want = ref["groups"][g]
        assert fit.k == want["k"]
        for key, got in (
            ("estimate", fit.estimate),
            ("se", fit.se[0]),
            ("tau2", fit.tau2),
            ("QE", fit.QE),
        ):
            assert got == pytest.approx(want[key], rel=RTOL_ITERATIVE, abs=1e-12), (g, key)
    assert res.df == ref["df"]
    assert res.Q_between == pytest.approx(ref["Q_between"], rel=RTOL_ITERATIVE)
    assert res.pval == pytest.approx(ref["pval"], rel=RTOL_ITERATIVE)
    assert "Test for subgroup differences" in res.summary()


def test_subgroups_need_two_groups() -> None:
    with pytest.raises(ValidationError, match="two subgroups"):
        subgroups([0.1, 0.2], [0.01, 0.02], ["a", "a"])


@pytest.mark.parametrize("test", ["z", "knha"])
def test_metaregression_with_a_factor_matches_metafor(test: str) -> None:
    mr = EXTRA["metareg"]
    want = mr["fits"][test]
    yi, vi = EXTRA["subgroups"]["yi"], EXTRA["subgroups"]["vi"]
    res = rma(yi, vi, mods={"ablat": mr["ablat"], "alloc": mr["alloc"]}, test=test)
    assert res.coef_names == ("intrcpt", "ablat", "allocrandom", "allocsystematic")
    got = res.to_dict()
    for key in ("coef", "se", "pval", "ci_lb", "ci_ub"):
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL_ITERATIVE, err_msg=key)
    for key in ("QM", "QMp", "tau2", "se_tau2", "I2", "H2", "R2", "QE", "QEp"):
        assert got[key] == pytest.approx(want[key], rel=RTOL_ITERATIVE), key
    pred = res.predict(newmods=want["predict"]["newmods"]).to_dict()
    for key in ("pred", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
        np.testing.assert_allclose(pred[key], want["predict"][key], rtol=RTOL_ITERATIVE)


def test_fallback_where_metafor_fisher_scoring_fails() -> None:
    ref = EXTRA["nonconvergence"]
    assert "did not converge" in ref["default_message"]  # metafor gives up on these data
    data = np.loadtxt(DATA / "fisher_nonconvergence.csv", delimiter=",")
    res = rma(data[:, 0], data[:, 1], method="REML")
    assert not res.converged
    assert res.fallback == "bracketing"
    assert res.iterations == 101  # metafor's maxiter = 100 exceeded
    # the bracketed root is exact; metafor's reference used threshold 1e-13
    assert res.tau2 == pytest.approx(ref["tau2"], rel=1e-8)
    assert res.estimate == pytest.approx(ref["estimate"], rel=1e-8)
    assert res.se[0] == pytest.approx(ref["se"], rel=1e-8)
    assert res.se_tau2 == pytest.approx(ref["se_tau2"], rel=1e-8)
    assert "bracketing" in res.summary()


@pytest.mark.parametrize("method", ["REML", "ML", "EB"])
def test_forced_fallback_finds_the_exact_root(method: str) -> None:
    yi, vi = EXTRA["subgroups"]["yi"], EXTRA["subgroups"]["vi"]
    res = rma(yi, vi, method=method, control={"maxiter": 2})
    assert res.fallback == "bracketing"
    assert res.tau2 == pytest.approx(EXTRA["exact_tau2"][method], rel=1e-8)


def test_batch_matches_metafor_on_every_reference_file() -> None:
    """Each reference data set fitted inside a batch (three copies, one row perturbed)."""
    for name in reference_files():
        ref = load(name)
        if "fits" not in ref:
            continue
        y, v = np.asarray(ref["yi"], float), np.asarray(ref["vi"], float)
        Y = np.vstack([y, y[::-1] + 0.3, y])
        V = np.vstack([v, v[::-1], v])
        for fit in ref["fits"]:
            method, _, test = fit.partition("_")
            res = rma_batch(Y, V, method=method, test=test or "z")
            rtol = RTOL_ITERATIVE if method in {"ML", "REML", "EB", "PM", "PMM"} else 1e-6
            check(name, ("fits", fit), res.row(2), rtol=rtol, atol=1e-12)


def test_batch_agrees_with_single_fits_including_nonconvergent_rows() -> None:
    rng = np.random.default_rng(20)
    V = rng.uniform(0.01, 0.2, (400, 20))
    Y = rng.normal(0.3, np.sqrt(V + 0.05))
    nc = np.loadtxt(DATA / "fisher_nonconvergence.csv", delimiter=",")
    Y[7], V[7] = nc[:, 0], nc[:, 1]
    for method in ("REML", "ML", "EB", "DL", "SJ", "HE", "HS", "HSk", "EE"):
        res = rma_batch(Y, V, method=method)
        for i in (0, 7, 123, 399):
            single = rma(Y[i], V[i], method=method)
            assert res.tau2[i] == pytest.approx(single.tau2, rel=1e-10, abs=1e-14), (method, i)
            assert res.se[i] == pytest.approx(single.se[0], rel=1e-10), (method, i)
            assert res.fallback[i] == (single.fallback is not None)
    assert rma_batch(Y, V).fallback[7]


def test_batch_loops_for_root_finding_estimators() -> None:
    rng = np.random.default_rng(3)
    V = rng.uniform(0.01, 0.2, (3, 8))
    Y = rng.normal(0.0, np.sqrt(V + 0.1))
    res = rma_batch(Y, V, method="PM", test="knha")
    for i in range(3):
        assert res.tau2[i] == pytest.approx(rma(Y[i], V[i], method="PM").tau2, rel=1e-12)


def test_single_study() -> None:
    res = rma([0.4], [0.04])
    assert res.estimate == pytest.approx(0.4)
    assert res.se[0] == pytest.approx(0.2)
    assert res.tau2 == 0 and res.QE == 0 and res.QEp == 1


def test_equal_effects_weights_sum_to_100() -> None:
    res = rma([0.1, 0.3, 0.2], [0.01, 0.02, 0.04], method="FE")
    assert res.method == "EE"
    np.testing.assert_allclose(res.weights, 100 * np.array([4, 2, 1]) / 7)
    assert res.se_tau2 is None and res.to_dict()["se_tau2"] is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"yi": [0.1, 0.2], "vi": [0.01]}, "differ|has 2 values"),
        ({"yi": [0.1, 0.2], "vi": [0.01, -0.02]}, ">= 0"),
        ({"yi": [0.1, math.inf], "vi": [0.01, 0.02]}, "study 2"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "method": "XX"}, "unknown method"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "test": "t"}, "unknown test"),
        ({"yi": [0.1, 0.2, 0.3], "vi": [0.01] * 3, "mods": [[1, 2], [2, 4], [3, 6]]}, "rank"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "mods": [1, 2, 3]}, "3 values for 2"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "control": {"bogus": 1}}, "control"),
        ({"yi": [0.1, 0.2], "vi": [0.0, 0.02], "method": "DL"}, "positive"),
    ],
)
def test_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        rma(**kwargs)


def test_confint_refuses_what_it_cannot_do() -> None:
    yi, vi = EXTRA["subgroups"]["yi"], EXTRA["subgroups"]["vi"]
    with pytest.raises(ValidationError, match="equal-effects"):
        rma(yi, vi, method="EE").confint()


def test_every_method_has_a_summary() -> None:
    yi, vi = EXTRA["subgroups"]["yi"], EXTRA["subgroups"]["vi"]
    for method in METHODS:
        text = rma(yi, vi, method=method).summary()
        assert f"estimator: {method}" in text
        assert "intrcpt" in text
