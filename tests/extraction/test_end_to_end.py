"""End to end on SQLite and PostgreSQL: init -> import (PubMed XML + Scopus RIS, overlapping)
-> dual screening with a resolved conflict -> extraction by two reviewers, comparison,
consensus -> full text -> appraisal -> trial attach -> `report --project`; the report's
PRISMA counts are checked against counts worked out here from the input files and the
decisions made.

Screening goes through `alsreview decisions import` (each stage's votes as the alsreview
CSV), `alsreview unblind` and `alsreview conflicts --resolve`; appraisals are recorded with
`alsreview.example.apply_appraisals` (the library call the appraisal form makes).
"""

from __future__ import annotations

import csv
import html
import json
import re
from importlib import resources

import pytest

from alsreview.cli import main
from alsreview.example import apply_appraisals
from alsreview.records.model import normalise_doi
from alsreview.store import Project

from .pdfs import make_pdf

DATA = resources.files("alsreview.data").joinpath("example_project")


def run(*args: str) -> None:
    main(list(args))


def expected_counts(inputs) -> dict[str, int]:
    """PRISMA counts worked out from the files and decisions alone (not from the store)."""
    ris = (inputs / "scopus.ris").read_text(encoding="utf-8")
    xml = (inputs / "pubmed.xml").read_text(encoding="utf-8")
    n_ris = ris.count("TY  - ")
    n_xml = xml.count("<PubmedArticle>")
    doi_ris = {normalise_doi(d) for d in re.findall(r"^DO  - (\S+)", ris, re.M)}
    doi_xml = {normalise_doi(d) for d in re.findall(r'IdType="doi">([^<]+)<', xml)}
    duplicates = len(doi_ris & doi_xml)
    votes: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    with (inputs / "decisions.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            votes.setdefault((row["record"], row["stage"]), {})[row["reviewer"]] = (
                row["decision"],
                row["reason"],
            )

    def settled(key):
        v = votes.get(key, {})
        resolved = [d for d, _ in v.values() if d.startswith("resolve:")]
        if resolved:
            return resolved[0].split(":")[1], next(r for d, r in v.values() if d.startswith("r"))
        ds = {d for d, _ in v.values()}
        return (ds.pop(), next(iter(v.values()))[1]) if len(ds) == 1 and len(v) >= 2 else None

    records = {k[0] for k in votes}
    ta = {r: settled((r, "title_abstract")) for r in records}
    sought = [r for r, s in ta.items() if s and s[0] == "included"]
    ft = {r: settled((r, "full_text")) for r in sought}
    return {
        "Records identified: pubmed": n_xml,
        "Records identified: scopus": n_ris,
        "Duplicates removed": duplicates,
        "Records screened": n_ris + n_xml - duplicates,
        "Records excluded (title/abstract)": sum(
            1 for s in ta.values() if s and s[0] == "excluded"
        ),
        "Reports sought for retrieval": len(sought),
        "Reports not retrieved": sum(1 for s in ft.values() if s and s[0] == "not_retrieved"),
        "Reports assessed for eligibility": len(sought)
        - sum(1 for s in ft.values() if s and s[0] == "not_retrieved"),
        "Reports excluded: Not a clinical study in humans": sum(
            1 for s in ft.values() if s == ("excluded", "not_clinical_study")
        ),
        "Reports included": sum(1 for s in ft.values() if s and s[0] == "included"),
    }


def screen_through_the_cli(decisions, proj, tmp_path) -> None:
    """The example's decisions as per-stage CSVs of record ids, imported with the CLI; the
    conflict is resolved by a third reviewer after the owner unblinds the stage."""
    with Project.open(proj) as project:
        ids = {}
        for rid, rec in project.records(primary_only=True):
            ids[rec.title.strip()] = rid
            if rec.doi:
                ids[rec.doi] = rid
    rows: dict[str, list[list[str]]] = {"title_abstract": [], "full_text": []}
    resolutions = []
    with decisions.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rid = str(ids[row["record"]])
            if row["decision"].startswith("resolve:"):
                resolutions.append((row, rid))
            else:
                rows[row["stage"]].append([rid, row["reviewer"], row["decision"], row["reason"]])
    p = ["--project", str(proj)]
    for stage, votes in rows.items():
        path = tmp_path / f"{stage}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([["record_id", "reviewer", "decision", "reason"], *votes])
        run("decisions", "import", str(path), "--stage", stage, *p)
        for row, rid in resolutions:
            if row["stage"] != stage:
                continue
            run("unblind", stage, "--reviewer", "owner", *p)
            run(
                "conflicts",
                "--stage",
                stage,
                "--resolve",
                rid,
                "--decision",
                row["decision"].split(":")[1],
                "--why",
                "third reviewer",
                "--reason",
                row["reason"],
                "--reviewer",
                row["reviewer"],
                *p,
            )


def report_counts(index) -> dict[str, int]:
    page = index.read_text(encoding="utf-8")
    section = page[page.index('id="prisma-project"') :]
    section = section[: section.index("</table>")]
    return {
        html.unescape(label): int(value)
        for label, value in re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", section)
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request):
    return None if request.param == "sqlite" else request.getfixturevalue("pg_url")


@pytest.mark.slow
def test_every_stage_through_the_cli(tmp_path, db, capsys, monkeypatch):
    monkeypatch.setenv("ALSREVIEW_USER", "owner")  # who creates the project owns it
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name in (
        "pubmed.xml",
        "scopus.ris",
        "decisions.csv",
        "extraction_ann.json",
        "extraction_bob.json",
        "appraisals.json",
    ):
        (inputs / name).write_bytes(DATA.joinpath(name).read_bytes())
    proj = tmp_path / "review"
    p = ["--project", str(proj)]
    run("init", str(proj), *(["--db", db] if db else []))
    run("import", str(inputs / "pubmed.xml"), "--source", "pubmed", *p)
    run("import", str(inputs / "scopus.ris"), "--source", "scopus", *p)
    screen_through_the_cli(inputs / "decisions.csv", proj, tmp_path)

    run("extract", "add", str(inputs / "extraction_ann.json"), "--reviewer", "ann", *p)
    run("extract", "add", str(inputs / "extraction_bob.json"), "--reviewer", "bob", *p)
    capsys.readouterr()
    run("extract", "compare", "sykova2017", "--json", *p)
    (cmp,) = json.loads(capsys.readouterr().out)
    assert [f["field"] for f in cmp["fields"] if not f["agree"]] == ["patients_analysed"]
    run("extract", "consensus", "sykova2017", "--take", "patients_analysed=ann", *p)
    run("extract", "consensus", "petrou2016", "--take", "country=ann", *p)
    run("extract", "consensus", "oh2015", *p)  # equivalent doses agree through the parser
    run("extract", "consensus", "berry2019", *p)

    pdf = tmp_path / "sykova.pdf"
    pdf.write_bytes(make_pdf(["In total, 26 patients were enrolled.", "Table 2."]))
    run("fulltext", "add", "sykova2017", str(pdf), *p)
    capsys.readouterr()
    run("extract", "suggest", "--study", "sykova2017", "--json", *p)
    (sug,) = json.loads(capsys.readouterr().out)["suggestions"]
    assert (sug["field"], sug["value"], sug["page"]) == ("patients_enrolled", 26, 1)
    with Project.open(proj) as project:
        apply_appraisals(project, inputs / "appraisals.json")
    trial = tmp_path / "trial"
    run("trial", "example", str(trial))
    run("trial", "attach", str(trial), *p)
    run("extract", "export", "--out", str(tmp_path / "table.csv"), *p)
    run("report", "--project", str(proj), "--out", str(tmp_path / "report"))

    index = tmp_path / "report" / "index.html"
    assert (
        report_counts(index)
        == expected_counts(inputs)
        == {
            "Records identified: pubmed": 4,
            "Records identified: scopus": 7,
            "Duplicates removed": 2,
            "Records screened": 9,
            "Records excluded (title/abstract)": 4,
            "Reports sought for retrieval": 5,
            "Reports not retrieved": 0,
            "Reports assessed for eligibility": 5,
            "Reports excluded: Not a clinical study in humans": 1,
            "Reports included": 4,
        }
    )
    page = index.read_text(encoding="utf-8")
    for section in ("Risk of bias", "Trial analysis", "Included studies by cell type"):
        assert section in page
    assert page.count("<svg") >= 5
    # the consensus value, not bob's, is what the report shows for Syková's analysed patients
    with Project.open(proj) as project:
        from alsreview.extraction.review import project_evidence
        from alsreview.store.extractions import studies

        base = project_evidence(project).base
        linked = {st.id: st.record_ids for st in studies(project)}
    assert all(len(ids) == 1 for ids in linked.values()), linked  # linked by DOI on `add`
    assert base.study("sykova2017").patients_analysed.value == 23
    assert sorted(s.id for s in base.studies) == ["berry2019", "oh2015", "petrou2016", "sykova2017"]


@pytest.mark.slow
def test_example_command(tmp_path, capsys):
    run("example", str(tmp_path / "ex"))
    out = capsys.readouterr().out
    assert "4 studies extracted" in out
    index = tmp_path / "ex" / "report" / "index.html"
    counts = report_counts(index)
    assert counts["Records screened"] == 9 and counts["Reports included"] == 4
    assert expected_counts(tmp_path / "ex" / "inputs")["Records screened"] == 9


def test_trial_attach_refuses_a_bad_folder(tmp_path, capsys):
    proj = tmp_path / "review"
    run("init", str(proj))
    trial = tmp_path / "trial"
    run("trial", "example", str(trial))
    visits = trial / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines()
    visits.write_text("\n".join([lines[0], lines[1].replace(",", ",99,", 1), *lines[2:]]) + "\n")
    with pytest.raises(SystemExit) as exit_:
        run("trial", "attach", str(trial), "--project", str(proj))
    assert exit_.value.code == 1
    assert "visits.csv" in capsys.readouterr().err
    assert not (proj / "trial").exists()
    with Project.open(proj) as project:
        assert not [e for e in project.events() if e.action.startswith("trial.attach")]


@pytest.mark.slow
def test_living_update_uses_the_updated_review_layout(tmp_path):
    """After `start_update`, the project report counts the new round and shows the studies
    included in the previous version (PRISMA 2020 updated-review layout)."""
    from alsreview.example import build_example

    root = tmp_path / "ex"
    build_example(root)
    new = tmp_path / "update.ris"
    new.write_text(
        "TY  - JOUR\nAU  - Example, F.\nTI  - Stem cells in ALS: a second narrative review "
        "(example record)\nPY  - 2024\nER  - \n",
        encoding="utf-8",
    )
    with Project.open(root) as project:
        assert project.start_update() == 1
    run("import", str(new), "--source", "scopus", "--project", str(root))
    run("report", "--project", str(root), "--out", str(tmp_path / "r"))
    counts = report_counts(tmp_path / "r" / "index.html")
    assert counts["Reports included in the previous version"] == 4
    assert counts["Records identified: scopus"] == 1 and counts["Records screened"] == 1
    assert counts["Reports included"] == 0
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "PRISMA 2020 flow (update round 1)" in page
    assert "1 records at title/abstract" in page  # not yet screened, said so
