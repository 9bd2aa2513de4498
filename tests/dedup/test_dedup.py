"""Deduplication: identifiers, fuzzy matching, kinds that must not merge, clusters, review."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alsreview.cli import app
from alsreview.dedup import deduplicate, match_existing, normalise_title, surname
from alsreview.records import Record, read_records

DATA = Path(__file__).parents[1] / "records" / "data"


def rec(**kw) -> Record:
    base = dict(
        title="Safety and Clinical Effects of Mesenchymal Stem Cells Secreting Neurotrophic "
        "Factor Transplantation in Patients With Amyotrophic Lateral Sclerosis: Results of "
        "Phase 1/2 and 2a Clinical Trials.",
        authors=["Petrou, Panayiota", "Gothelf, Yael", "Argov, Zohar"],
        journal="JAMA neurology",
        year=2016,
        volume="73",
        issue="3",
        pages="337-44",
    )
    base.update(kw)
    return Record(**base)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Petrou, Panayiota", "petrou"),
        ("Petrou P", "petrou"),
        ("Petrou, P.", "petrou"),
        ("P Petrou", "petrou"),
        ("E J Reimer", "reimer"),
        ("Reimer EJ", "reimer"),
        ("REIMER, E. J.", "reimer"),
        ("Panayiota Petrou", "petrou"),
        ("Le Chevalier T", "lechevalier"),
        ("T Le Chevalier", "lechevalier"),
        ("Syková, Eva", "sykova"),
        ("Ruiz-López FJ", "ruizlopez"),
        ("Berry J.D.", "berry"),
    ],
)
def test_surname_any_order(name, expected):
    assert surname(name) == expected


def test_normalise_title_entities_markup_diacritics():
    assert normalise_title("Motor neuron <i>SOD1</i> &amp; CD34<sup>+</sup> cells: an update.") == (
        "motor neuron sod1 and cd34 cells an update"
    )
    assert normalise_title("[Syková&#39;s Trial]") == normalise_title("SYKOVA'S TRIAL")


def test_same_article_from_four_exports_is_one_cluster():
    recs = (
        read_records(DATA / "pubmed_efetch.xml")
        + read_records(DATA / "pubmed_citations.nbib")
        + read_records(DATA / "scopus.ris")
        + read_records(DATA / "ovid_embase.ris")
    )
    result = deduplicate(recs)
    petrou = [i for i, r in enumerate(recs) if r.title.lower().startswith("safety and clinical")]
    assert len(petrou) == 4
    cluster = next(c for c in result.clusters if petrou[0] in c.members)
    assert sorted(cluster.members) == petrou
    assert all(m.reason.startswith("same PMID") for m in cluster.merges)
    # the erratum (PMID 99000001) is not merged with its paper (99000002)
    pmids_in_clusters = {recs[i].pmid for c in result.clusters for i in c.members}
    assert "99000001" not in pmids_in_clusters and "99000002" not in pmids_in_clusters
    # the Embase conference abstract of the NurOwn trial is not merged with the paper
    conf = next(i for i, r in enumerate(recs) if "Conference Abstract" in r.publication_types)
    assert result.cluster_of[conf] == -1


def test_fuzzy_match_across_export_differences():
    pubmed = rec(doi="10.1001/jamaneurol.2015.4321", keywords=["ALS"])
    wos = rec(
        title="SAFETY AND CLINICAL EFFECTS OF MESENCHYMAL STEM CELLS SECRETING NEUROTROPHIC "
        "FACTOR TRANSPLANTATION IN PATIENTS WITH AMYOTROPHIC LATERAL SCLEROSIS - RESULTS OF "
        "PHASE 1/2 AND 2A CLINICAL TRIALS",
        authors=["PETROU, P", "GOTHELF, Y"],
        journal="JAMA NEUROLOGY",
        pages="337-344",
        year=2015,  # e-pub year
        keywords=["mesenchymal stem cells"],
    )
    result = deduplicate([pubmed, wos])
    (cluster,) = result.clusters
    assert cluster.merges[0].reason.startswith("fuzzy: title")
    assert cluster.primary == 0  # the more complete record
    assert cluster.record.doi == "10.1001/jamaneurol.2015.4321"
    assert cluster.record.keywords == ["ALS", "mesenchymal stem cells"]


def test_doi_as_url_matches():
    a = rec(doi="https://doi.org/10.1001/JAMANEUROL.2015.4321", title="Short title")
    b = rec(doi="10.1001/jamaneurol.2015.4321", title="Short title.")
    (cluster,) = deduplicate([a, b]).clusters
    assert cluster.merges[0].reason == "same DOI: 10.1001/jamaneurol.2015.4321"


@pytest.mark.parametrize(
    ("other", "why"),
    [
        (dict(title="Erratum: " + rec().title, publication_types=["Published Erratum"],
              pages="1000"), "erratum"),
        (dict(title="Comment on: " + rec().title, publication_types=["Comment"]), "comment"),
        (dict(publication_types=["Conference Abstract"], pages="S12"), "conference"),
        (dict(title=rec().title.replace("Phase 1/2 and 2a", "Phase 3")), "different phase"),
        (dict(pmid="123", doi=None), "different PMIDs"),
        (dict(year=2010), "year differs by six"),
        (dict(pages="600-10"), "different first page"),
    ],
    ids=["erratum", "comment", "conference", "phase", "pmid", "year", "pages"],
)  # fmt: skip
def test_not_duplicates(other, why):
    paper = rec(pmid="26751635", publication_types=["Journal Article"])
    result = deduplicate([paper, rec(**other)])
    assert result.clusters == (), why


def test_identical_title_different_pmids_goes_to_review():
    result = deduplicate([rec(pmid="26751635"), rec(pmid="26751636")])
    assert result.clusters == ()
    (pair,) = result.review
    assert "different PMIDs" in pair.reason


def test_shared_supplement_doi_with_different_titles_not_merged():
    doi = "10.1080/21678421.2019.1646994"
    a = rec(
        doi=doi, title="Motor unit number index in ALS", publication_types=["Conference Abstract"]
    )
    b = rec(
        doi=doi,
        title="Plasma neurofilament light in early ALS",
        publication_types=["Conference Abstract"],
    )
    result = deduplicate([a, b])
    assert result.clusters == ()
    assert "same DOI" in result.review[0].reason


def test_cluster_never_holds_two_pmids():
    # a record without ids resembles two records with different PMIDs: it may join one only
    recs = [rec(pmid="1"), rec(), rec(pmid="2")]
    result = deduplicate(recs)
    assert len(result.clusters) == 1
    assert {recs[i].pmid for i in result.clusters[0].members} in ({"1", None}, {"2", None})
    assert any("different PMIDs" in p.reason for p in result.review)


def test_short_title_needs_more_than_title():
    a = rec(title="Carvedilol.", authors=[], pages="", volume="")
    b = rec(title="Carvedilol", authors=[], pages="", volume="")
    assert deduplicate([a, b]).clusters == ()
    c = rec(title="Carvedilol.", authors=["Frishman WH"], volume="12", pages="100-9")
    d = rec(title="CARVEDILOL", authors=["Frishman, W. H."], volume="12", pages="100-109")
    assert len(deduplicate([c, d]).clusters) == 1


def test_unique_records_and_summary():
    recs = [rec(pmid="1"), rec(pmid="1"), rec(title="Something else entirely", pmid="2")]
    result = deduplicate(recs)
    assert result.n_duplicates_removed == 1 and result.n_unique == 2
    assert len(result.unique_records(recs)) == 2
    assert "3 records -> 2 unique" in result.summary()
    assert result.duplicate_pairs() == {(0, 1)}


def test_match_existing_for_living_updates():
    existing = [rec(pmid="26751635"), rec(title="Another trial of neural stem cells", pmid="5")]
    new = [rec(title=rec().title.upper(), pmid=None), rec(title="A brand new trial", pmid="9")]
    found = match_existing(new, existing)
    assert list(found) == [0] and found[0][0] == 0


def test_cli_dedup_json_on_csv(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text(
        "record_id,title,authors,year,doi\n"
        "101,Human neural stem cell transplantation in ALS: initial results from a phase I "
        "trial,Mazzini L; Gelati M,2015,10.1186/s12967-014-0371-2\n"
        "102,HUMAN NEURAL STEM CELL TRANSPLANTATION IN ALS - INITIAL RESULTS FROM A PHASE I "
        'TRIAL,"Mazzini, L.; Gelati, M.",2015,\n'
        "103,Intraspinal neural stem cell transplantation in amyotrophic lateral sclerosis,"
        "Feldman EL,2014,10.1002/ana.24113\n"
        "104,Results from phase I clinical trial with intraspinal injection of neural stem "
        "cells,Mazzini L,2019,10.1002/sctm.18-0154\n"
        "105,Results From Phase I Clinical Trial With Intraspinal Injection Of Neural Stem "
        'Cells.,"Mazzini, Letizia",2019,https://doi.org/10.1002/SCTM.18-0154\n'
    )
    out = CliRunner().invoke(app, ["dedup", str(path), "--json"])
    assert out.exit_code == 0, out.output
    # ids are JSON strings always, as written in the file
    assert json.loads(out.output) == {"clusters": [["101", "102"], ["104", "105"]]}


def test_cli_dedup_json_ids_are_strings_even_with_leading_zeros(tmp_path):
    path = tmp_path / "records.csv"
    title = "Human neural stem cell transplantation in ALS: initial results from a phase I trial"
    path.write_text(
        "record_id,title,authors,year\n"
        f"007,{title},Mazzini L,2015\n"
        f'7,{title.upper()},"Mazzini, L.",2015\n'
        "x-3,Something else,Feldman EL,2014\n"
    )
    out = CliRunner().invoke(app, ["dedup", str(path), "--json", "--review"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["clusters"] == [["007", "7"]]
    assert all(isinstance(i, str) for c in data["clusters"] for i in c)


def test_cli_dedup_bad_file_is_a_clean_error(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.ris"
    bad.write_text("TY  - JOUR\nTI  - unterminated\n")
    proc = subprocess.run(
        [sys.executable, "-m", "alsreview", "dedup", str(bad), "--json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "bad.ris" in proc.stderr and "record 1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_title_without_subtitle_merges_only_with_author_and_year():
    full = rec(
        title="Intraspinal neural stem cell transplantation in amyotrophic lateral sclerosis: "
        "first results of the multicentre open-label trial",
        authors=["Feldman EL"],
        volume="",
        pages="",
    )
    cut = rec(
        title="Intraspinal neural stem cell transplantation in amyotrophic lateral sclerosis",
        authors=["Feldman, Eva L."],
        volume="",
        pages="",
    )
    (cluster,) = deduplicate([full, cut]).clusters
    assert "cut short" in cluster.merges[0].reason
    other_author = rec(title=cut.title, authors=["Glass JD"], volume="", pages="")
    assert deduplicate([full, other_author]).clusters == ()


def test_surname_with_particle_initials():
    assert surname("Tirpitz Cv") == surname("Tirpitz, C. v.") == "tirpitz"
    assert surname("X Li") == surname("Li X") == "li"


def test_chain_of_one_character_edits_does_not_drift():
    """Issue 8 finding: titles each one character from the previous one used to form one
    cluster of 193 records only 29% alike (single linkage).  Every member must now be near
    its cluster's primary."""
    import random

    from rapidfuzz.distance import Indel

    rng = random.Random(8)
    letters = "abcdefghijklmnopqrstuvwxyz"
    title = list("intrathecal mesenchymal stromal cells in amyotrophic lateral sclerosis trial")
    recs = []
    for _ in range(193):
        k = rng.randrange(len(title))
        if title[k] != " ":
            title[k] = rng.choice(letters)
        recs.append(rec(title="".join(title), pages="", volume=""))
    result = deduplicate(recs)
    assert result.clusters  # neighbours still merge
    for c in result.clusters:
        primary = normalise_title(recs[c.primary].title)
        for i in c.members:
            assert Indel.normalized_similarity(normalise_title(recs[i].title), primary) >= 0.8
    assert max(len(c.members) for c in result.clusters) < 60
    assert any("from the primary" in p.reason for p in result.review)
