"""Per-patient slopes and paired tests against R (lm, t.test, wilcox.test).

Reference: benchmarks/lme4_reference.R -> tests/trial/data/lme4/slopes_reference.json.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from alsreview.trial.slopes import ls_slope, slope_analysis

DATA = Path(__file__).parent / "data" / "lme4"
REF = json.loads((DATA / "slopes_reference.json").read_text())


@pytest.fixture(scope="module", params=sorted(REF))
def case(request):
    ref = REF[request.param]
    visits = pd.read_csv(DATA / ref["file"], dtype={"patient_id": str})
    return ref, slope_analysis(visits)


def test_pre_slopes_match_lm(case):
    ref, res = case
    got = res.slopes.set_index("patient_id")["pre"]
    assert len(got) == len(ref["pre"])
    for pid, value in ref["pre"].items():
        assert got[pid] == pytest.approx(value, rel=1e-9, abs=1e-12)


def test_paired_tests_match_r(case):
    ref, res = case
    assert len(ref["tests"]) >= 6
    for r in ref["tests"].values():
        t = res.test(r["window"], r["group"])
        assert t.n == r["n"]
        assert t.mean_difference == pytest.approx(r["mean_difference"], rel=1e-9)
        assert t.t == pytest.approx(r["t"], rel=1e-9)
        assert t.p_t == pytest.approx(r["p_t"], rel=1e-7)
        assert t.wilcoxon_V == r["V"]
        assert t.p_wilcoxon == pytest.approx(r["p_wilcoxon"], rel=1e-7)


def test_progressors_are_steep_decliners(case):
    _, res = case
    s = res.slopes
    assert (s.loc[s.progressor, "pre"] < -1 / 3).all()
    assert (s.loc[~s.progressor, "pre"].dropna() >= -1 / 3).all()
    assert "paired t" in res.summary()


def test_ls_slope_by_hand():
    assert ls_slope([-6, -3, 0], [40, 38, 37]) == pytest.approx(-0.5)
    assert math.isnan(ls_slope([0], [30]))


def test_window_needs_a_visit_near_its_end():
    v = pd.DataFrame(
        {"patient_id": ["a"] * 5, "month": [-6, -3, 0, 3, 6], "alsfrs_r": [40, 37, 34, 33, 32]}
    )
    s = slope_analysis(v).slopes.iloc[0]
    assert s["pre"] == pytest.approx(-1.0)
    assert s["post_0_3"] == pytest.approx(-1 / 3)
    assert s["post_0_6"] == pytest.approx(-1 / 3)
    assert math.isnan(s["post_0_9"]) and math.isnan(s["post_0_12"])
