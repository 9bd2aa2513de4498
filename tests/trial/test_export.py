"""A trial's results become a Study that validates with the evidence model."""

from __future__ import annotations

from pathlib import Path

import pytest

from alsreview.errors import ValidationError
from alsreview.evidence import load_evidence, parse_evidence
from alsreview.evidence.model import Study
from alsreview.trial.analysis import analyze_trial
from alsreview.trial.export import export_study
from alsreview.trial.ipd import load_trial
from alsreview.trial.simulate import CohortSpec, simulate_cohort

EXAMPLE = Path(__file__).parents[2] / "src" / "alsreview" / "data" / "trial_example"
META = dict(
    first_author="Syková E", year=2017, title="MSC in ALS", cell_type="BM-MSC", routes=["IT"]
)


def test_example_exports_table3_safety_and_table4_fvc():
    exp = export_study(analyze_trial(load_trial(EXAMPLE)), study_id="sykova2017-ipd", **META)
    s = Study.model_validate(exp.study.model_dump(by_alias=True))  # round-trips
    assert s.patients_enrolled.value == 26 and s.patients_analysed.value == 23
    terms = {a.term: a for a in s.safety.adverse_events}
    assert terms["Headache"].n_patients == 7 and terms["Headache"].related is True
    assert terms["Respiratory failure"].severity == "death"
    assert s.safety.deaths.value == 2
    assert s.safety.serious_related_events.value == 0
    fvc = {o.window: o for o in s.efficacy if o.measure == "fvc"}
    assert fvc["9 months"].groups[0].estimate == pytest.approx(100 * 15 / 19)
    assert all(p.source == "sykova2017-ipd-ipd" for o in s.efficacy for p in o.provenance)


def test_simulated_trial_exports_slopes_and_model_and_joins_the_base():
    trial = simulate_cohort(CohortSpec(n_patients=20, slope_change=0.5), seed=1)
    exp = export_study(analyze_trial(trial), study_id="sim-trial", **META)
    slopes = [o for o in exp.study.efficacy if o.measure == "alsfrs_r_slope"]
    assert len(slopes) == 9  # 4 windows x (all, progressors) + mixed model
    model = slopes[-1].groups[0]
    assert model.low < model.estimate < model.high
    base = load_evidence()
    bigger = exp.add_to(base)
    assert len(bigger.studies) == len(base.studies) + 1
    assert bigger.study("sim-trial").efficacy == exp.study.efficacy
    # the enlarged base survives the file format round trip
    again = parse_evidence(bigger.model_dump_json(by_alias=True))
    assert again.study("sim-trial").patients_enrolled.value == 20
    with pytest.raises(ValidationError, match="already has a study"):
        exp.add_to(bigger)


def test_unknown_cell_type_is_rejected():
    with pytest.raises(Exception, match="unknown cell type"):
        export_study(
            analyze_trial(load_trial(EXAMPLE)), study_id="x", **{**META, "cell_type": "magic"}
        )
