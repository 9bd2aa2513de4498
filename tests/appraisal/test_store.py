"""Assessments in the project store: per reviewer, overrides, events, agreement, consensus."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from alsreview.appraisal.agreement import agreement, stored_agreement
from alsreview.appraisal.assessments import (
    adopt_as_consensus,
    current_judgements,
    record_assessment,
)
from alsreview.errors import ValidationError
from alsreview.store.appraisals import appraisal_history, current_appraisals

LOW = {
    "1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y", "3.1": "Y",
    "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "Y", "5.2": "N", "5.3": "N",
}  # fmt: skip


def test_assessment_with_support_override_and_event(project):
    answers = {k: v for k, v in LOW.items()} | {
        "1.3": {"answer": "PY", "support": "Table 1: ALSFRS-R 38 vs 31 at baseline"}
    }
    stored = record_assessment(
        project,
        "Petrou2016",
        "rob2",
        answers,
        outcome="ALSFRS-R slope",
        reviewer="ana",
        overrides={"D4": ("some concerns", "raters knew who had the intrathecal injection")},
        overall_override=("high", "two domains with some concerns; small open-label trial"),
    )
    assert stored.domains["D1"] == {
        "algorithm": "some concerns",
        "value": "some concerns",
        "source": "algorithm",
    }
    assert stored.domains["D4"]["algorithm"] == "low"
    assert stored.domains["D4"]["value"] == "some concerns"
    assert stored.overall_algorithm == "some concerns" and stored.overall == "high"
    assert stored.answers["1.3"] == {
        "answer": "PY",
        "support": "Table 1: ALSFRS-R 38 vs 31 at baseline",
    }
    events = [e for e in project.events() if e.action == "appraisal.assessment"]
    assert len(events) == 1 and events[0].actor == "ana"
    assert events[0].details["overrides"] == ["D4", "overall"]


def test_override_without_justification_stores_nothing(project):
    with pytest.raises(ValidationError, match="D2: an override needs a justification"):
        record_assessment(project, "S1", "rob2", LOW, overrides={"D2": ("high", " ")})
    with pytest.raises(ValidationError, match=r"question 1\.1: answer 'maybe'"):
        record_assessment(project, "S1", "rob2", LOW | {"1.1": "maybe"})
    assert current_appraisals(project) == []
    assert not [e for e in project.events() if e.action.startswith("appraisal")]


def test_newest_row_wins_and_history_is_kept(project):
    record_assessment(project, "S1", "rob2", LOW, reviewer="ana")
    record_assessment(project, "S1", "rob2", LOW | {"5.2": "Y"}, reviewer="ana")
    (current,) = current_appraisals(project, tool="rob2")
    assert current.overall == "high"
    assert [r.overall for r in appraisal_history(project, "S1", "rob2")] == ["low", "high"]


def test_agreement_and_consensus(project):
    # ana and ben agree on S1; disagree on D5 of S2 and on S3's D3
    record_assessment(project, "S1", "rob2", LOW, reviewer="ana")
    record_assessment(project, "S1", "rob2", LOW, reviewer="ben")
    record_assessment(project, "S2", "rob2", LOW, reviewer="ana")
    record_assessment(project, "S2", "rob2", LOW | {"5.1": "NI"}, reviewer="ben")
    record_assessment(project, "S3", "rob2", LOW | {"3.1": "N", "3.2": "Y"}, reviewer="ana")
    record_assessment(
        project,
        "S3",
        "rob2",
        LOW | {"3.1": "N", "3.2": "N", "3.3": "Y", "3.4": "Y"},
        reviewer="ben",
    )
    agr = stored_agreement(project, "rob2", "ana", "ben")
    by = {d.domain: d for d in agr.domains}
    assert by["D1"].n == 3 and by["D1"].agreement == 1.0 and by["D1"].kappa is None
    assert by["D5"].differ == ("S2",) and by["D5"].agreement == pytest.approx(2 / 3)
    assert by["D3"].differ == ("S3",)
    ana = ["low", "low", "low"]
    ben = ["low", "some concerns", "high"]
    assert by["overall"].kappa == pytest.approx(cohen_kappa_score(ana, ben))

    cur = current_judgements(project, "rob2")
    assert set(cur.chosen) == {("S1", "")}
    assert set(cur.unresolved) == {("S2", ""), ("S3", "")}
    adopt_as_consensus(project, "S2", "rob2", "ben", reviewer="chair")
    cur = current_judgements(project, "rob2")
    assert cur.chosen["S2", ""].kind == "consensus"
    assert cur.overall()["S2"] == "some concerns"
    assert [e.action for e in project.events()][-1] == "appraisal.consensus"


def test_kappa_against_sklearn():
    """Cohen's kappa on 12 studies with three categories equals scikit-learn's."""
    a = ["low"] * 5 + ["some concerns"] * 4 + ["high"] * 3
    b = ["low"] * 4 + ["some concerns"] * 3 + ["high"] * 2 + ["low", "high", "some concerns"]
    agr = agreement(
        {str(i): {"D1": x, "overall": x} for i, x in enumerate(a)},
        {str(i): {"D1": x, "overall": x} for i, x in enumerate(b)},
        ["D1"],
    )
    assert agr.domains[0].kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert agr.domains[0].agreement == pytest.approx(7 / 12)  # positions 0-3, 5, 6 and 10
