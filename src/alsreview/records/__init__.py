"""Bibliographic records: the Record model, and readers/writers per file format.

In: files exported by databases and reference managers (RIS, MEDLINE/nbib, PubMed XML,
BibTeX, EndNote XML, Web of Science plain text, CSV/TSV/XLSX, ClinicalTrials.gov JSON).
Out: lists of `Record`.

`read_records(path, format=None)` picks the reader from `format`, else from the extension,
else by looking at the first bytes; `write_records(records, path, format=None)` writes RIS,
CSV/TSV or BibTeX.  Every reader raises `ImportFormatError` (file, record, line) on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from alsreview.errors import ExportError, ImportFormatError
from alsreview.records.model import Record, normalise_doi, normalise_pmid

__all__ = [
    "FORMATS",
    "Record",
    "normalise_doi",
    "normalise_pmid",
    "parse_bytes",
    "read_records",
    "sniff_format",
    "write_records",
]

FORMATS = (
    "ris", "medline", "pubmed_xml", "bibtex", "endnote_xml", "wos", "csv", "tsv", "xlsx", "ctgov",
)  # fmt: skip
_EXTENSIONS = {
    ".ris": "ris",
    ".enw": "ris",
    ".nbib": "medline",
    ".medline": "medline",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".json": "ctgov",
}


def sniff_format(data: bytes, name: str = "") -> str:
    """Format name from the file extension, or from the first bytes for .txt/.xml/unknown."""
    ext = Path(name).suffix.lower()
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    head = data[:4096]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom) :]
    if head.startswith((b"\xff", b"\xfe")) or b"\x00" in head[:200]:
        head = head.replace(b"\x00", b"").lstrip(b"\xff\xfe")
    text = head.decode("utf-8", errors="replace").lstrip()
    if text.startswith("<"):
        return (
            "pubmed_xml"
            if "<PubmedArticle" in text or "<!DOCTYPE PubmedArticleSet" in text
            else ("endnote_xml" if re.search(r"<(xml|records|record)\b", text) else "pubmed_xml")
        )
    if text.startswith(("{", "[")):
        return "ctgov"
    if text.startswith(("FN ", "VR ")) or re.match(r"PT [JBCSP]\n", text):
        return "wos"
    if re.search(r"^TY\s{1,2}- ", text, re.MULTILINE):
        return "ris"
    if re.search(r"^PMID- ?\d", text, re.MULTILINE):
        return "medline"
    if re.search(r"^\s*@\s*[A-Za-z]+\s*[{(]", text, re.MULTILINE):
        return "bibtex"
    first = text.split("\n", 1)[0]
    return "tsv" if first.count("\t") > first.count(",") else "csv"


def _reader(fmt: str) -> Callable[[bytes, str | None], list[Record]]:
    reader: Callable[[bytes, str | None], list[Record]]
    if fmt == "ris":
        from alsreview.records.ris import parse_ris as reader
    elif fmt == "medline":
        from alsreview.records.medline import parse_medline as reader
    elif fmt == "pubmed_xml":
        from alsreview.records.pubmed_xml import parse_pubmed_xml as reader
    elif fmt == "bibtex":
        from alsreview.records.bibtex import parse_bibtex as reader
    elif fmt == "endnote_xml":
        from alsreview.records.endnote_xml import parse_endnote_xml as reader
    elif fmt in ("csv", "tsv"):
        from alsreview.records.tabular import parse_delimited

        delimiter = "\t" if fmt == "tsv" else None

        def _delimited(data: bytes, path: str | None) -> list[Record]:
            return parse_delimited(data, path, delimiter)

        reader = _delimited
    elif fmt == "wos":
        from alsreview.records.wos import parse_wos as reader
    elif fmt == "xlsx":
        from alsreview.records.tabular import parse_xlsx as reader
    elif fmt == "ctgov":
        from alsreview.records.ctgov import parse_ctgov_json as reader
    else:
        raise ImportFormatError(None, f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return reader


_LINE_FORMATS = frozenset({"ris", "medline", "bibtex", "wos", "csv", "tsv"})


def refuse_long_lines(data: bytes, path: str | None) -> None:
    """Line-based exports never have a line longer than four fields at the field limit;
    such a line is refused from the bytes, before any text copy of it is made."""
    from alsreview.inputs import MAX_FIELD_CHARS

    limit = 4 * MAX_FIELD_CHARS * 4  # bytes: up to 4 UTF-8 bytes per character
    start, n, line = 0, len(data), 1
    while start < n:
        end = data.find(b"\n", start)
        end = n if end < 0 else end + 1
        if end - start > limit:
            raise ImportFormatError(
                path, f"line of {end - start:,} bytes, more than {limit:,}: refused", line=line
            )
        start, line = end, line + 1


def parse_bytes(data: bytes, format: str | None = None, path: str | None = None) -> list[Record]:
    """Parse an in-memory export; `path` only names it in errors and guides sniffing."""
    from alsreview.inputs import MAX_FILE_BYTES, check_field_sizes

    if len(data) > MAX_FILE_BYTES:
        raise ImportFormatError(
            path, f"{len(data):,} bytes, more than the limit {MAX_FILE_BYTES:,}"
        )
    fmt = format or sniff_format(data, path or "")
    if fmt in _LINE_FORMATS:
        refuse_long_lines(data, path)
    reader = _reader(fmt)
    try:
        records = reader(data, path)
        for number, rec in enumerate(records, start=1):
            check_field_sizes(rec.__dict__, path, rec.source_id or number)
        return records
    except ImportFormatError:
        raise
    except RecursionError:
        raise ImportFormatError(path, f"{fmt}: input nested too deeply") from None
    except Exception as exc:  # a reader bug must still name the file, not crash the import
        raise ImportFormatError(path, f"{fmt} reader failed: {type(exc).__name__}: {exc}") from exc


def read_records(path: str | Path, format: str | None = None) -> list[Record]:
    """Read every record of an exported file."""
    from alsreview.inputs import read_limited

    p = Path(path)
    return parse_bytes(read_limited(p), format, str(p))


def write_records(
    records: list[Record], path: str | Path, format: str | None = None, *, force: bool = True
) -> Path:
    """Write records as RIS, CSV, TSV or BibTeX (format from the extension when not given).

    CSV/TSV cells are neutralised against formula injection, RIS values are written on one
    line, BibTeX braces are escaped (see each writer).  `force=False` refuses to replace an
    existing file."""
    p = Path(path)
    if p.is_dir():
        raise ExportError(f"{p}: is a folder; give a file name such as {p / 'records.ris'}")
    fmt = format or {
        ".ris": "ris",
        ".csv": "csv",
        ".tsv": "tsv",
        ".bib": "bibtex",
        ".bibtex": "bibtex",
    }.get(p.suffix.lower())
    if fmt == "bib":
        fmt = "bibtex"
    if fmt not in ("ris", "csv", "tsv", "bibtex"):
        raise ExportError(
            f"{p}: cannot write: unknown export format {p.suffix or 'no extension'!r}: "
            "name the file .ris, .csv, .tsv or .bib, or give --format ris|csv|tsv|bibtex"
        )
    if not p.parent.is_dir():
        raise ExportError(f"{p}: the folder {p.parent} does not exist")
    if p.exists() and not force:
        raise ExportError(f"{p}: already exists; use --force to replace it")
    if fmt == "ris":
        from alsreview.records.ris import write_ris

        text = write_ris(records)
    elif fmt in ("csv", "tsv"):
        from alsreview.records.tabular import write_csv

        text = write_csv(records, "\t" if fmt == "tsv" else ",")
    else:
        from alsreview.records.bibtex import write_bibtex

        text = write_bibtex(records)
    p.write_text(text, encoding="utf-8")
    return p
