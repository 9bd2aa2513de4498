"""Issue 8, adversarial findings on the record readers and writers: truncated files refused
with their line, bombs refused before expansion, injection through exports neutralised."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest

from alsreview.errors import ImportFormatError
from alsreview.records import Record, parse_bytes, read_records, write_records
from alsreview.records.bibtex import parse_bibtex, write_bibtex
from alsreview.records.medline import parse_medline
from alsreview.records.ris import parse_ris, write_ris
from alsreview.records.tabular import parse_delimited, parse_xlsx, write_csv

DATA = Path(__file__).parent / "data"


# --- files that end mid-record or mid-row ----------------------------------------------


def test_nbib_cut_mid_line_is_refused_with_its_line():
    text = (DATA / "pubmed_citations.nbib").read_text(encoding="utf-8")
    cut = text[: text.rindex("SO  - ") + 20]  # inside the last record's SO line
    with pytest.raises(ImportFormatError, match="truncated") as err:
        parse_medline(cut.encode())
    assert err.value.line == cut.count("\n") + 1
    assert err.value.record == 2


def test_nbib_cut_at_a_line_end_before_the_last_tag_is_refused():
    text = (DATA / "pubmed_citations.nbib").read_text(encoding="utf-8")
    cut = text[: text.rindex("SO  - ")]  # ends with a newline, the last SO line lost
    with pytest.raises(ImportFormatError, match="without its 'SO' line") as err:
        parse_medline(cut.encode())
    assert err.value.record == 2
    assert len(parse_medline(text.encode())) == 2  # the whole file still reads


def test_asreview_tsv_cut_mid_row_is_refused_with_its_line():
    text = (DATA / "asreview_export.tsv").read_text(encoding="utf-8")
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    cut = text.rstrip("\n")[: -len(last) + 30]  # 30 characters into the last row's title
    with pytest.raises(ImportFormatError, match="middle of a row") as err:
        parse_delimited(cut.encode(), "export.tsv", "\t")
    assert err.value.line == cut.count("\n") + 1
    assert len(parse_delimited(text.encode(), "export.tsv", "\t")) == 3


def test_csv_with_an_unclosed_quote_at_the_end_is_refused():
    data = b'title,abstract\n"A title","an abstract that never en'
    with pytest.raises(ImportFormatError, match="malformed CSV"):
        parse_delimited(data, "x.csv")


# --- limits ----------------------------------------------------------------------------


def test_field_over_the_limit_is_refused(monkeypatch):
    import alsreview.inputs as inputs

    monkeypatch.setattr(inputs, "MAX_FIELD_CHARS", 1000)
    data = ("title,abstract\nshort," + "x" * 1001 + "\n").encode()
    with pytest.raises(ImportFormatError, match="'abstract' has 1,001 characters"):
        parse_bytes(data, "csv", "big.csv")


def test_csv_line_over_four_field_limits_is_refused_before_copying(monkeypatch):
    import alsreview.inputs as inputs

    monkeypatch.setattr(inputs, "MAX_FIELD_CHARS", 100)
    data = ("title\nok\n" + "x" * 401 + "\n").encode()
    with pytest.raises(ImportFormatError, match="line of 402 characters") as err:
        parse_delimited(data, "long.csv")
    assert err.value.line == 3


def test_ris_line_over_the_limit_is_refused_from_the_bytes(monkeypatch):
    import alsreview.inputs as inputs

    monkeypatch.setattr(inputs, "MAX_FIELD_CHARS", 10)  # lines up to 4 x 10 x 4 bytes
    data = b"TY  - JOUR\nTI  - " + b"x" * 200 + b"\nER  - \n"
    with pytest.raises(ImportFormatError, match="line of 207 bytes") as err:
        parse_bytes(data, "ris", "long.ris")
    assert err.value.line == 2


def test_file_over_the_limit_is_refused_before_reading(monkeypatch, tmp_path):
    import alsreview.inputs as inputs

    path = tmp_path / "big.ris"
    path.write_bytes(b"TY  - JOUR\nTI  - x\nER  - \n" * 100)
    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ImportFormatError, match="more than the limit"):
        read_records(path)


def test_fifo_and_devices_and_folders_are_refused(tmp_path):
    fifo = tmp_path / "pipe.ris"
    os.mkfifo(fifo)  # opening it would block forever
    with pytest.raises(ImportFormatError, match="FIFO"):
        read_records(fifo)
    with pytest.raises(ImportFormatError, match="device"):
        read_records("/dev/zero")
    with pytest.raises(ImportFormatError, match="folder"):
        read_records(tmp_path)


# --- spreadsheets that expand --------------------------------------------------------


def _xlsx(sheet_xml_edit=None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["title", "abstract"])
    ws.append(["A real title", "An abstract"])
    buf = io.BytesIO()
    wb.save(buf)
    if sheet_xml_edit is None:
        return buf.getvalue()
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = sheet_xml_edit(body)
            dst.writestr(info.filename, body)
    return out.getvalue()


def test_xlsx_declaring_a_huge_range_is_refused_before_reading():
    def huge(xml: bytes) -> bytes:
        return xml.replace(b'<dimension ref="A1:B2"/>', b'<dimension ref="A1:XFD1048576"/>')

    data = _xlsx(huge)
    assert len(data) < 10_000
    with pytest.raises(ImportFormatError, match="17,179,869,184 cells"):
        parse_xlsx(data, "huge.xlsx")


def test_xlsx_with_one_far_cell_and_no_dimension_does_not_expand():
    def far(xml: bytes) -> bytes:
        xml = xml.replace(b'<dimension ref="A1:B2"/>', b"")
        cell = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace(b"</sheetData>", cell + b"</sheetData>")

    with pytest.raises(ImportFormatError, match="16384 cells but the header has 2") as err:
        parse_xlsx(_xlsx(far), "far.xlsx")
    assert err.value.line == 1048576


def test_xlsx_zip_bomb_is_refused_from_the_central_directory():
    def bomb(xml: bytes) -> bytes:
        return xml.replace(b"</worksheet>", b"<!--" + b" " * (8 * 2**20) + b"--></worksheet>")

    data = _xlsx(bomb)
    assert len(data) < 100_000  # 8 MB of sheet XML in a few KB
    with pytest.raises(ImportFormatError, match="zip bomb"):
        parse_xlsx(data, "bomb.xlsx")
    assert len(parse_xlsx(_xlsx(), "ok.xlsx")) == 1


def test_xlsx_declaring_more_than_the_limit_uncompressed_is_refused(monkeypatch):
    import alsreview.inputs as inputs

    monkeypatch.setattr(inputs, "MAX_UNZIPPED_BYTES", 4000)
    with pytest.raises(ImportFormatError, match="uncompressed, more than the limit"):
        inputs.check_zip(_xlsx(), "x.xlsx")


# --- XML DOCTYPE: the promise is "documents declaring entities are refused" ----------


ENTITY_DOC = (
    '<!DOCTYPE PubmedArticleSet [<!ENTITY e "boom">]>\n<PubmedArticleSet>&e;</PubmedArticleSet>\n'
)


def test_doctype_after_a_70kb_comment_is_refused():
    data = b"<!--" + b"x" * 70_000 + b"-->\n" + ENTITY_DOC.encode()
    with pytest.raises(ImportFormatError, match="declares entities"):
        parse_bytes(data, "pubmed_xml", "late.xml")


def test_doctype_in_utf16_is_refused():
    data = ('<?xml version="1.0" encoding="UTF-16"?>\n' + ENTITY_DOC).encode("utf-16")
    with pytest.raises(ImportFormatError, match="declares entities"):
        parse_bytes(data, "pubmed_xml", "utf16.xml")


def test_pubmed_public_doctype_is_still_accepted():
    data = (DATA / "pubmed_efetch.xml").read_bytes()
    assert b"<!DOCTYPE" in data
    assert parse_bytes(data, "pubmed_xml", "pubmed.xml")


# --- injection through exports -------------------------------------------------------

PAYLOADS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil","x")', "+SUM(1,2)", "@SUM(1)", "-2+3"]


def test_csv_export_neutralises_formulas_and_reads_them_back():
    records = [Record(title=p, abstract=p, source_id=str(i)) for i, p in enumerate(PAYLOADS)]
    for delimiter in (",", "\t"):
        text = write_csv(records, delimiter)
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[1:]
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        back = parse_delimited(text.encode(), "x", delimiter)
        assert [r.title for r in back] == PAYLOADS
    assert write_csv([Record(title="t", year=2020, volume="-1")]).splitlines()[1].count("'-1") == 0


def test_ris_export_keeps_each_field_on_one_line():
    evil = "Real title\nER  - \n\nTY  - JOUR\nTI  - Fake\nDO  - 10.6666/attacker\nER  - "
    text = write_ris([Record(title=evil, doi="10.1000/real", abstract="para 1\n\npara 2")])
    assert text.count("TY  - ") == 1
    (back,) = parse_ris(text.encode())
    assert back.doi == "10.1000/real"
    assert back.abstract == "para 1 para 2"


def test_bibtex_export_escapes_braces_instead_of_dropping_them():
    rec = Record(title="A {b} c", doi="10.1000/a}b", authors=["Doe, J"], url="http://x/\\y")
    (back,) = parse_bibtex(write_bibtex([rec]))
    assert back.doi == "10.1000/a}b"
    assert back.title == "A {b} c"
    assert back.url == "http://x/\\y"


def test_export_refuses_unknown_format_folder_and_missing_folder(tmp_path):
    from alsreview.errors import ExportError

    recs = [Record(title="x")]
    for target, msg in [
        (tmp_path / "out.txt", "unknown export format"),
        (tmp_path, "is a folder"),
        (tmp_path / "missing" / "out.ris", "does not exist"),
    ]:
        with pytest.raises(ExportError, match=msg):
            write_records(recs, target)
    write_records(recs, tmp_path / "out.ris")
    with pytest.raises(ExportError, match="--force"):
        write_records(recs, tmp_path / "out.ris", force=False)
