"""The bundled 002_* example reproduces the seed paper's published numbers (Tables 2-4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alsreview.trial.describe import describe
from alsreview.trial.ipd import load_trial
from alsreview.trial.safety import adverse_event_table
from alsreview.trial.stability import fvc_stability, weakness_stability

EXAMPLE = Path(__file__).parents[2] / "src" / "alsreview" / "data" / "trial_example"


@pytest.fixture(scope="module")
def trial():
    return load_trial(EXAMPLE)


def test_enrolment(trial):
    assert trial.n_enrolled == 26
    assert len(trial.efficacy_ids) == 23
    assert set(trial.patients.loc[~trial.patients.in_efficacy_analysis, "patient_id"]) == {
        "10",
        "12",
        "21",
    }


# Table 2, bottom row: mean ± SEM over the 26 enrolled patients, printed to one decimal.
@pytest.mark.parametrize(
    ("values", "mean", "sem"),
    [
        (lambda t: t.patients["age"], 51.2, 1.7),
        (lambda t: t.patients["disease_duration_months"], 38.1, 4.2),
        (lambda t: t.visits.loc[t.visits.month == 0, "alsfrs_r"], 29.5, 1.0),
        (lambda t: t.visits.loc[t.visits.visit == "III", "fvc_percent"], 88.8, 2.3),
    ],
    ids=["age", "disease_duration", "alsfrs_day0", "fvc"],
)
def test_table2_mean_sem(trial, values, mean, sem):
    d = describe(values(trial))
    assert d.n == 26
    assert round(d.mean, 1) == mean
    assert round(d.sem, 1) == sem
    assert d.mean_sem() == f"{mean:.1f} ± {sem:.1f}"


# Table 4's bottom row is labelled "Mean ± SEM" but its spreads are SDs over the measured
# patients (SEMs would be 2-6); printed as whole numbers.
@pytest.mark.parametrize(
    ("visit", "mean", "sd", "n"),
    [
        ("III", 89, 11, 23),
        ("VIII", 84, 16, 22),
        ("IX", 82, 14, 22),
        ("X", 79, 17, 19),
        ("XI", 75, 17, 19),
        ("XII", 73, 20, 11),
    ],
)
def test_table4_fvc_mean_sd(trial, visit, mean, sd, n):
    v = trial.efficacy_visits()
    d = describe(v.loc[v.visit == visit, "fvc_percent"])
    assert (d.n, round(d.mean), round(d.sd)) == (n, mean, sd)
    assert round(d.sem) != sd


def test_fvc_stable_or_above_70_at_9_and_12_months(trial):
    """Results: "about 80%" at 9 months and "about 60%" at 12 months (Table 4)."""
    res = fvc_stability(trial.efficacy_visits())
    t = res.table.set_index("month")
    assert (t.loc[9, "n_stable"], t.loc[9, "n"]) == (15, 19)  # 79%
    assert (t.loc[12, "n_stable"], t.loc[12, "n"]) == (12, 19)  # 63%
    assert res.proportion_at(9) == pytest.approx(0.80, abs=0.025)
    assert res.proportion_at(12) == pytest.approx(0.60, abs=0.05)
    # the 70% rule alone gives the same reading (11/19 = 58% at 12 months)
    only70 = fvc_stability(trial.efficacy_visits(), stable_decline=None).table.set_index("month")
    assert (only70.loc[9, "n_stable"], only70.loc[12, "n_stable"]) == (15, 11)


def test_weakness_table5(trial):
    res = weakness_stability(trial.efficacy_visits())
    t = res.table.set_index(["month", "limb"])
    # Table 5 at +3 months: decreases of 1.0 or more in UEL for patients 9, 24 and 25
    assert (t.loc[(3.0, "UEL"), "n"], t.loc[(3.0, "UEL"), "n_stable"]) == (23, 20)
    # at +12 months 20 patients were scored (7, 17 and 26 missing)
    assert t.loc[(12.0, "overall"), "n"] == 20
    assert t.loc[(12.0, "overall"), "proportion"] < t.loc[(3.0, "overall"), "proportion"]


def test_table3_adverse_events(trial):
    ae = adverse_event_table(trial.adverse_events, trial.n_enrolled)
    assert ae.n_events == 18
    assert ae.n_patients_with_event == 15
    # headache after lumbar puncture: 7 of 26 patients ("30%" in the abstract)
    assert ae.patients_with("headache") == 7
    assert ae.by_term.iloc[0]["term"] == "Headache"
    assert ae.by_term.iloc[0]["percent"] == pytest.approx(100 * 7 / 26)
    assert ae.patients_with("respiratory failure") == 3
    assert ae.patients_with("PEG insertion") == 2
    assert ae.patients_with("leukocytosis") == 2
    assert ae.category("serious", "yes") == (6, 6)
    assert ae.category("related", "yes") == (10, 8)
    assert ae.category("severity", "mild") == (12, 9)
    assert ae.category("severity", "moderate") == (1, 1)
    assert ae.category("severity", "severe") == (3, 3)
    assert ae.category("severity", "death") == (2, 2)
    # no serious adverse event related to the product (no SUSAR)
    aes = trial.adverse_events
    assert not (aes.serious & aes.related).any()
