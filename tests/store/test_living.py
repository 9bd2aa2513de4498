"""Living updates end to end: protocol searches against a local server answering like PubMed
and Europe PMC, screening decisions, an update round that adds only new records, and the
PRISMA 2020 counts (new-review and updated-review layouts) read back from the store."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from alsreview.sources.http import HttpClient
from alsreview.store import Project
from alsreview.store.living import run_searches
from alsreview.store.prisma import prisma_counts
from sources.fakeservices import FakeServices, Server, Work, corpus

LO, HI = dt.date(2013, 1, 1), dt.date(2020, 12, 31)
PROTOCOL = f"""
[review]
title = "MSC in ALS"
question = "Do stem cells slow ALSFRS-R decline?"
date_from = {LO}
date_to = {HI}

[pico]
population = "ALS"
intervention = "stem cells"
outcomes = ["ALSFRS-R"]

[[search]]
source = "pubmed"
query = "(amyotrophic lateral sclerosis) AND (stem cells)"

[[search]]
source = "europepmc"
query = "\\"amyotrophic lateral sclerosis\\" AND \\"stem cell\\""

[[search]]
source = "scopus"
query = "TITLE-ABS-KEY(als AND stem cells)"

[criteria]
inclusion = ["clinical study in humans"]

[[exclusion_reason]]
code = "animal"
label = "Animal study only"

[[exclusion_reason]]
code = "no_outcome"
label = "No ALSFRS-R outcome"
"""


@pytest.fixture
def setup(tmp_path, backend):
    services = FakeServices(corpus(60))
    with Server(services) as server:
        project = Project.create(tmp_path / "p", url=backend, protocol_text=PROTOCOL)
        urls = {"pubmed": server.url + "/eutils", "europepmc": server.url + "/epmc"}

        def search(**kw):
            return run_searches(
                project,
                base_urls=urls,
                http_factory=lambda name: HttpClient(rate=1000, sleep=lambda s: None),
                **kw,
            )

        yield project, services, search
        project.close()


def test_first_search_then_update_adds_only_new_records(setup):
    project, services, search = setup
    in_window = [w for w in services.works if LO <= w.pdat <= HI]
    n0 = len(in_window)
    assert 10 < n0 < 60

    outcomes = search()
    assert [o.run.source for o in outcomes] == ["pubmed", "europepmc"]  # scopus: import only
    pubmed, epmc = (o.imported for o in outcomes)
    assert (pubmed.n_records, pubmed.n_new, pubmed.n_duplicates) == (n0, n0, 0)
    # Europe PMC finds the same papers: all linked to the PubMed records
    assert (epmc.n_records, epmc.n_new, epmc.n_duplicates) == (n0, 0, n0)
    queue = project.screening_queue()
    assert len(queue) == n0
    log = project.search_log()
    assert [(e.source, e.count, e.retrieved, e.date_from, e.date_to) for e in log] == [
        ("pubmed", n0, n0, str(LO), str(HI)),
        ("europepmc", n0, n0, str(LO), str(HI)),
    ]

    # screening: 4 excluded on title/abstract, the rest to full text, where 1 report is
    # not retrieved, 2 are excluded (animal, no outcome) and the others included
    ids = [rid for rid, _ in queue]
    ta = [(rid, "title_abstract", "excluded", None) for rid in ids[:4]]
    ta += [(rid, "title_abstract", "included", None) for rid in ids[4:]]
    ft = [(ids[4], "full_text", "not_retrieved", None)]
    ft += [
        (ids[5], "full_text", "excluded", "animal"),
        (ids[6], "full_text", "excluded", "no_outcome"),
    ]
    ft += [(rid, "full_text", "included", None) for rid in ids[7:]]
    project.add_decisions(ta + ft, reviewer="JAB")
    first = prisma_counts(project)
    assert first.identified == {"pubmed": n0, "europepmc": n0}
    assert (first.duplicates_removed, first.screened, first.excluded_screening) == (n0, n0, 4)
    assert (first.sought, first.not_retrieved, first.assessed) == (n0 - 4, 1, n0 - 5)
    assert first.excluded_reasons == {"animal": 1, "no_outcome": 1}
    assert first.included == n0 - 7 and first.awaiting_screening == 0
    flow = first.to_flow()
    assert flow.inconsistencies() == []
    assert flow.reports_excluded == {"Animal study only": 1, "No ALSFRS-R outcome": 1}
    assert dict(flow.databases) == {"PubMed": n0, "Europe PMC": n0}
    assert flow.records_identified == 2 * n0

    # a year later: five new papers appeared, and an old one got a new publication date
    today = dt.date.today()
    template = services.works[-1]
    new_works = [
        dataclasses.replace(
            template,
            pmid=str(95000000 + k),
            doi=f"10.1002/acn3.{70000 + k}",
            title=f"Repeated intrathecal MSC in ALS: extension study {k}.",
            pdat=today - dt.timedelta(days=k + 1),
        )
        for k in range(5)
    ]
    copy: Work = dataclasses.replace(in_window[0], pdat=today - dt.timedelta(days=3))
    services.works.extend([*new_works, copy])
    assert project.start_update() == 1
    update = search()
    up, ep = (o.imported for o in update)
    assert update[0].run.date_from == today - dt.timedelta(days=30)
    assert update[0].run.date_to is None
    # the re-dated paper was retrieved by both searches before; Europe PMC's five new
    # papers are duplicates of this round's PubMed records
    assert (up.n_records, up.n_new, up.n_duplicates, up.n_already_retrieved) == (6, 5, 0, 1)
    assert (ep.n_records, ep.n_new, ep.n_duplicates, ep.n_already_retrieved) == (6, 0, 5, 1)
    assert {r.pmid for _, r in project.screening_queue()} == {w.pmid for w in new_works}
    assert {r.pmid for _, r in project.screening_queue(round=1)} == {w.pmid for w in new_works}

    # running the same update again adds nothing
    (again,) = (o.imported for o in search(sources=["pubmed"]))
    assert (again.n_records, again.n_new, again.n_already_retrieved) == (6, 0, 6)
    assert len(project.screening_queue()) == 5

    new_ids = [rid for rid, _ in project.screening_queue()]
    project.add_decisions(
        [(rid, "title_abstract", "included", None) for rid in new_ids]
        + [(rid, "full_text", "included", None) for rid in new_ids[:3]]
        + [(rid, "full_text", "excluded", "animal") for rid in new_ids[3:]]
    )
    upd = prisma_counts(project, round=1)
    assert upd.identified == {"pubmed": 12, "europepmc": 6}
    assert (upd.duplicates_removed, upd.screened, upd.included) == (13, 5, 3)
    assert upd.previous_included == n0 - 7 and upd.total_included == n0 - 4
    uflow = upd.to_flow()
    assert uflow.is_update and uflow.previous.studies_included == n0 - 7
    assert uflow.inconsistencies() == []
    actions = [e.action for e in project.events()]
    assert actions.count("import.search") == 5 and "round.start" in actions
