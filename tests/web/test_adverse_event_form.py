"""The adverse-event form of the extraction page: what it saves is what
`alsreview extract set ID safety.adverse_events JSON` saves; the library's messages come back
next to their fields; "not reported" stays unknown (never a "no"); hostile text stays text.

The event is modelled on Syková 2017 (002_*), whose patients had mild to moderate headaches
resembling those after a lumbar puncture and no suspected serious adverse reactions; the
counts here are input only."""

from __future__ import annotations

import json
import re

import pytest
from tests.web.test_outcome_form import HOSTILE, field_errors

from alsreview.extraction.review import add_study, reviewer_extraction
from alsreview.store import extractions as xs

HTML = {"accept": "text/html"}
FORM = {
    "term": "post-lumbar puncture headache",
    "serious": "no",
    "related": "yes",
    "severity": "mild",
    "n_patients": "3",
    "n_events": "4",
    "source": "Table 3",
    "note": "",
}
JSON = {
    "term": "post-lumbar puncture headache",
    "serious": False,
    "related": True,
    "severity": "mild",
    "n_patients": 3,
    "n_events": 4,
    "from": ["Table 3"],
}


@pytest.fixture
def study(project):
    add_study(project, "r1", [1])
    return project


def post(client, data):
    return client.post(
        "/extraction/r1/adverse-event", data=data, headers=HTML, follow_redirects=False
    )


def events(project, who="rita"):
    return (reviewer_extraction(project, "r1", who).get("safety") or {}).get("adverse_events")


def test_the_form_saves_what_extract_set_saves(study, login):
    from alsreview.cli import main

    rita = login("rita")
    r = post(rita, FORM)
    assert r.status_code == 303 and r.headers["location"] == "/extraction/r1?ae_saved=1#safety"
    cli = ["r1", "safety.adverse_events", json.dumps([JSON]), "--reviewer", "cli"]
    main(["extract", "set", *cli, "--project", str(study.root)])
    assert events(study) == events(study, "cli")
    assert events(study)[0]["serious"] is False and events(study)[0]["from"] == ["r1: Table 3"]
    page = rita.get("/extraction/r1?ae_saved=1", headers=HTML).text
    assert "Adverse event 1 saved." in page and '<a href="#safety">1 adverse event</a>' in page
    row = re.search(r'<tr id="ae-1">(.*?)</tr>', page, re.S).group(1)
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    ]
    assert cells[:8] == [
        "1",
        "post-lumbar puncture headache",
        "no",
        "yes",
        "3",
        "4",
        "mild",
        "r1: Table 3",
    ]


def test_not_reported_stays_unknown(study, login):
    rita = login("rita")
    assert post(rita, {**FORM, "serious": "", "related": ""}).status_code == 303
    (saved,) = events(study)
    assert "serious" not in saved and "related" not in saved
    page = rita.get("/extraction/r1", headers=HTML).text
    row = re.search(r'<tr id="ae-1">(.*?)</tr>', page, re.S).group(1)
    assert row.count("not reported") == 2


def test_library_messages_next_to_the_fields_and_nothing_stored(study, login):
    from alsreview.extraction.fields import check_field

    rita = login("rita")
    r = post(rita, {**FORM, "term": "", "n_patients": "three", "source": ""})
    assert r.status_code == 422
    shown = {k: v for k, v in re.findall(
        r'class="field-error" id="ae-([\w]+)-err">([^<]*)<', r.text)}  # fmt: skip
    bad = {k: v for k, v in JSON.items() if k not in ("term", "from")} | {"n_patients": "three"}
    expected = {p.column: p.message for p in check_field("safety.adverse_events", [bad], "r1: ")}
    assert shown == {
        "term": expected["r1: safety.adverse_events.0.term"],
        "n_patients": expected["r1: safety.adverse_events.0.n_patients"],
        "source": expected["r1: safety.adverse_events.0.from"],
    }
    assert 'id="ae-problems"' in r.text and 'value="three"' in r.text
    assert field_errors(r.text) == {}  # the outcome form is untouched
    assert xs.extraction_history(study, "r1") == []


def test_edit_and_remove_an_adverse_event(study, login):
    rita = login("rita")
    post(rita, FORM)
    post(rita, {**FORM, "term": "fever", "serious": "", "related": ""})
    page = rita.get("/extraction/r1?edit_ae=1", headers=HTML).text
    assert "Edit adverse event 1" in page and 'name="index" value="1"' in page
    assert re.search(r'name="serious"[^>]*>.*?<option value="no" selected>', page, re.S)
    r = post(rita, {**FORM, "n_patients": "5", "index": "1"})
    assert r.headers["location"] == "/extraction/r1?ae_saved=1#safety"
    assert [(e["term"], e.get("n_patients")) for e in events(study)] == [
        ("post-lumbar puncture headache", 5),
        ("fever", 3),
    ]
    assert (
        rita.post("/extraction/r1/adverse-event/1/remove", follow_redirects=False).status_code
        == 303
    )
    assert [e["term"] for e in events(study)] == ["fever"]
    rita.post("/extraction/r1/adverse-event/1/remove")
    assert reviewer_extraction(study, "r1", "rita") == {}  # the empty list leaves no trace
    assert rita.get("/extraction/r1?edit_ae=1").status_code == 404


def test_hostile_text_is_inert(study, login):
    rita = login("rita")
    assert post(rita, {**FORM, "term": HOSTILE, "note": HOSTILE}).status_code == 303
    assert events(study)[0]["term"] == HOSTILE
    for url in ("/extraction/r1", "/extraction/r1?edit_ae=1"):
        page = rita.get(url, headers=HTML).text
        assert "<script>window" not in page and "<img src=x" not in page
        assert "&lt;script&gt;window.__xss = 3&lt;/script&gt;" in page
