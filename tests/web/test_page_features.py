"""Page features found missing when walking the app as a reviewer and as the owner: the
dashboard's appraisal and extraction progress, extraction exports, the single-field form's
messages next to its fields (and its note, as `extract set --note`), suggested ALSFRS-R
statistics shown in words, labels that name their record."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest

from alsreview.extraction.review import add_study, reviewer_extraction, set_field

HTML = {"accept": "text/html"}


@pytest.fixture
def study(project):
    add_study(project, "r1", [1])
    return project


def test_dashboard_shows_appraisal_and_extraction_progress_per_reviewer(study, login):
    rita, ravi = login("rita"), login("ravi")
    page = ravi.get("/", headers=HTML).text
    assert "1 study (" in page and "No appraisal or extraction yet." in page
    form = {"tool": "jbi-quasi", "record_id": "1", **{f"q:{i}": "yes" for i in range(1, 10)}}
    assert rita.post("/appraisal/save", data=form, follow_redirects=False).status_code == 303
    r = rita.post(
        "/extraction/r1/set",
        data={"field": "patients_enrolled", "value": "19", "source": "Table 1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    set_field(study, "r1", "follow_up_months", {"value": 12, "from": ["Methods"]}, reviewer="ravi")
    live = ravi.get("/dashboard/live", headers=HTML).text
    rows = dict(
        re.findall(r'<tr><th scope="row">(\w+)</th>(.*?)</tr>', live.split("later-progress")[1])
    )
    assert re.findall(r">([^<]+)</td>", rows["rita"]) == ["1 of 1", "1 of 1"]
    assert re.findall(r">([^<]+)</td>", rows["ravi"]) == ["0 of 1", "1 of 1"]
    assert "agreed versions: 0 extractions, 0 appraisals" in live


def test_extraction_exports_download_the_table_and_the_evidence_base(study, login):
    rita = login("rita")
    hostile = '=HYPERLINK("http://evil.example","x")'
    for path, value in [
        ("country", hostile),
        ("patients_enrolled", 19),
        ("design", "single-arm"),
        ("cell_type", "BM-MSC"),
        ("routes", ["IT"]),
    ]:
        set_field(study, "r1", path, {"value": value, "from": ["Table 1"]}, reviewer="rita")
    r = rita.get("/exports/extraction.csv")
    assert r.headers["content-disposition"] == 'attachment; filename="extraction.csv"'
    (row,) = csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))
    assert row["version"] == "reviewer: rita" and row["patients_enrolled"] == "19"
    assert row["country"] == "'" + hostile  # a spreadsheet will not run it
    assert row["patients_enrolled [from]"] == "r1: Table 1"
    r = rita.get("/exports/evidence.json")
    assert r.headers["content-disposition"] == 'attachment; filename="evidence.json"'
    (entry,) = json.loads(r.text)["studies"]
    assert entry["id"] == "r1" and entry["patients_enrolled"]["value"] == 19
    assert entry["citation"]["first_author"] == "Petrou P"  # from the linked record
    page = rita.get("/exports", headers=HTML).text
    assert 'href="/exports/extraction.csv"' in page and 'href="/exports/evidence.json"' in page


def set_form_errors(page: str) -> dict[str, str]:
    found = re.findall(r'class="field-error" id="set-([\w]+)-err">([^<]*)<', page)
    return {name: html.unescape(text) for name, text in found}


def test_the_single_field_form_shows_the_library_message_next_to_the_field(study, login):
    from alsreview.errors import ValidationError

    rita = login("rita")
    data = {"field": "patients_enrolled", "value": "many", "source": "Table 1", "note": ""}
    r = rita.post("/extraction/r1/set", data=data, headers=HTML)
    assert r.status_code == 422
    with pytest.raises(ValidationError) as lib:  # what `extract set` prints for it
        set_field(study, "r1", "patients_enrolled", {"value": "many", "from": ["Table 1"]})
    assert set_form_errors(r.text) == {"value": str(lib.value.problems[0])}
    assert 'id="set-value" name="value" value="many"' in r.text  # what was typed stays
    assert '<option value="patients_enrolled" selected>' in r.text
    assert 'id="set-problems"' in r.text  # focused on load (data-autofocus)
    r = rita.post("/extraction/r1/set", data={**data, "value": "19", "source": " "}, headers=HTML)
    assert r.status_code == 422
    assert set_form_errors(r.text) == {"source": "say where the value was read"}
    assert reviewer_extraction(study, "r1", "rita") == {}


def test_the_single_field_form_saves_what_extract_set_saves(study, login):
    from alsreview.cli import main

    rita = login("rita")
    data = {"field": "routes", "value": '["IT", "IV"]', "source": "Methods", "note": "p. 3"}
    r = rita.post("/extraction/r1/set", data=data, follow_redirects=False)
    assert r.headers["location"] == "/extraction/r1?field_set=routes#form-h"
    cli = ["r1", "routes", '["IT", "IV"]', "--from", "Methods", "--note", "p. 3"]
    main(["extract", "set", *cli, "--reviewer", "cli", "--project", str(study.root)])
    web = reviewer_extraction(study, "r1", "rita")
    assert web == reviewer_extraction(study, "r1", "cli")
    assert web["routes"] == {"value": ["IT", "IV"], "from": ["r1: Methods"], "note": "p. 3"}
    assert "routes set." in rita.get("/extraction/r1?field_set=routes", headers=HTML).text
    # null removes the field, as on the command line
    data = {"field": "routes", "value": "null", "source": ""}
    assert rita.post("/extraction/r1/set", data=data, follow_redirects=False).status_code == 303
    assert reviewer_extraction(study, "r1", "rita") == {}


def test_suggested_statistics_are_shown_in_words_without_an_unstated_spread(study, login):
    rita = login("rita")
    text = "ALSFRS-R declined from 38.2 ± 4.1 to 33.0 ± 5.2 at 6 months in 19 patients."
    rita.post("/fulltext/1/upload", files={"file": ("t.txt", text.encode(), "text/plain")})
    page = rita.get("/extraction/r1", headers=HTML).text
    assert "before: 38.2 ± 4.1 (the sentence does not say SD or SEM), n = 19" in page
    assert "{&#39;label&#39;" not in page and "'dispersion_kind'" not in page


def test_repeated_controls_name_their_record(login):
    rita, ravi, olivia = login("rita"), login("ravi"), login("olivia")
    for rid in (1, 4):
        rita.vote(rid, "include")
        ravi.vote(rid, "exclude")
    olivia.post("/api/stages/title_abstract/unblind")
    page = olivia.get("/conflicts", headers=HTML).text
    for rid in (1, 4):
        for label in ("Decision", "Reason", "How", "Why"):
            assert f'{label}<span class="vh"> for record {rid}</span></label>' in page
        assert f'Resolve<span class="vh"> record {rid}</span>' in page


def test_an_error_page_says_what_happened_and_links_back_within_the_site(login):
    rita, ravi = login("rita"), login("ravi")
    for who in (rita, ravi):
        who.vote(1, "include")
    png = {"file": ("x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")}
    base = "http://testserver"
    for referer, back in [
        (f"{base}/fulltext?x=1", "/fulltext?x=1"),
        ("https://evil.example/fulltext", None),  # another site
        (f"{base}//evil.example/x", None),  # a path that would leave the site
        (f"{base}/\\evil.example/x", None),
    ]:
        r = rita.post("/fulltext/1/upload", files=png, headers={**HTML, "referer": referer})
        assert r.status_code == 415
        assert "<h1>File type not accepted" in r.text
        assert "only PDF or plain-text" in r.text
        links = re.findall(r'<a href="([^"]*)">Back to the page you came from', r.text)
        assert links == ([html.escape(back)] if back else []), referer
