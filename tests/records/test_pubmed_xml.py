"""PubMed XML reader: real efetch layout, MedlineDate/seasons, structured abstracts, safety."""

from pathlib import Path

import pytest

from alsreview.errors import ImportFormatError
from alsreview.records.pubmed_xml import parse_pubmed_xml

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def records():
    return parse_pubmed_xml((DATA / "pubmed_efetch.xml").read_bytes(), "pubmed_efetch.xml")


def test_ids_and_citation(records):
    petrou = records[0]
    assert petrou.pmid == "26751635"
    assert petrou.doi == "10.1001/jamaneurol.2015.4321"
    assert (petrou.journal_abbrev, petrou.volume, petrou.issue, petrou.pages) == (
        "JAMA Neurol",
        "73",
        "3",
        "337-44",
    )
    assert petrou.year == 2016
    assert petrou.nct_id == "NCT01051882"
    assert petrou.authors[:2] == ["Petrou, Panayiota", "Gothelf, Yael"]
    assert "Clinical Trial, Phase II" in petrou.publication_types
    assert "Amyotrophic Lateral Sclerosis" in petrou.mesh_terms
    assert records[1].pmcid == "PMC7011384"
    assert records[1].keywords == ["mesenchymal stem cells"]


def test_structured_abstract_keeps_sections(records):
    labels = [label for label, _ in records[0].abstract_sections]
    assert labels == [
        "IMPORTANCE",
        "OBJECTIVE",
        "DESIGN, SETTING, AND PARTICIPANTS",
        "CONCLUSIONS AND RELEVANCE",
    ]
    assert records[0].abstract.startswith("IMPORTANCE: Autologous")
    assert "OBJECTIVE: To assess" in records[0].abstract
    # an unlabelled abstract is flat text without sections
    assert records[2].abstract_sections == []
    assert records[2].abstract.startswith("Two respiratory items")


def test_medline_date_season_and_collective_author(records):
    assert records[2].year == 1999  # <MedlineDate>1999 Oct 31</MedlineDate>
    assert records[2].authors[-1] == "BDNF ALS Study Group (Phase III)"
    assert records[3].year == 1998  # <MedlineDate>1998 Dec-1999 Jan</MedlineDate>
    assert records[4].year == 1998 and records[4].extra["month"] == "Spring"
    assert records[3].authors == ["Brown, Robert H Jr"]


def test_inline_markup_flattened_and_erratum_link(records):
    assert records[3].title == "Motor neuron SOD1 expression and CD34+ cells: an erratum."
    assert records[3].publication_types == ["Published Erratum"]
    assert records[3].extra["comments_corrections"][0] == {
        "type": "ErratumFor",
        "pmid": "99000002",
        "source": "Seas Test J. 1998 Spring;12(1):1-10",
    }


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>
<Article><ArticleTitle>&lol3;</ArticleTitle></Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>
<Article><ArticleTitle>&xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>"""


@pytest.mark.parametrize("payload", [BOMB, XXE], ids=["billion-laughs", "external-entity"])
def test_entity_declarations_refused(payload):
    with pytest.raises(ImportFormatError, match="refused") as info:
        parse_pubmed_xml(payload, "evil.xml")
    assert info.value.path == "evil.xml"
    assert info.value.line == payload[: payload.index(b"<!ENTITY")].count(b"\n") + 1


def test_undeclared_entity_is_a_format_error_not_a_lookup():
    data = (
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        b"<ArticleTitle>&ent;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        b"</PubmedArticleSet>"
    )
    with pytest.raises(ImportFormatError):
        parse_pubmed_xml(data, "x.xml")


def test_truncated_file_names_record_and_line():
    data = (DATA / "pubmed_efetch.xml").read_bytes()
    cut = data[: data.index(b'<PMID Version="1">10566583')]
    with pytest.raises(ImportFormatError) as info:
        parse_pubmed_xml(cut, "cut.xml")
    assert info.value.record == 3
    assert info.value.line is not None and info.value.line > 100
    assert "cut.xml" in str(info.value)


def test_not_pubmed():
    with pytest.raises(ImportFormatError, match="not a PubMed XML"):
        parse_pubmed_xml(b"<xml><records/></xml>", "endnote.xml")
    with pytest.raises(ImportFormatError, match="empty"):
        parse_pubmed_xml(b"   ", "empty.xml")
