"""Extraction on a project (SQLite and PostgreSQL): studies from records, two reviewers'
forms, comparison, consensus, events, evidence-format import/export, CSV."""

from __future__ import annotations

import csv
import json

import pytest

from alsreview.errors import StoreError, ValidationError
from alsreview.evidence import load_evidence
from alsreview.extraction import review as rv
from alsreview.records.model import Record
from alsreview.store import extractions as xs


def _records():
    return [
        Record(
            title="Transplantation of mesenchymal stromal cells in patients with amyotrophic "
            "lateral sclerosis: results of phase I/IIa clinical trial",
            authors=["Syková, Eva", "Rychmach, Pavel"],
            journal="Cell Transplant",
            year=2017,
            doi="10.3727/096368916X693716",
            source="pubmed",
            source_id="1",
        ),
        Record(
            title="Phase I trial of repeated intrathecal autologous bone marrow-derived "
            "mesenchymal stromal cells in amyotrophic lateral sclerosis",
            authors=["Oh, Ki-Wook"],
            year=2015,
            doi="10.5966/sctm.2014-0212",
            source="pubmed",
            source_id="2",
        ),
    ]


@pytest.fixture
def included(project):
    project.import_records(_records(), source="pubmed", label="test")
    ids = [rid for rid, _ in project.records()]
    project.add_decisions([(r, "title_abstract", "included", None) for r in ids])
    project.add_decisions([(r, "full_text", "included", None) for r in ids])
    return project, ids


def f(value, where="Table 2"):
    return rv.fact(value, where)


def test_two_reviewers_compare_and_consensus(included):
    p, ids = included
    rv.add_study(p, "sykova2017", [ids[0]])
    for who, analysed, months in (("ann", 23, 18), ("bob", 26, 18.0)):
        rv.set_field(p, "sykova2017", "patients_enrolled", f(26), reviewer=who)
        rv.set_field(p, "sykova2017", "patients_analysed", f(analysed), reviewer=who)
        rv.set_field(p, "sykova2017", "follow_up_months", f(months, "Methods"), reviewer=who)
        rv.set_field(p, "sykova2017", "design", f("single-arm"), reviewer=who)
        rv.set_field(p, "sykova2017", "cell_type", f("BM-MSC"), reviewer=who)
        rv.set_field(p, "sykova2017", "routes", f(["IT"]), reviewer=who)
    rv.set_field(p, "sykova2017", "dose_per_administration", f("15 ± 4.5 × 10^6"), reviewer="ann")
    rv.set_field(
        p, "sykova2017", "dose_per_administration", f("1.5x10^7 ± 4.5x10^6"), reviewer="bob"
    )
    (cmp,) = rv.compare_study(p, "sykova2017")
    assert {d.field for d in cmp.disagreements} == {"patients_analysed"}
    assert len(cmp.fields) == 7

    # what a consensus must resolve: exactly the fields make_consensus refuses without help
    reviewers, open_ = rv.open_fields(p, "sykova2017")
    assert reviewers == ["ann", "bob"] and [o.field.path for o in open_] == ["patients_analysed"]
    assert {r: v["value"] for r, v in open_[0].values.items()} == {"ann": 23, "bob": 26}
    assert [(d.a, d.b, d.agree) for d in open_[0].differences] == [(23, 26, False)]
    with pytest.raises(ValidationError, match=r"patients_analysed disagrees \(ann: 23; bob: 26\)"):
        rv.make_consensus(p, "sykova2017")
    assert not [e for e in xs.current_extractions(p, "sykova2017") if e.kind == "consensus"]

    result = rv.make_consensus(p, "sykova2017", take={"patients_analysed": "ann"}, actor="carl")
    assert result.resolved == {"patients_analysed": "taken from ann"}
    assert result.data["patients_analysed"]["value"] == 23
    # bare locators were cited to the study's own report
    assert result.data["patients_enrolled"]["from"] == ["sykova2017: Table 2"]

    study = rv.project_evidence(p).base.study("sykova2017")
    assert study.patients_analysed.value == 23
    assert study.citation.doi == "10.3727/096368916x693716"
    assert study.dose.options[0].components[0].mean == pytest.approx(1.5e7)
    assert study.reviewed_in[0].review == "project"

    actions = [e.action for e in p.events()]
    assert actions.count("extraction.set") == 14
    assert actions.count("extraction.consensus") == 1
    set_events = [e for e in p.events() if e.action == "extraction.set"]
    assert set_events[1].details["field"] == "patients_analysed"
    assert set_events[1].actor == "ann"
    # every save is a new version; nothing is updated in place
    assert len(xs.extraction_history(p, "sykova2017")) == 15


def test_consensus_list_value_is_cited_like_set_field(included):
    p, ids = included
    rv.add_study(p, "sykova2017", [ids[0]])
    ae = {"term": "headache", "serious": False, "n_events": 4, "from": ["Table 3"]}
    for who, n in (("ann", 3), ("bob", 4)):
        rv.set_field(p, "sykova2017", "safety.adverse_events", [ae | {"n_patients": n}],
                     reviewer=who)  # fmt: skip
    with pytest.raises(ValidationError, match="resolve each with --take"):
        rv.make_consensus(p, "sykova2017")
    bad = {"safety.adverse_events": [ae | {"n_patients": "three"}]}
    with pytest.raises(ValidationError, match="n_patients") as refused:
        rv.make_consensus(p, "sykova2017", values=bad)
    assert "resolve each" not in str(refused.value)  # nothing unresolved: no hint
    good = {"safety.adverse_events": [ae | {"n_patients": 3}]}
    result = rv.make_consensus(p, "sykova2017", values=good)
    (saved,) = result.data["safety"]["adverse_events"]
    assert saved["from"] == ["sykova2017: Table 3"] and saved["n_patients"] == 3


def test_invalid_values_refused_before_storing(included):
    p, ids = included
    rv.add_study(p, "sykova2017", [ids[0]])
    with pytest.raises(ValidationError, match="unknown route 'intranasal'"):
        rv.set_field(p, "sykova2017", "routes", f(["intranasal"]), reviewer="ann")
    with pytest.raises(ValidationError, match=r"cannot read dose '1\.5x\*7'"):
        rv.set_field(p, "sykova2017", "dose_per_administration", f("1.5x*7"), reviewer="ann")
    with pytest.raises(ValidationError, match="patients_enrolled"):
        rv.set_field(p, "sykova2017", "patients_enrolled", f("many"), reviewer="ann")
    with pytest.raises(ValidationError, match="unknown extraction field 'colour'"):
        rv.set_field(p, "sykova2017", "colour", f("red"), reviewer="ann")
    assert xs.extraction_history(p, "sykova2017") == []


def test_study_id_not_in_project(included):
    p, _ = included
    with pytest.raises(StoreError, match="no study 'nosuch' in this project"):
        rv.set_field(p, "nosuch", "patients_enrolled", f(3), reviewer="ann")
    with pytest.raises(StoreError, match="no study 'nosuch'"):
        rv.make_consensus(p, "nosuch")


def test_records_link_rules(included):
    p, ids = included
    rv.add_study(p, "sykova2017", [ids[0]])
    with pytest.raises(StoreError, match="already belongs to study sykova2017"):
        rv.add_study(p, "other", [ids[0]])
    with pytest.raises(StoreError, match="no record 999"):
        rv.add_study(p, "other", [999])
    with pytest.raises(StoreError, match="must be 1-64 lower-case"):
        rv.add_study(p, "Bad Id", [ids[1]])
    assert [s.id for s in xs.studies(p)] == ["sykova2017"]


def _bundled_file(tmp_path, ids=None):
    doc = json.loads(load_evidence(None).model_dump_json(by_alias=True, exclude_unset=True))
    if ids is not None:
        doc["studies"] = [s for s in doc["studies"] if s["id"] in ids]
        doc["reviews"] = []
    path = tmp_path / "entries.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path, doc


def test_add_and_export_round_trip_the_bundled_studies(included, tmp_path):
    """Every bundled study loaded as consensus comes back out with the same facts."""
    p, ids = included
    path, _ = _bundled_file(tmp_path)
    added = rv.add_entries(p, path, consensus=True, reviewer="curator")
    assert len(added) == 21
    # linked to the project's records by DOI
    linked = {s.id: s.record_ids for s in xs.studies(p)}
    assert linked["sykova2017"] == (ids[0],)
    assert linked["oh2015"] == (ids[1],)
    out = tmp_path / "export.json"
    pe = rv.export_json(p, out)
    assert pe.pending == ()
    again = load_evidence(out)
    bundled = load_evidence(None)
    assert [s.id for s in again.studies] == [s.id for s in bundled.studies]
    for mine, theirs in zip(again.studies, bundled.studies, strict=True):
        assert mine == theirs, mine.id
    assert set(bundled.sources) < set(again.sources)


def test_add_refuses_a_schema_breaking_file_as_a_whole(included, tmp_path):
    p, _ = included
    path, doc = _bundled_file(tmp_path, ids={"sykova2017", "oh2015"})
    doc["studies"][1]["patients_enrolled"]["value"] = "many"
    doc["studies"][0]["routes"]["value"] = ["IT", "nasal"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        rv.add_entries(p, path)
    text = str(err.value)
    assert "2 problems" in text or "problems" in text
    assert "patients_enrolled" in text and "unknown route 'nasal'" in text
    assert xs.studies(p) == [] and xs.current_extractions(p) == []


def test_add_refuses_uncited_papers(included, tmp_path):
    p, _ = included
    path, doc = _bundled_file(tmp_path, ids={"sykova2017"})
    del doc["sources"]["khalid2023"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationError, match="unknown paper 'khalid2023'"):
        rv.add_entries(p, path)
    assert xs.studies(p) == []


def test_export_skips_undecided_studies_and_says_why(included):
    p, ids = included
    rv.add_study(p, "sykova2017", [ids[0]])
    rv.add_study(p, "oh2015", [ids[1]])
    rv.set_field(p, "oh2015", "patients_enrolled", f(60), reviewer="ann")
    rv.set_field(p, "oh2015", "patients_enrolled", f(60), reviewer="bob")
    pe = rv.project_evidence(p)
    assert pe.base.studies == []
    assert pe.pending == (
        "sykova2017: no extraction yet",
        "oh2015: 2 reviewers' extractions and no consensus",
    )


def test_csv_table(included, tmp_path):
    p, ids = included
    rv.add_study(p, "sykova2017", [ids[0]])
    rv.set_field(p, "sykova2017", "routes", f(["IT", "IV"]), reviewer="ann")
    rv.set_field(p, "sykova2017", "country", f("=HYPERLINK(1)"), reviewer="ann")
    rv.set_field(p, "sykova2017", "patients_enrolled", f(26), reviewer="bob")
    out = tmp_path / "table.csv"
    assert rv.export_csv(p, out) == 2
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [r["version"] for r in rows] == ["reviewer: ann", "reviewer: bob"]
    assert rows[0]["routes"] == "IT+IV"
    assert rows[0]["country"] == "'=HYPERLINK(1)"
    assert rows[1]["patients_enrolled"] == "26"
    assert rows[1]["patients_enrolled [from]"] == "sykova2017: Table 2"


def test_the_protocol_chooses_the_fields(tmp_path):
    from alsreview.protocol import bundled_protocol_text
    from alsreview.store import Project

    text = bundled_protocol_text() + '\n[extraction]\nfields = ["patients_enrolled", "routes"]\n'
    p = Project.create(tmp_path / "p", protocol_text=text)
    try:
        p.import_records(_records(), source="pubmed", label="t")
        rid = p.records()[0][0]
        rv.add_study(p, "sykova2017", [rid])
        for who, n, country in (("ann", 26, "Czech Republic"), ("bob", 25, "Poland")):
            rv.set_field(p, "sykova2017", "patients_enrolled", f(n), reviewer=who)
            rv.set_field(p, "sykova2017", "country", f(country), reviewer=who)
        (cmp,) = rv.compare_study(p, "sykova2017")
        assert [x.field for x in cmp.fields] == ["patients_enrolled"]  # country not a field
        assert [c for c in rv.extraction_table(p)[0] if not c.endswith("[from]")] == [
            "study_id",
            "label",
            "version",
            "patients_enrolled",
            "routes",
        ]
    finally:
        p.close()
    bad = bundled_protocol_text() + '\n[extraction]\nfields = ["patients_enrolled", "colour"]\n'
    q = Project.create(tmp_path / "q", protocol_text=bad)
    try:
        with pytest.raises(
            ValidationError, match=r"protocol\.toml.*unknown extraction field 'colour'"
        ):
            rv.review_fields(q)
    finally:
        q.close()
