"""ClinicalTrials.gov API v2 study objects."""

import json
from pathlib import Path

import pytest

from alsreview.errors import ImportFormatError
from alsreview.records.ctgov import parse_ctgov_json, parse_study

DATA = Path(__file__).parent / "data"


def test_search_page():
    recs = parse_ctgov_json((DATA / "ctgov_v2_search.json").read_bytes(), "s.json")
    assert [r.nct_id for r in recs] == ["NCT03280056", "NCT01759797"]
    nurown = recs[0]
    assert nurown.title.startswith("A Phase 3, Randomized, Double-blind")
    assert nurown.year == 2017  # first posted 2017-09-13
    assert nurown.extra["phases"] == ["PHASE3"]
    assert nurown.extra["references"][0]["pmid"] == "34890069"
    assert "Motor Neuron Disease" in nurown.mesh_terms
    assert nurown.source == "clinicaltrials.gov" and nurown.source_id == "NCT03280056"
    assert recs[1].eudract_id == "2011-000362-35"
    assert recs[1].year == 2013


def test_single_study_object():
    page = json.loads((DATA / "ctgov_v2_search.json").read_text())
    rec = parse_study(page["studies"][1])
    assert rec.title.startswith("Phase I/IIa Trial")
    assert rec.url == "https://clinicaltrials.gov/study/NCT01759797"


@pytest.mark.parametrize(
    "payload",
    [
        b"{",
        b"[]",
        b'{"studies": 3}',
        b'{"protocolSection": {}}',
        b"[1, 2]",
        b'{"studies": [{"protocolSection": {"identificationModule": {"nctId": "NCT123"}}}]}',
    ],
)
def test_malformed(payload):
    with pytest.raises(ImportFormatError) as info:
        parse_ctgov_json(payload, "bad.json")
    assert "bad.json" in str(info.value)
