"""Hand-written exports of real ALS stem-cell papers (`data/handwritten_als.ris`): citations
from the seed reviews' reference lists (Blume et al. 2026, refs 26-37; Syková et al. 2017),
each written as PubMed, Scopus, Web of Science, Embase, Rayyan or a reference list prints it.
The RIS `ID` is `<reference>#<export>`; records with the same reference are duplicates.
`berry2018-abstract`, `cudkowicz2022-erratum` and `cudkowicz2022-comment` are constructed
must-not-merge neighbours (a conference abstract, an erratum and a comment), not real
citations.  Same-group papers (Petrou 2016/2021, Mazzini 2015/2019, Oh 2015/2018, Feldman
2014 / Riley 2014) must stay apart."""

from pathlib import Path

from alsreview.dedup import deduplicate
from alsreview.records import read_records

DATA = Path(__file__).parent / "data" / "handwritten_als.ris"


def test_handwritten_real_format_exports():
    recs = read_records(DATA)
    assert len(recs) == 31
    result = deduplicate(recs)
    found = sorted(sorted(recs[i].source_id for i in c.members) for c in result.clusters)
    by_ref: dict[str, list[str]] = {}
    for r in recs:
        by_ref.setdefault(r.source_id.split("#")[0], []).append(r.source_id)
    # every reference's exports form one cluster, except the e-pub copy of Cudkowicz 2022:
    # title and e-pub year only (no authors, volume or pages), so it goes to review
    expected = sorted(
        sorted(i for i in ids if i != "cudkowicz2022#epub") for ids in by_ref.values()
    )
    assert found == [c for c in expected if len(c) > 1]
    queued = {frozenset((recs[p.a].source_id, recs[p.b].source_id)) for p in result.review}
    assert frozenset(("cudkowicz2022#pubmed", "cudkowicz2022#epub")) in queued
