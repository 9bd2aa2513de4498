"""The piecewise mixed model against lme4 1.1-31 (REML) on cohorts simulated in R.

Reference values: benchmarks/lme4_reference.R -> tests/trial/data/lme4/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from alsreview.errors import ValidationError
from alsreview.trial.mixed import piecewise_lmm

DATA = Path(__file__).parent / "data" / "lme4"
REF = json.loads((DATA / "lme4_reference.json").read_text())
CASES = REF["cases"]


def test_reference_grid_complete():
    assert len(CASES) == 6
    assert any(c["singular"] for c in CASES.values())  # one boundary fit is covered
    for c in CASES.values():
        assert (DATA / c["file"]).exists()


@pytest.fixture(scope="module", params=sorted(CASES))
def fitted(request):
    case = CASES[request.param]
    data = pd.read_csv(DATA / case["file"], dtype={"patient_id": str})
    return case, piecewise_lmm(data)


def test_fixed_effects_match_lme4(fitted):
    # acceptance: within 1e-3 relative; the optimum is the same, so we hold 1e-5
    case, res = fitted
    assert res.n_obs == case["n_obs"]
    for name, value in case["fixef"].items():
        assert res[name] == pytest.approx(value, rel=1e-5, abs=1e-8)


def test_standard_errors_and_variances_match_lme4(fitted):
    # SEs and variance components sit on a flat likelihood ridge: 1e-4 relative
    case, res = fitted
    for i, value in enumerate(case["se"].values()):
        assert res.se[i] == pytest.approx(value, rel=1e-4)
    assert res.sigma2 == pytest.approx(case["sigma2"], rel=1e-4)
    assert res.G[0][0] == pytest.approx(case["G"][0][0], rel=1e-3)
    assert res.reml_criterion == pytest.approx(case["reml_criterion"], abs=1e-5)


def test_ci_and_floor_flag():
    data = pd.read_csv(DATA / CASES["n30_six_visits"]["file"], dtype={"patient_id": str})
    res = piecewise_lmm(data)
    lo, hi = res.slope_change_ci
    assert lo < res.slope_change < hi
    assert hi - res.slope_change == pytest.approx(1.959964 * res.se[2], rel=1e-6)
    expected = sorted(data.loc[data.alsfrs_r < 25, "patient_id"].unique())
    assert list(res.below_floor) == expected
    assert "month_post" in res.summary()


def test_needs_data_on_both_sides_of_treatment():
    d = pd.DataFrame(
        {"patient_id": ["a", "a", "b", "b"], "month": [1, 2, 1, 2], "alsfrs_r": [40, 39, 30, 28]}
    )
    with pytest.raises(ValidationError, match="before and after"):
        piecewise_lmm(d)
