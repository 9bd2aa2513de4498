"""Efficacy outcomes in a reviewer's extraction: `save_item` / `remove_item` keep what
`extract set ID efficacy JSON` keeps, with the same checks; intervals are labelled bounds.

The numbers are Rushkevich 2015 as the bundled evidence base records them from the 2022
review's table (median ALSFRS-R decline 0.38 (IQR 0.29-0.80), n = 10, vs control 1.47
(1.0-1.58), n = 15, p = 0.003); here they are only input."""

from __future__ import annotations

import json

import pydantic
import pytest

from alsreview.errors import ValidationError
from alsreview.evidence.model import Statistic
from alsreview.extraction import review as rv
from alsreview.records.model import Record
from alsreview.store import extractions as xs

# the outcome as a CLI user types it for `extract set r1 efficacy '[...]'`
RUSHKEVICH = {
    "measure": "alsfrs_r_monthly_decline",
    "comparison": "vs control",
    "window": "12 months of follow-up",
    "groups": [
        {
            "label": "treated",
            "n": 10,
            "central": "median",
            "estimate": 0.38,
            "dispersion_kind": "IQR",
            "low": 0.29,
            "high": 0.8,
            "unit": "points/month",
        },
        {
            "label": "control",
            "n": 15,
            "central": "median",
            "estimate": 1.47,
            "dispersion_kind": "IQR",
            "low": 1.0,
            "high": 1.58,
            "unit": "points/month",
            "printed": "1.47 (1.0; 1.58)",
            "changes": ["recorded as median (IQR): the brackets are not labelled"],
        },
    ],
    "p_value": {"value": 0.003, "relation": "="},
    "direction": "favours treatment",
    "description": "Slower ALSFRS-R decline with MSC than without",
    "from": ["Table 2"],
}


def as_typed_strings(outcome):
    """The same outcome with every number written as text, as a web form sends it."""
    return json.loads(json.dumps(outcome), parse_float=str, parse_int=str)


@pytest.fixture
def study(project):
    project.import_records(
        [Record(title="MSC in ALS", authors=["Rushkevich YN"], year=2015, source="x")],
        source="x",
        label="t",
    )
    (rid,) = [r for r, _ in project.records()]
    rv.add_study(project, "r1", [rid])
    return project


def test_save_outcome_keeps_what_extract_set_keeps(study):
    p = study
    rv.set_field(p, "r1", "efficacy", [RUSHKEVICH], reviewer="cli")
    at = rv.save_item(p, "r1", "efficacy", as_typed_strings(RUSHKEVICH), reviewer="web")
    assert at == 0
    cli = rv.reviewer_extraction(p, "r1", "cli")["efficacy"]
    web = rv.reviewer_extraction(p, "r1", "web")["efficacy"]
    assert web == cli
    assert web[0]["groups"][0]["n"] == 10 and isinstance(web[0]["groups"][0]["n"], int)
    assert web[0]["p_value"] == {"value": 0.003, "relation": "="}
    # the bare locator is cited to the study's own report, in both
    assert cli[0]["from"] == web[0]["from"] == ["r1: Table 2"]


def test_outcomes_are_added_replaced_and_removed(study):
    p = study
    second = {**RUSHKEVICH, "window": "6 months", "groups": RUSHKEVICH["groups"][:1]}
    assert rv.save_item(p, "r1", "efficacy", RUSHKEVICH, reviewer="ann") == 0
    assert rv.save_item(p, "r1", "efficacy", second, reviewer="ann") == 1
    mine = rv.reviewer_extraction(p, "r1", "ann")["efficacy"]
    assert [o["window"] for o in mine] == ["12 months of follow-up", "6 months"]
    assert rv.save_item(
        p, "r1", "efficacy", {**second, "window": "9 months"}, index=1, reviewer="ann"
    )
    mine = rv.reviewer_extraction(p, "r1", "ann")["efficacy"]
    assert [o["window"] for o in mine] == ["12 months of follow-up", "9 months"]
    with pytest.raises(ValidationError, match="no item 3 of efficacy to replace"):
        rv.save_item(p, "r1", "efficacy", second, index=2, reviewer="ann")
    rv.remove_item(p, "r1", "efficacy", 0, reviewer="ann")
    assert [o["window"] for o in rv.reviewer_extraction(p, "r1", "ann")["efficacy"]] == ["9 months"]
    rv.remove_item(p, "r1", "efficacy", 0, reviewer="ann")
    assert "efficacy" not in rv.reviewer_extraction(p, "r1", "ann")  # the field is gone
    with pytest.raises(ValidationError, match="no item 1 of efficacy to remove"):
        rv.remove_item(p, "r1", "efficacy", 0, reviewer="ann")
    events = [e for e in p.events() if e.action == "extraction.set"]
    assert len(events) == 5 and all(e.actor == "ann" for e in events)


def test_bad_outcomes_are_refused_with_the_set_field_messages_and_nothing_stored(study):
    p = study
    bad = as_typed_strings(RUSHKEVICH)
    bad["groups"][0]["estimate"] = "about half"
    del bad["direction"]
    with pytest.raises(ValidationError) as web:
        rv.save_item(p, "r1", "efficacy", bad, reviewer="ann")
    with pytest.raises(ValidationError) as cli:
        rv.set_field(p, "r1", "efficacy", [bad], reviewer="ann")
    assert [str(x) for x in web.value.problems] == [str(x) for x in cli.value.problems]
    where = {x.column: x.message for x in web.value.problems}
    assert where["r1: efficacy.0.groups.0.estimate"].startswith("Input should be a valid number")
    assert where["r1: efficacy.0.direction"] == "Field required"
    assert xs.extraction_history(p, "r1") == []


def test_null_removes_a_list_field(study):
    p = study
    rv.set_field(p, "r1", "efficacy", [RUSHKEVICH], reviewer="ann")
    rv.set_field(p, "r1", "efficacy", None, reviewer="ann")
    assert rv.reviewer_extraction(p, "r1", "ann") == {}


@pytest.mark.parametrize(
    ("stat", "message"),
    [
        ({"dispersion": 0.25, "dispersion_kind": "IQR"}, "IQR is given by its bounds"),
        ({"dispersion": 0.25, "dispersion_kind": "CI95"}, "CI95 is given by its bounds"),
        ({"low": 0.29, "high": 0.8}, "bounds given without their kind"),
        ({"low": 0.29, "high": 0.8, "dispersion_kind": "SD"}, "bounds given without their kind"),
        ({"dispersion": 0.45}, "dispersion given without its kind"),
    ],
)
def test_a_spread_says_what_it_is(stat, message):
    with pytest.raises(pydantic.ValidationError, match=message):
        Statistic(label="after", estimate=0.38, **stat)
    # labelled correctly, the same numbers are accepted
    iqr = Statistic(label="after", estimate=0.38, dispersion_kind="IQR", low=0.29, high=0.8)
    sd = Statistic(label="after", estimate=0.38, dispersion_kind="SD", dispersion=0.45)
    assert (iqr.low, iqr.high, sd.dispersion) == (0.29, 0.8, 0.45)


def test_adverse_events_are_list_items_too(study):
    p = study
    event = {"term": "headache", "serious": "no", "n_patients": "2", "from": ["Table 3"]}
    assert rv.save_item(p, "r1", "safety.adverse_events", event, reviewer="ann") == 0
    saved = rv.reviewer_extraction(p, "r1", "ann")["safety"]["adverse_events"]
    assert saved == [
        {"term": "headache", "serious": False, "n_patients": 2, "from": ["r1: Table 3"]}
    ]
    rv.remove_item(p, "r1", "safety.adverse_events", 0, reviewer="ann")
    assert rv.reviewer_extraction(p, "r1", "ann") == {}  # no empty safety block left
    with pytest.raises(ValidationError, match="'routes' is not a list field"):
        rv.save_item(p, "r1", "routes", event, reviewer="ann")
