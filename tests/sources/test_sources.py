"""The five source clients against a local server that answers in the services' formats:
paging, date windows, field mapping, faults, PubMed's 10,000 split, checkpoints."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from .fakeservices import REAL

SOURCES = ["pubmed", "europepmc", "ctgov", "openalex", "crossref"]
LO, HI = dt.date(2013, 1, 1), dt.date(2024, 3, 1)
PAGE_PATH = {
    "pubmed": "/efetch.fcgi",
    "europepmc": "/epmc/search",
    "ctgov": "/ctgov/studies",
    "openalex": "/openalex/works",
    "crossref": "/crossref/works",
}


def in_window(services):
    return [w for w in services.works if LO <= w.pdat <= HI]


def dump(records):
    return [r.to_dict() for r in records]


@pytest.mark.parametrize("name", SOURCES)
def test_search_returns_every_record_in_the_window(name, make_source, services):
    src = make_source(name, page=7)
    result = src.search("amyotrophic lateral sclerosis AND stem cells", LO, HI)
    expected = in_window(services)
    assert 0 < len(expected) < len(services.works)  # the window really filters
    assert result.complete and result.run.count == len(expected) == len(result.records)
    assert (result.run.source, result.run.date_from, result.run.date_to) == (name, LO, HI)
    if name == "ctgov":
        assert {r.nct_id for r in result.records} == {w.nct for w in expected}
    else:
        assert {r.doi for r in result.records} == {w.doi.lower() for w in expected}


@pytest.mark.parametrize("name", SOURCES)
def test_fields_of_a_real_trial(name, make_source):
    title, _abbrev, _journal, doi, pdat, _vol, _issue, _pages, _authors, pmid = REAL[1]
    records = make_source(name, page=25).search("als", LO, HI).records
    if name == "ctgov":
        r = next(r for r in records if "Neurotrophic Factor" in r.title)
        assert r.nct_id and r.year == pdat.year and "ALSFRS-R" in r.abstract
        return
    r = next(r for r in records if r.doi == doi)
    assert r.title.rstrip(".") == title.rstrip(".")
    assert r.year == 2016 and r.volume == "73" and r.issue == "3"
    assert "Petrou" in r.authors[0]
    if name in ("pubmed", "europepmc", "openalex"):
        assert r.pmid == pmid
    if name == "pubmed":
        assert r.abstract_sections[0][0] == "BACKGROUND"
        assert r.journal_abbrev == "JAMA Neurol"
    if name == "openalex":
        # rebuilt from the inverted index, word order and punctuation intact
        assert r.abstract.startswith("Cell therapy in ALS & related motor neuron disease")
        assert "<no> deaths." in r.abstract
    if name == "crossref":
        assert r.abstract.startswith("Cell therapy in ALS & related")
        assert r.authors[0] == "Petrou, Panayiota"


FAULTS = ["429", "500", "truncate", "garbage", "503date", "slow", "429"]


@pytest.mark.parametrize("name", SOURCES)
def test_faults_do_not_change_the_records(name, make_source, services):
    clean = make_source(name, page=9).search("als", LO, HI)
    services.faults[PAGE_PATH[name]] = list(FAULTS)
    faulty_src = make_source(name, page=9)
    faulty = faulty_src.search("als", LO, HI)
    assert services.faults[PAGE_PATH[name]] == []  # every fault was served
    assert dump(faulty.records) == dump(clean.records)
    assert faulty.run.count == clean.run.count
    assert faulty_src.sleeps.count(7.0) == 2  # both Retry-After: 7 honoured


def test_pubmed_splits_windows_past_the_retrieval_limit(make_source, services):
    services.pubmed_limit = 15  # the real limit is 10,000; same logic, smaller numbers
    src = make_source("pubmed", page=10)
    src.retrieval_limit = 15
    result = src.search("als", dt.date(2012, 1, 1), dt.date(2025, 1, 1))
    assert len(services.works) == 60
    assert result.run.count == 60
    assert sorted(r.pmid for r in result.records) == sorted(w.pmid for w in services.works)
    searches = [q for p, q in services.requests if p.endswith("esearch.fcgi")]
    windows = [(q["mindate"], q["maxdate"]) for q in searches[1:]]
    assert len(windows) >= 4
    fetched = [q for p, q in services.requests if p.endswith("efetch.fcgi")]
    assert all(int(q["retstart"]) < 15 for q in fetched)  # never asked past the limit


def test_pubmed_without_split_sends_history_and_identification(make_source, services):
    src = make_source("pubmed", page=20, api_key="KEY", email="me@example.org")
    src.search("als", LO, HI)
    (path, q), *rest = services.requests
    assert path.endswith("esearch.fcgi")
    assert q["usehistory"] == "y" and q["datetype"] == "pdat"
    assert (q["mindate"], q["maxdate"]) == ("2013/01/01", "2024/03/01")
    assert (q["api_key"], q["tool"], q["email"]) == ("KEY", "alsreview", "me@example.org")
    fetches = [q for p, q in rest if p.endswith("efetch.fcgi")]
    assert [int(f["retstart"]) for f in fetches] == [0, 20, 40][: len(fetches)]
    assert all(f["WebEnv"] == fetches[0]["WebEnv"] for f in fetches)


def test_pubmed_expired_history_is_renewed(make_source, services):
    src = make_source("pubmed", page=10, checkpoint=True)
    partial = src.search("als", LO, HI, max_pages=1)
    assert not partial.complete and len(partial.records) == 10
    services.history.clear()  # the WebEnv expired while the search was interrupted
    full = make_source("pubmed", page=10, checkpoint=True).search("als", LO, HI)
    assert full.complete and len(full.records) == len(in_window(services))


@pytest.mark.parametrize("name", SOURCES)
def test_interrupted_search_resumes_without_duplicates(name, make_source, services, tmp_path):
    reference = make_source(name, page=8).search("als", LO, HI)
    services.requests.clear()
    first = make_source(name, page=8, checkpoint=True).search("als", LO, HI, max_pages=2)
    assert not first.complete and len(first.records) == 16
    # a crash between writing a page and saving the state: the page is on disk twice
    jsonl = next((tmp_path / "checkpoints").glob("*.jsonl"))
    lines = jsonl.read_text().splitlines()
    jsonl.write_text("\n".join(lines + lines[-8:]) + '\n{"title": "cut by the cr')
    resumed = make_source(name, page=8, checkpoint=True).search("als", LO, HI)
    assert resumed.complete
    assert dump(resumed.records) == dump(reference.records)
    pages = [q for p, q in services.requests if p.endswith(PAGE_PATH[name])]
    n_pages = -(-len(reference.records) // 8) + (name in ("openalex", "crossref"))
    assert len(pages) == n_pages  # no page fetched twice
    state = json.loads(next((tmp_path / "checkpoints").glob("*.json")).read_text())
    assert state["_done"] is True


def test_request_parameters_follow_each_api(make_source, services):
    make_source("europepmc", page=50, email="me@example.org").search("als", LO, HI)
    make_source("ctgov", page=50).search("als", LO, HI)
    make_source("openalex", page=50, api_key="OAKEY", mailto="me@example.org").search("als", LO, HI)
    make_source("crossref", page=50, mailto="me@example.org").search("als", LO, HI)
    first = {}
    for path, q in services.requests:
        first.setdefault(path.split("/")[1], q)
    epmc, ctgov, oa, cr = (first[k] for k in ("epmc", "ctgov", "openalex", "crossref"))
    assert epmc["query"] == "(als) AND (FIRST_PDATE:[2013-01-01 TO 2024-03-01])"
    assert (epmc["cursorMark"], epmc["resultType"], epmc["format"]) == ("*", "core", "json")
    assert ctgov["query.term"] == "(als) AND AREA[StudyFirstPostDate]RANGE[2013-01-01,2024-03-01]"
    assert ctgov["countTotal"] == "true" and "pageToken" not in ctgov
    assert oa["filter"] == "from_publication_date:2013-01-01,to_publication_date:2024-03-01"
    assert (oa["api_key"], oa["mailto"], oa["cursor"], oa["per_page"]) == (
        "OAKEY",
        "me@example.org",
        "*",
        "50",
    )
    assert cr["filter"] == "from-pub-date:2013-01-01,until-pub-date:2024-03-01"
    assert (cr["cursor"], cr["rows"], cr["mailto"]) == ("*", "50", "me@example.org")
    later = [q for p, q in services.requests if p.startswith("/ctgov")][1:]
    assert later and all("pageToken" in q for q in later)
