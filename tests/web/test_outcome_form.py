"""The efficacy-outcome (ALSFRS-R) form of the extraction page, over HTTP: what it saves is
what `alsreview extract set ID efficacy JSON` saves; the library's messages come back next
to their fields; every spread says what it is; hostile text stays text.

Numbers: Rushkevich 2015 as the bundled evidence base records them (median ALSFRS-R decline
0.38 (IQR 0.29-0.80), n = 10, vs control 1.47 (1.0-1.58), n = 15, p = 0.003); input only."""

from __future__ import annotations

import html
import json
import re

import pytest
from tests.extraction.test_outcomes import RUSHKEVICH

from alsreview.extraction.fields import check_field
from alsreview.extraction.review import add_study, reviewer_extraction
from alsreview.store import extractions as xs

# the form as a reviewer fills it ...
FORM = {
    "rows": "4",
    "measure": "alsfrs_r_monthly_decline",
    "comparison": "vs control",
    "window": "12 months of follow-up",
    "direction": "favours treatment",
    "p_relation": "=",
    "p_value": "0.003",
    "source": "Table 2",
    "description": "Slower ALSFRS-R decline with MSC than without",
    "g0-label": "treated",
    "g0-n": "10",
    "g0-central": "median",
    "g0-estimate": "0.38",
    "g0-dispersion_kind": "IQR",
    "g0-low": "0.29",
    "g0-high": "0.80",
    "g0-unit": "points/month",
    "g1-label": "control",
    "g1-n": "15",
    "g1-central": "median",
    "g1-estimate": "1.47",
    "g1-dispersion_kind": "IQR",
    "g1-low": "1.0",
    "g1-high": "1.58",
    "g1-unit": "points/month",
    "g1-printed": "1.47 (1.0; 1.58)",
    "g1-changes": "recorded as median (IQR): the brackets are not labelled\n",
    "g2-central": "mean",  # rows left blank are not groups
    "g3-central": "mean",
}
# ... and the same outcome as a CLI user types it
JSON = RUSHKEVICH


@pytest.fixture
def study(project):
    add_study(project, "r1", [1])
    return project


def post(client, data, **kw):
    return client.post(
        "/extraction/r1/outcome",
        data=data,
        headers={"accept": "text/html"},
        follow_redirects=False,
        **kw,
    )


def field_errors(page: str) -> dict[str, str]:
    """Messages shown next to fields: form field name -> text."""
    return {
        m[0]: html.unescape(m[1])
        for m in re.findall(r'class="field-error" id="o-([\w-]+)-err">([^<]*)<', page)
    }


def test_the_form_saves_what_extract_set_saves(study, login):
    from alsreview.cli import main

    rita = login("rita")
    r = post(rita, FORM)
    assert r.status_code == 303 and r.headers["location"] == "/extraction/r1?saved=1#outcomes"
    web = reviewer_extraction(study, "r1", "rita")["efficacy"]
    # the real CLI on the same project folder, as another reviewer
    cli_args = ["r1", "efficacy", json.dumps([JSON]), "--reviewer", "cli"]
    main(["extract", "set", *cli_args, "--project", str(study.root)])
    cli = reviewer_extraction(study, "r1", "cli")["efficacy"]
    assert web == cli
    assert web[0]["from"] == ["r1: Table 2"]  # cited to the study's own report
    assert type(web[0]["groups"][0]["n"]) is int and web[0]["groups"][0]["high"] == 0.8
    event = next(e for e in study.events() if e.action == "extraction.set")
    assert event.actor == "rita" and event.details["field"] == "efficacy"
    # shown with medians called medians and the spread named, and the printed value
    page = rita.get("/extraction/r1?saved=1", headers={"accept": "text/html"}).text
    assert "Outcome 1 saved." in page
    assert '<a href="#outcomes">1 outcome</a>' in page  # the fields table points to it
    assert "treated: median 0.38 points/month (0.29 to 0.8, IQR), n = 10" in page
    assert "As printed: 1.47 (1.0; 1.58); changed: recorded as median (IQR)" in page
    assert "p = 0.003" in page and "From r1: Table 2" in page


def test_library_messages_are_shown_next_to_their_fields_and_nothing_is_stored(study, login):
    rita = login("rita")
    bad = {**FORM, "g0-estimate": "about 0.4", "direction": "", "p_value": "3", "source": ""}
    r = post(rita, bad)
    assert r.status_code == 422
    shown = field_errors(r.text)
    # the library's own check of the same outcome (what `extract set` prints)
    same = json.loads(json.dumps(JSON))
    same["groups"][0]["estimate"] = "about 0.4"
    del same["direction"], same["from"]
    same["p_value"]["value"] = "3"
    expected = {p.column: p.message for p in check_field("efficacy", [same], "r1: ")}
    assert shown == {
        "g0-estimate": expected["r1: efficacy.0.groups.0.estimate"],
        "direction": expected["r1: efficacy.0.direction"],
        "p_value": expected["r1: efficacy.0.p_value.value"],
        "source": expected["r1: efficacy.0.from"],
    }
    assert shown["g0-estimate"].startswith("Input should be a valid number")
    # the summary lists each as the CLI prints it and links to the field
    assert 'href="#o-g0-estimate">column r1: efficacy.0.groups.0.estimate: Input should' in r.text
    assert 'id="o-g0-estimate" name="g0-estimate" value="about 0.4"' in r.text  # input kept
    assert 'aria-invalid="true" aria-describedby="o-direction-err"' in r.text
    assert xs.extraction_history(study, "r1") == []


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        # an IQR is two quartiles, never a ± value
        ({"g0-dispersion": "0.25"}, "g0-dispersion_kind", "IQR is given by its bounds"),
        # a ± value whose kind is not said
        (
            {"g0-dispersion_kind": "", "g0-low": "", "g0-high": "", "g0-dispersion": "0.2"},
            "g0-dispersion_kind",
            "dispersion given without its kind",
        ),
        # bounds that do not say what they are
        ({"g0-dispersion_kind": ""}, "g0-dispersion_kind", "bounds given without their kind"),
        # a change without the printed value
        ({"g0-changes": "sign flipped"}, "g0-printed", "changes listed without the printed"),
    ],
)
def test_every_spread_says_what_it_is(study, login, change, where, message):
    r = post(login("rita"), {**FORM, **change})
    assert r.status_code == 422
    assert message in field_errors(r.text)[where]
    assert xs.extraction_history(study, "r1") == []


def test_edit_and_remove_an_outcome(study, login):
    rita = login("rita")
    assert post(rita, FORM).status_code == 303
    assert post(rita, {**FORM, "window": "6 months"}).status_code == 303
    page = rita.get("/extraction/r1?edit=2", headers={"accept": "text/html"}).text
    assert "Edit outcome 2" in page and 'name="index" value="2"' in page
    assert 'name="window" value="6 months"' in page
    assert '<option value="IQR" selected>' in page and 'value="0.29"' in page
    assert ">recorded as median (IQR): the brackets are not labelled</textarea>" in page
    r = post(rita, {**FORM, "window": "9 months", "index": "2"})
    assert r.headers["location"] == "/extraction/r1?saved=2#outcomes"
    windows = [o["window"] for o in reviewer_extraction(study, "r1", "rita")["efficacy"]]
    assert windows == ["12 months of follow-up", "9 months"]
    r = rita.post("/extraction/r1/outcome/1/remove", follow_redirects=False)
    assert r.status_code == 303
    windows = [o["window"] for o in reviewer_extraction(study, "r1", "rita")["efficacy"]]
    assert windows == ["9 months"]
    assert rita.get("/extraction/r1?edit=5").status_code == 404
    assert rita.post("/extraction/r1/outcome/5/remove").status_code == 422
    # per reviewer: ravi sees none of rita's outcomes
    ravi = login("ravi").get("/extraction/r1", headers={"accept": "text/html"}).text
    assert "No outcome in your extraction yet." in ravi


def test_suggested_alsfrs_statistics_fill_the_form_without_guessing_the_spread(study, login):
    text = (
        "Nineteen patients with ALS were enrolled. The ALSFRS-R score declined from "
        "38.2 ± 4.1 to 33.0 ± 5.2 at 6 months."
    )
    rita = login("rita")
    rita.post("/fulltext/1/upload", files={"file": ("t.txt", text.encode(), "text/plain")})
    page = rita.get("/extraction/r1", headers={"accept": "text/html"}).text
    assert 'href="/extraction/r1?fill=suggested#outcome-form"' in page
    page = rita.get("/extraction/r1?fill=suggested", headers={"accept": "text/html"}).text
    assert 'name="g0-estimate" value="38.2"' in page and 'name="g1-estimate" value="33"' in page
    assert 'name="g0-dispersion" value="4.1"' in page and 'name="source" value="page 1"' in page
    # the sentence does not say SD or SEM: no kind is chosen for the reviewer
    kinds = re.findall(r'<select id="o-g\d-dispersion_kind"[^>]*>(.*?)</select>', page, re.S)
    assert len(kinds) == 4 and not any(" selected" in k for k in kinds)
    assert "does not say whether ± is an SD or an SEM" in page
    # saving it as filled is refused by the library until the kind is said
    form = dict(re.findall(r'<input id="o-[\w-]+" name="([\w-]+)" value="([^"]*)"', page))
    form.update(rows="4", measure="alsfrs_r_change", direction="unclear", description="x")
    form["comparison"] = "pre-post"
    form = {k: html.unescape(v) for k, v in form.items()}
    r = post(rita, form)
    assert r.status_code == 422
    assert "dispersion given without its kind" in field_errors(r.text)["g0-dispersion_kind"]
    r = post(rita, {**form, "g0-dispersion_kind": "SD", "g1-dispersion_kind": "SD"})
    assert r.status_code == 303
    (saved,) = reviewer_extraction(study, "r1", "rita")["efficacy"]
    assert saved["from"] == ["r1: page 1"] and saved["groups"][0]["dispersion_kind"] == "SD"


def test_a_kind_named_in_the_quote_is_filled(study, login):
    text = "In 12 patients, ALSFRS-R fell from 40.1 ± 1.2 to 36.3 ± 1.5 (mean ± SEM)."
    rita = login("rita")
    rita.post("/fulltext/1/upload", files={"file": ("t.txt", text.encode(), "text/plain")})
    page = rita.get("/extraction/r1?fill=suggested", headers={"accept": "text/html"}).text
    assert page.count('<option value="SEM" selected>') == 2


HOSTILE = '<script>window.__xss = 3</script><img src=x onerror="window.__xss = 4">'


def test_hostile_text_in_the_form_is_inert(study, login):
    rita = login("rita")
    r = post(rita, {**FORM, "description": HOSTILE, "g0-label": HOSTILE, "note": HOSTILE})
    assert r.status_code == 303
    (saved,) = reviewer_extraction(study, "r1", "rita")["efficacy"]
    assert saved["description"] == HOSTILE  # kept as typed ...
    for url in ("/extraction/r1", "/extraction/r1?edit=1"):
        page = rita.get(url, headers={"accept": "text/html"}).text
        assert "<script>window" not in page and "<img src=x" not in page  # ... shown as text
        assert "&lt;script&gt;window.__xss = 3&lt;/script&gt;" in page
    # and refused input comes back escaped too
    r = post(rita, {**FORM, "g0-estimate": HOSTILE})
    assert r.status_code == 422 and "<script>window" not in r.text
    assert "&lt;img src=x onerror=" in r.text
