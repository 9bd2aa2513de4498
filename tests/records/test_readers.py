"""Readers on hand-written exports in the exact layouts of each database/reference manager."""

from pathlib import Path

import pytest

from alsreview.records import read_records, sniff_format

DATA = Path(__file__).parent / "data"
PETROU_DOI = "10.1001/jamaneurol.2015.4321"


def read(name):
    return read_records(DATA / name)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("pubmed_efetch.xml", "pubmed_xml"),
        ("endnote_export.xml", "endnote_xml"),
        ("pubmed_citations.nbib", "medline"),
        ("scopus.ris", "ris"),
        ("zotero.bib", "bibtex"),
        ("rayyan_export.csv", "csv"),
        ("asreview_export.tsv", "tsv"),
        ("ctgov_v2_search.json", "ctgov"),
    ],
)
def test_sniffing_by_extension_and_content(name, fmt):
    data = (DATA / name).read_bytes()
    assert sniff_format(data, name) == fmt
    if fmt not in ("tsv",):  # a .txt name forces content sniffing
        assert sniff_format(data, "export.txt") == fmt


def test_scopus_ris_pmid_in_c2():
    recs = read("scopus.ris")
    assert [r.pmid for r in recs] == ["26751635", "34890069"]
    assert recs[0].doi == PETROU_DOI
    assert recs[0].journal == "JAMA Neurology" and recs[0].journal_abbrev == "JAMA Neurol."
    assert recs[0].pages == "337-344"
    assert recs[0].notes.startswith("Cited By: 180")


def test_ovid_embase_single_space_tags_n2_abstract_doi_in_l2():
    recs = read("ovid_embase.ris")
    petrou, abstract = recs
    assert petrou.title.startswith("Safety and clinical effects")
    assert petrou.abstract.startswith("IMPORTANCE:")
    assert petrou.doi == PETROU_DOI  # only as http://dx.doi.org/... in L2
    assert petrou.pmid == "26751635"  # from 'ID - 26751635 [http://www.ncbi...]'
    assert petrou.year == 2016  # 'Y1 - 2016//'
    assert "Conference Abstract" in abstract.publication_types
    assert abstract.issue == "Supplement 1"


def test_endnote_ris_bom_crlf_continuations_and_rayyan_votes():
    sykova, mazzini = read("endnote_bom_crlf.ris")
    assert sykova.authors[0] == "Syková, E."  # BOM stripped, UTF-8 kept
    assert sykova.abstract.endswith("the Appel scale for 18 months.")
    assert "\r" not in sykova.abstract
    assert sykova.journal == "Cell Transplant" and sykova.journal_abbrev == "Cell transplantation"
    assert mazzini.doi == "10.1186/s12967-014-0371-2"  # from a https://doi.org URL
    assert mazzini.pmcid == "PMC4359401"
    assert mazzini.decision == "maybe"  # Included + Maybe
    assert mazzini.labels == ["neural stem cells", "phase 1"]


def test_wos_ris():
    (berry,) = read("wos.ris")
    assert berry.extra["accession_number"] == "WOS:000507355000012"
    assert berry.source_id == "1"  # no ID tag: the position in the file
    assert berry.journal_abbrev == "Neurology"
    assert berry.year == 2019 and berry.pages == "E2294-E2305"


def test_rayyan_ris_decisions_and_reasons():
    oh, feldman = read("rayyan.ris")
    assert (oh.decision, oh.labels) == ("included", ["MSC", "intrathecal"])
    assert feldman.decision == "excluded"
    assert feldman.extra["exclusion_reasons"] == ["review article"]


def test_medline_nbib():
    petrou, alsfrs = read("pubmed_citations.nbib")
    assert petrou.title.endswith("Results of Phase 1/2 and 2a Clinical Trials.")
    assert [s[0] for s in petrou.abstract_sections] == [
        "IMPORTANCE", "OBJECTIVE", "DESIGN, SETTING, AND PARTICIPANTS", "CONCLUSIONS AND RELEVANCE"
    ]  # fmt: skip
    assert petrou.authors[0] == "Petrou, Panayiota"
    assert petrou.nct_id == "NCT01051882"
    assert petrou.mesh_terms == [
        "Amyotrophic Lateral Sclerosis",
        "Mesenchymal Stem Cell Transplantation",
    ]
    assert alsfrs.authors == ["Cedarbaum, J M", "Stambler, N", "BDNF ALS Study Group (Phase III)"]
    assert alsfrs.extra["comments_corrections"][0]["type"] == "ErratumIn"
    assert alsfrs.year == 1999 and alsfrs.doi == "10.1016/s0022-510x(99)00210-5"


def test_same_article_from_three_sources_agrees():
    xml = read("pubmed_efetch.xml")[0]
    nbib = read("pubmed_citations.nbib")[0]
    ris = read("scopus.ris")[0]
    for rec in (nbib, ris):
        assert (rec.pmid, rec.doi, rec.year, rec.volume, rec.issue) == (
            xml.pmid,
            xml.doi,
            xml.year,
            xml.volume,
            xml.issue,
        )
    assert xml.abstract_sections == nbib.abstract_sections


def test_bibtex_latex_accents_and_pages():
    mazzini, sykova, baloh = read("zotero.bib")
    assert mazzini.authors[-1] == "Sorarù, Gianni"
    assert sykova.authors[-1] == "Konrádová, Šimona"
    assert mazzini.pages == "887-897"
    assert mazzini.title.startswith("Results from Phase I Clinical Trial")
    assert baloh.publication_types == ["Conference Paper"] and baloh.journal == "Nature Medicine"


def test_endnote_xml_style_runs_and_notes():
    glass, feldman = read("endnote_export.xml")
    assert glass.pmid == "27358335" and glass.doi == "10.1212/wnl.0000000000002889"
    assert glass.decision == "included" and glass.labels == ["neural stem cells", "intraspinal"]
    assert glass.source_id == "12"
    assert feldman.pmid is None and feldman.journal_abbrev == "Ann Neurol"


def test_rayyan_csv():
    petrou, siwek = read("rayyan_export.csv")
    assert petrou.source_id == "rayyan-381120001" and petrou.source == "rayyan"
    assert petrou.authors[:2] == ["Petrou P", "Gothelf Y"]
    assert petrou.decision == "included" and petrou.labels == ["MSC-NTF", "phase 1/2"]
    assert petrou.pmid == "26751635"  # from the PubMed URL
    assert petrou.notes == "Export Date: 23 November 2026"
    assert siwek.decision == "maybe" and siwek.extra["exclusion_reasons"] == ["no control group"]
    assert siwek.authors[1] == "Jezierska-Woźniak K"


def test_asreview_tsv_labels():
    recs = read("asreview_export.tsv")
    assert [r.source_id for r in recs] == ["7", "8", "9"]
    assert [r.decision for r in recs] == ["included", "excluded", None]
    assert recs[1].doi == "10.1007/s12015-020-10016-7"
    assert recs[0].authors[-1] == "Karussis D"


def test_shared_screening_csv_reads_with_record_ids():
    path = Path(__file__).resolve().parents[3] / "shared/data/screening/Cohen_2006_ADHD.csv"
    if not path.exists():  # a missing input is a failure, never a silent skip
        pytest.fail(f"shared screening data missing: {path}")
    recs = read_records(path)
    assert len(recs) == 851
    assert recs[0].source_id == "1" and recs[0].pmid == "10051933"
    assert recs[0].authors[0] == "E J Reimer"
    assert {r.decision for r in recs} == {"included", "excluded"}


def test_wos_plain_text():
    berry, cudkowicz, abstract = read("wos_savedrecs.txt")
    assert sniff_format((DATA / "wos_savedrecs.txt").read_bytes(), "savedrecs.txt") == "wos"
    assert berry.authors == ["Berry, James D.", "Cudkowicz, Merit E.", "Windebank, Anthony J."]
    assert berry.title.endswith("ALS Safety, clinical, and biomarker results")
    assert (berry.pmid, berry.doi, berry.pages) == (
        "31719134",
        "10.1212/wnl.0000000000008620",
        "E2294-E2305",
    )
    assert berry.source_id == "WOS:000507355000012"
    assert cudkowicz.journal == "MUSCLE & NERVE" and cudkowicz.journal_abbrev == "Muscle Nerve"
    assert "Meeting Abstract" in abstract.publication_types


def test_pubmed_csv_citation_and_comma_authors():
    petrou, berry = read("csv-pubmed.csv")
    assert petrou.source_id == "26751635"  # no record_id column: the PMID
    assert len(petrou.authors) == 12 and petrou.authors[-1] == "Karussis D"
    assert (petrou.volume, petrou.issue, petrou.pages) == ("73", "3", "337-44")
    assert berry.pages == "e2294-e2305" and berry.pmcid == "PMC7011384"


def test_ris_publisher_header_lines_are_skipped():
    from alsreview.records.ris import parse_ris

    text = (
        "Provider: Taylor & Francis\nDatabase: Taylor & Francis\n"
        'Content: text/plain; charset="UTF-8"\n\n'
        "TY  - JOUR\nT1  - EL Escorial revisited: Revised criteria for the diagnosis of "
        "amyotrophic lateral sclerosis\nAU  - Brooks, Benjamin Rix\nY1  - 2000/01/01\n"
        "JO  - Amyotrophic Lateral Sclerosis and Other Motor Neuron Disorders\nSP  - 293\n"
        "EP  - 299\nVL  - 1\nIS  - 5\nDO  - 10.1080/146608200300079536\nER  - \n"
    )
    (rec,) = parse_ris(text, "tandf.ris")
    assert rec.year == 2000 and rec.pages == "293-299"
    assert rec.doi == "10.1080/146608200300079536"
    assert rec.journal == "Amyotrophic Lateral Sclerosis and Other Motor Neuron Disorders"


def test_ctgov_csv_export(tmp_path):
    path = tmp_path / "ctg-studies.csv"
    path.write_text(
        "NCT Number,Study Title,Study URL,Acronym,Study Status,Brief Summary,Conditions,"
        "Phases,First Posted\n"
        "NCT03280056,Safety and Efficacy of Repeated Administrations of NurOwn® (MSC-NTF "
        "Cells) in Participants With ALS,https://clinicaltrials.gov/study/NCT03280056,,"
        "COMPLETED,Phase 3 study of MSC-NTF cells in ALS.,Amyotrophic Lateral Sclerosis,"
        "PHASE3,2017-09-13\n",
        encoding="utf-8",
    )
    (rec,) = read_records(path)
    assert rec.nct_id == rec.source_id == "NCT03280056" and rec.year == 2017
    assert rec.title.startswith("Safety and Efficacy") and rec.abstract.startswith("Phase 3")
    assert rec.keywords == ["Amyotrophic Lateral Sclerosis"]
