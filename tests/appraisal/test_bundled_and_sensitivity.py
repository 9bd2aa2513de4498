"""Published appraisals of the bundled evidence base, the sensitivity restriction, the
report's risk-of-bias section."""

from __future__ import annotations

import pytest

from alsreview.appraisal.assessments import record_assessment
from alsreview.appraisal.bundled import load_published
from alsreview.appraisal.sensitivity import known_overall, restrict_by_risk
from alsreview.appraisal.table import RobTable
from alsreview.errors import ValidationError
from alsreview.evidence import load_evidence
from alsreview.report.robvis import appraisal_section

EVIDENCE = load_evidence()
BLUME = {s.id for s in EVIDENCE.studies if any(r.review == "blume2026" for r in s.reviewed_in)}


def test_published_appraisals_are_exactly_what_blume_states():
    """001_*, Results: "All selected studies were classified as having moderate or low risk
    of bias"; Table 1 types Berry 2019 and Cudkowicz 2022 as randomized clinical trials."""
    pub = load_published()
    assert {a.study for a in pub.appraisals} == BLUME and len(BLUME) == 18
    for a in pub.appraisals:
        assert a.overall == ["low", "moderate"] and a.domains == {}
        assert a.from_ == ["blume2026: Results, Data extraction and risk of bias analysis"]
    rct = {a.study for a in pub.appraisals if a.tool == "jbi-rct"}
    assert rct == {"berry2019", "cudkowicz2022"}
    assert {a.tool for a in pub.appraisals} == {"jbi-rct", "jbi-quasi"}


def test_restriction_low_and_moderate_keeps_blume_studies_only():
    ids = [s.id for s in EVIDENCE.studies]
    r = restrict_by_risk(ids, "low-moderate")
    assert set(r.kept) == BLUME
    assert r.excluded == {s: "no risk-of-bias appraisal" for s in set(ids) - BLUME}


def test_restriction_low_cannot_use_a_bounded_judgement():
    r = restrict_by_risk(["kim2014", "staff2016"], "low")
    assert r.kept == ()
    assert r.excluded["kim2014"].startswith("low or moderate (jbi-quasi, blume2026")
    with pytest.raises(ValidationError, match="unknown risk-of-bias level"):
        restrict_by_risk(["kim2014"], "moderate")


def test_project_judgement_takes_precedence(project):
    low = {"1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y", "3.1": "Y",
           "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "Y", "5.2": "N", "5.3": "N"}  # fmt: skip
    record_assessment(project, "berry2019", "rob2", low, reviewer="ana")
    record_assessment(project, "staff2016", "rob2", low | {"5.2": "Y"}, reviewer="ana")
    known = known_overall(project=project, tools=["rob2"])
    r = restrict_by_risk(["berry2019", "staff2016", "kim2014"], "low", known)
    assert r.kept == ("berry2019",)
    assert r.excluded["staff2016"] == "high (rob2, project store)"
    table = RobTable.from_store(project, "rob2")
    section = appraisal_section(EVIDENCE, tables=[table])
    assert [f.name for f in section.figures] == [
        "rob_alsfrs_forest", "rob_rob2_traffic_light", "rob_rob2_summary"]  # fmt: skip


def test_report_section_says_what_is_not_known():
    section = appraisal_section(EVIDENCE)
    html = section.html
    assert section.id == "risk-of-bias"
    (forest,) = section.figures  # the ALSFRS-R forest plot with the published judgements
    labels = [t.get_text() for t in forest.figure.axes[0].texts]
    assert "Oh KW 2015 (L/M)" in labels and "Petrou P 2021 (L/M)" in labels
    assert html.count('low or moderate <span class="small">(not stated per study)</span>') == 18
    assert "No published risk-of-bias appraisal: " in html
    for s in EVIDENCE.studies:
        if s.id not in BLUME:
            assert f"{s.citation.first_author} {s.citation.year}" in html.split("No published")[1]


def test_report_section_runs_the_alsfrs_synthesis_restricted():
    """All four pre-post cohorts come from studies Blume et al. place at low or moderate
    risk, so that restriction leaves the estimate unchanged; none is known to be at low risk."""
    html = appraisal_section(EVIDENCE).html
    table = html.split('class="rob-sensitivity"')[1]
    rows = [r for r in table.split("<tr>")[2:]]
    assert "<td>all studies</td><td>4</td>" in rows[0]
    assert "<td>low or moderate risk</td><td>4</td>" in rows[1]
    estimate = rows[0].split("<td>")[3]
    assert estimate == rows[1].split("<td>")[3]
    assert "<td>low risk only</td><td>0</td><td>not estimable" in rows[2]
