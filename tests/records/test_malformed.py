"""Malformed and random input: every reader raises ImportFormatError (file, record, line) or
returns records; no other exception escapes.  Hypothesis mutates the real exports."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alsreview.errors import ImportFormatError
from alsreview.records import read_records
from alsreview.records.bibtex import parse_bibtex
from alsreview.records.ctgov import parse_ctgov_json
from alsreview.records.endnote_xml import parse_endnote_xml
from alsreview.records.medline import parse_medline
from alsreview.records.pubmed_xml import parse_pubmed_xml
from alsreview.records.ris import parse_ris
from alsreview.records.tabular import parse_delimited, parse_xlsx
from alsreview.records.wos import parse_wos

DATA = Path(__file__).parent / "data"
READERS = {
    "pubmed_efetch.xml": parse_pubmed_xml,
    "endnote_export.xml": parse_endnote_xml,
    "pubmed_citations.nbib": parse_medline,
    "scopus.ris": parse_ris,
    "endnote_bom_crlf.ris": parse_ris,
    "zotero.bib": parse_bibtex,
    "rayyan_export.csv": parse_delimited,
    "ctgov_v2_search.json": parse_ctgov_json,
    "wos_savedrecs.txt": parse_wos,
    "csv-pubmed.csv": parse_delimited,
}
ALL_READERS = [*set(READERS.values()), parse_xlsx]


def _check(reader, data: bytes) -> None:
    try:
        records = reader(data, "fuzz.file")
    except ImportFormatError as exc:
        assert exc.path == "fuzz.file"
        assert "fuzz.file" in str(exc)
        return
    assert isinstance(records, list)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(READERS)), data=st.data())
def test_mutated_real_exports(name, data):
    original = (DATA / name).read_bytes()
    kind = data.draw(st.sampled_from(["truncate", "delete", "insert", "flip"]))
    pos = data.draw(st.integers(0, len(original)))
    if kind == "truncate":
        mutated = original[:pos]
    elif kind == "delete":
        mutated = original[:pos] + original[pos + data.draw(st.integers(1, 200)) :]
    elif kind == "insert":
        mutated = original[:pos] + data.draw(st.binary(min_size=1, max_size=40)) + original[pos:]
    else:
        mutated = bytearray(original)
        if mutated:
            mutated[min(pos, len(mutated) - 1)] ^= data.draw(st.integers(1, 255))
        mutated = bytes(mutated)
    _check(READERS[name], mutated)


@settings(max_examples=60, deadline=None)
@given(reader=st.sampled_from(ALL_READERS), blob=st.binary(max_size=300))
def test_random_bytes(reader, blob):
    _check(reader, blob)


@settings(max_examples=60, deadline=None)
@given(
    reader=st.sampled_from([parse_ris, parse_medline, parse_bibtex, parse_delimited, parse_wos]),
    text=st.text(alphabet=st.sampled_from(list('TYERAU -\n@{}=,"PMID0123\t;')), max_size=200),
)
def test_format_shaped_text(reader, text):
    _check(reader, text.encode())


@pytest.mark.parametrize(
    ("reader", "payload", "record", "line"),
    [
        (parse_ris, b"TY  - JOUR\nTI  - A\nER  - \nTY  - JOUR\nTI  - B\n", 2, 4),
        (parse_ris, b"TY  - JOUR\nTI  - A\nTY  - JOUR\nER  - \n", 1, 3),
        (parse_ris, b"TY  - JOUR\nER  - \nAU  - Orphan, A\n", 2, 3),
        (parse_ris, b"TY  - JOUR\nER  - \nrandom text here\n", 2, 3),
        (parse_medline, b"PMID- 1\nTI  - A\n\nTI  - B\n", 2, 4),
        (parse_medline, b"PMID- 1\nTI  - A\nthis is not a tag\n", 1, 3),
        (parse_medline, b"PMID- 12a\nTI  - A\n", 1, 1),
        (parse_bibtex, b"@article{a, title={A}}\n\n@article{b, title={B\n", 2, 3),
        (parse_delimited, b'title,abstract\n"A","x"\n"B","y","extra"\n', 2, 3),
        (parse_delimited, b'title,abstract\n"A","unterminated\n', 1, None),
        (parse_pubmed_xml, b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>"
         b"<Article><ArticleTitle>A</ArticleTitle></Article></MedlineCitation></PubmedArticle>\n"
         b"<PubmedArticle><MedlineCitation>\n</PubmedArticleSet>", 2, 3),
        (parse_wos, b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI A\nER\nPT J\nTI B\n",
         2, 6),
        (parse_endnote_xml, b"<xml><records><record><titles><title>A</title></titles>\n</record>"
         b"<record>\n<titles></record></records></xml>", 2, 3),
    ],
    ids=["ris-no-final-ER", "ris-TY-before-ER", "ris-tag-outside", "ris-text-outside",
         "nbib-no-PMID", "nbib-bad-line", "nbib-bad-pmid", "bib-unclosed", "csv-extra-cell",
         "csv-open-quote", "pubmed-xml-truncated", "wos-no-ER", "endnote-xml-mismatch"],
)  # fmt: skip
def test_errors_name_record_and_line(reader, payload, record, line):
    with pytest.raises(ImportFormatError) as info:
        reader(payload, "bad.file")
    err = info.value
    assert err.path == "bad.file"
    assert err.record == record
    if line is not None:
        assert err.line == line
    assert "bad.file" in str(err) and f"record {record}" in str(err)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(ImportFormatError, match="cannot read file"):
        read_records(tmp_path / "nope.ris")
    (tmp_path / "x.ris").write_text("TY  - JOUR\nER  - \n")
    with pytest.raises(ImportFormatError, match="unknown format"):
        read_records(tmp_path / "x.ris", format="docx")


def test_xlsx_reader(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Title", "Authors", "Year", "DOI", "PubMed ID", "label_included"])
    sheet.append(
        [
            "NurOwn phase 2 trial",
            "Berry JD; Cudkowicz ME",
            2019,
            "10.1212/WNL.0000000000008620",
            31719134,
            1,
        ]
    )
    book.save(tmp_path / "x.xlsx")
    (rec,) = read_records(tmp_path / "x.xlsx")
    assert (rec.year, rec.pmid, rec.decision) == (2019, "31719134", "included")
    assert rec.authors == ["Berry JD", "Cudkowicz ME"]
    (tmp_path / "x.ris").write_text("TY  - JOUR\nER  - \n")
    with pytest.raises(ImportFormatError, match="XLSX"):
        read_records(tmp_path / "x.ris", format="xlsx")
