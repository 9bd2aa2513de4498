"""The owner's consensus of two reviewers' extractions and appraisals (issue 14): pages and
JSON API over `make_consensus`, `adopt_as_consensus` and `record_assessment(kind=
"consensus")`; owner only (a reviewer gets 403, an anonymous client 401), CSRF on every
write, reviewers' text escaped."""

from __future__ import annotations

import json

import pytest
from tests.web.conftest import XSS_NOTE, consensus_of

from alsreview.appraisal.assessments import current_judgements

OWNER_URLS = [
    ("get", "/consensus", None),
    ("get", "/consensus/extraction/r1", None),
    ("post", "/consensus/extraction/r1", {"data": {"choice:patients_analysed": "take:rita"}}),
    ("get", "/consensus/appraisal/r1?tool=jbi-quasi", None),
    ("post", "/consensus/appraisal/r1/adopt", {"data": {"tool": "jbi-quasi", "adopt": "rita"}}),
    ("post", "/consensus/appraisal/r1/answers", {"data": {"tool": "jbi-quasi"}}),
    ("get", "/api/consensus/extraction/r1", None),
    ("post", "/api/consensus/extraction/r1", {"json": {"take": {}}}),
    ("post", "/api/consensus/appraisal", {"json": {"study": "r1", "tool": "jbi-quasi",
                                                   "adopt": "rita"}}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "url", "body"), OWNER_URLS)
def test_owner_only_reviewer_403_anonymous_401(dual, login, method, url, body):
    rita, anon = login("rita"), login(None)
    kw = body or {}
    r = getattr(rita, method)(url, **kw)
    assert r.status_code == 403, (url, r.text)
    r = getattr(anon, method)(url, **kw)
    assert r.status_code == 401, (url, r.text)
    assert consensus_of(dual) is None
    assert not [a for a in current_judgements(dual, "jbi-quasi").chosen.values()
                if a.kind == "consensus"]  # fmt: skip


def test_writes_need_the_csrf_token(dual, login):
    olivia = login("olivia")
    form = {"choice:patients_analysed": "take:rita", "choice:cell_type": "omit"}
    r = olivia.post("/consensus/extraction/r1", csrf=False, data=form)
    assert r.status_code == 403
    r = olivia.post("/api/consensus/appraisal", csrf=False,
                    json={"study": "r1", "tool": "jbi-quasi", "adopt": "rita"})  # fmt: skip
    assert r.status_code == 403
    assert consensus_of(dual) is None


def test_extraction_page_shows_the_disagreements_side_by_side_escaped(dual, login):
    page = login("olivia").get("/consensus/extraction/r1").text
    assert "<legend>patients_analysed</legend>" in page and "<legend>cell_type</legend>" in page
    assert "<legend>design</legend>" not in page  # agreed: taken as it is
    assert XSS_NOTE not in page and "&lt;img src=x onerror=" in page
    assert 'value="take:rita"' in page and 'value="take:ravi"' in page
    index = login("olivia").get("/consensus").text
    assert 'href="/consensus/extraction/r1"' in index and "not yet" in index
    assert '<a href="/consensus">Record a consensus</a>' in login("olivia").get("/").text
    assert 'href="/consensus"' not in login("rita").get("/").text  # neither nav nor dashboard


def test_extraction_consensus_through_the_form(dual, login):
    olivia = login("olivia")
    # nothing chosen for cell_type: refused, nothing stored, the choice kept as typed
    r = olivia.post("/consensus/extraction/r1", data={"choice:patients_analysed": "take:ravi"})
    assert r.status_code == 422
    assert "cell_type: choose a reviewer" in r.text and consensus_of(dual) is None
    assert 'value="take:ravi" checked' in r.text
    # a typed value needs where it was read
    form = {"choice:patients_analysed": "value", "value:patients_analysed": "25",
            "choice:cell_type": "take:rita"}  # fmt: skip
    r = olivia.post("/consensus/extraction/r1", data=form)
    assert r.status_code == 422 and "say where the agreed value was read" in r.text
    r = olivia.post("/consensus/extraction/r1", data=form | {"source:patients_analysed": "p 4"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/consensus?saved=extraction:r1"
    saved = consensus_of(dual)
    assert saved.reviewer == "olivia"
    assert saved.data["patients_analysed"] == {"value": 25, "from": ["r1: p 4"]}
    assert saved.data["cell_type"]["value"] == "BM-MSC"
    assert saved.data["design"]["value"] == "single-arm"  # agreed, taken
    event = [e for e in dual.events() if e.action == "extraction.consensus"][-1]
    assert event.details["resolved"] == {"cell_type": "taken from rita",
                                         "patients_analysed": "value given"}  # fmt: skip


def test_extraction_consensus_through_the_api(dual, login):
    olivia = login("olivia")
    got = olivia.get("/api/consensus/extraction/r1").json()
    assert got["reviewers"] == ["rita", "ravi"]
    assert [o["field"] for o in got["open"]] == ["patients_analysed", "cell_type"]  # form order
    analysed = next(o for o in got["open"] if o["field"] == "patients_analysed")
    assert {r: v["value"] for r, v in analysed["values"].items()} == {"rita": 23, "ravi": 26}
    r = olivia.post("/api/consensus/extraction/r1", json={"take": {"patients_analysed": "rita"}})
    assert r.status_code == 422 and "cell_type disagrees" in r.json()["detail"]
    assert consensus_of(dual) is None
    body = {"take": {"patients_analysed": "rita"}, "values": {"cell_type": None}}
    r = olivia.post("/api/consensus/extraction/r1", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["resolved"] == {
        "cell_type": "value given",
        "patients_analysed": "taken from rita",
    }
    saved = consensus_of(dual)
    assert saved.data["patients_analysed"]["value"] == 23 and "cell_type" not in saved.data


def test_appraisal_side_by_side_and_adopt(dual, login):
    olivia = login("olivia")
    page = olivia.get("/consensus/appraisal/r1?tool=jbi-quasi").text
    # JBI rule of the 2022 review (001_*): no "no" = low risk, one to three "no" = moderate
    assert "<td><strong>low</strong>" in page and "<td><strong>moderate</strong>" in page
    assert "differ: rita yes · ravi no" in page
    assert "<legend>Item 3</legend>" in page  # JBI: the items are the domains
    assert olivia.get("/consensus/appraisal/r1?tool=rob2").status_code == 404
    r = olivia.post("/consensus/appraisal/r1/adopt", data={"tool": "jbi-quasi", "adopt": "ravi"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    chosen = current_judgements(dual, "jbi-quasi").chosen[("r1", "")]
    assert (chosen.kind, chosen.reviewer, chosen.overall) == ("consensus", "olivia", "moderate")
    assert "recorded" in olivia.get("/consensus").text


def test_appraisal_consensus_of_agreed_answers_is_judged_again(dual, login):
    olivia = login("olivia")
    form = {"tool": "jbi-quasi", **{f"q:{i}": "yes" for i in range(1, 10)}}
    r = olivia.post("/consensus/appraisal/r1/answers", data=form | {"q:3": "maybe"})
    assert r.status_code == 422 and "Not saved" in r.text
    assert "r1" not in current_judgements(dual, "jbi-quasi").overall()  # still unresolved
    r = olivia.post("/consensus/appraisal/r1/answers", data=form, follow_redirects=False)
    assert r.status_code == 303
    chosen = current_judgements(dual, "jbi-quasi").chosen[("r1", "")]
    assert (chosen.kind, chosen.overall) == ("consensus", "low")  # all "yes": low risk


def test_appraisal_adopt_through_the_api(dual, login):
    olivia = login("olivia")
    body = {"study": "r1", "tool": "jbi-quasi", "adopt": "nobody"}
    r = olivia.post("/api/consensus/appraisal", json=body)
    assert r.status_code == 422 and "no assessment of r1" in r.json()["detail"]
    r = olivia.post("/api/consensus/appraisal", json=body | {"adopt": "rita"})
    assert r.status_code == 201 and r.json()["overall"] == "low"
    assert current_judgements(dual, "jbi-quasi").overall() == {"r1": "low"}


def test_a_list_field_takes_an_agreed_json_list(dual, login):
    """Adverse events (a list field): rita counted 3 patients with headache, ravi 4; the
    owner types the agreed list, checked by the evidence model as `extract set` checks it."""
    from alsreview.extraction import review as rv

    ae = {"term": "post-lumbar puncture headache", "serious": False, "severity": "mild",
          "n_events": 4, "from": ["Table 3"]}  # fmt: skip
    for who, n in (("rita", 3), ("ravi", 4)):
        rv.set_field(dual, "r1", "safety.adverse_events", [ae | {"n_patients": n}], reviewer=who)
    olivia = login("olivia")
    page = olivia.get("/consensus/extraction/r1").text
    assert "<legend>safety.adverse_events</legend>" in page
    assert "safety.adverse_events[post-lumbar puncture headache].n_patients: 3 vs 4" in page
    form = {"choice:patients_analysed": "take:rita", "choice:cell_type": "take:rita",
            "choice:safety.adverse_events": "value",
            "value:safety.adverse_events": "3 patients"}  # fmt: skip
    r = olivia.post("/consensus/extraction/r1", data=form)
    assert r.status_code == 422
    assert "safety.adverse_events: the agreed value must be a JSON list" in r.text
    assert consensus_of(dual) is None
    bad = json.dumps([ae | {"n_patients": "three"}])
    r = olivia.post("/consensus/extraction/r1", data=form | {"value:safety.adverse_events": bad})
    assert r.status_code == 422 and "n_patients" in r.text and consensus_of(dual) is None
    good = json.dumps([ae | {"n_patients": 3, "note": "Table 3 counts patients, text events"}])
    r = olivia.post("/consensus/extraction/r1", data=form | {"value:safety.adverse_events": good},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    (saved_ae,) = consensus_of(dual).data["safety"]["adverse_events"]
    assert saved_ae["n_patients"] == 3 and saved_ae["from"] == ["r1: Table 3"]
