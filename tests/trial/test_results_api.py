"""The trial results in a notebook (issue 9: results on the shared mixin): ``repr`` is the
summary, ``summary_frame()`` the table a reader wants (a DataFrame), ``_repr_html_()`` renders
it, ``to_dict()`` is plain, JSON-ready Python.  Run on the bundled Syková et al. 2017 trial
(FVC, weakness, adverse events; it has too few visits per patient for slopes) and on a
simulated cohort (slopes, mixed model, survival)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from alsreview.trial import analyze_trial, describe, load_trial, power, simulate_cohort
from alsreview.trial.simulate import CohortSpec

EXAMPLE = Path(__file__).parents[2] / "src" / "alsreview" / "data" / "trial_example"


@pytest.fixture(scope="module")
def analysis():
    return analyze_trial(load_trial(EXAMPLE))


@pytest.fixture(scope="module")
def simulated():
    return analyze_trial(simulate_cohort(CohortSpec(n_patients=10), seed=2))


def notebook_view(res) -> pd.DataFrame:
    """What Jupyter shows of `res`, checked for the mixin's contract; returns the frame."""
    assert repr(res) == res.summary()
    frame = res.summary_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    html = res._repr_html_()
    assert html.startswith("<p><strong>") and "<table" in html
    assert html.count("<tr") == len(frame) + 1 + (frame.index.name is not None)
    json.dumps(res.to_dict())  # plain Python throughout (NaN allowed, as JSON's NaN)
    return frame


def test_slopes_frame_has_one_row_per_window_and_group(simulated):
    slopes = simulated.slopes
    frame = notebook_view(slopes)
    assert len(frame) == len(slopes.tests)
    six = frame[(frame["window"] == 6) & (frame["group"] == "all")].iloc[0]
    assert six["mean_difference"] == slopes.test(6).mean_difference
    out = slopes.to_dict()
    assert len(out["slopes"]) == len(slopes.slopes)  # the per-patient table as rows
    assert out["tests"][0] == slopes.tests[0].to_dict()
    notebook_view(slopes.tests[0])


def test_mixed_model_frame_is_the_fixed_effects(simulated):
    fit = simulated.mixed
    frame = notebook_view(fit)
    assert list(frame["term"]) == list(fit.names)
    assert frame.set_index("term").loc["month_post", "estimate"] == fit.slope_change
    out = fit.to_dict()
    assert out["coef"] == list(fit.coef) and out["G"] == [list(r) for r in fit.G]


def test_survival_frame_is_the_by_group_table(simulated):
    surv = simulated.survival
    assert notebook_view(surv) is surv.table
    assert set(surv.to_dict()) == {"groups", "logrank_chi2", "logrank_p"}  # its JSON layout


def test_stability_safety_and_demographics_frames_are_their_tables(analysis):
    for res, table in (
        (analysis.fvc, analysis.fvc.table),
        (analysis.weakness, analysis.weakness.table),
        (analysis.adverse_events, analysis.adverse_events.by_term),
        (analysis, analysis.demographics),
    ):
        assert notebook_view(res) is table
    rows = analysis.fvc.to_dict()["table"]
    assert [r["n_stable"] for r in rows] == list(analysis.fvc.table["n_stable"])
    # the analysis keeps its own JSON layout (alsreview trial analyze --json)
    assert analysis.to_dict()["n_enrolled"] == analysis.trial.n_enrolled


def test_describe_and_power_are_one_row_frames():
    d = describe([1.0, 2.0, 4.0])
    frame = notebook_view(d)
    assert frame.iloc[0].to_dict() == {"n": 3, "mean": d.mean, "sd": d.sd, "sem": d.sem}
    assert d.sd == pytest.approx(math.sqrt(7 / 3))  # sum of squares 14/3 over n - 1

    res = power(CohortSpec(n_patients=8), n_sim=2, seed=1)
    frame = notebook_view(res)
    assert frame.iloc[0]["power_paired"] == res.power_paired
    assert res.to_dict()["spec"]["n_patients"] == 8  # nested dataclass as a dict
