"""CSV / TSV / XLSX record tables (ASReview, Rayyan, Scopus, alsreview's own CSV) <-> Records.

In: a table with one record per row and a header row.  Column names are matched
case-insensitively against the aliases below, which cover ASReview (`title`, `abstract`,
`authors`, `record_id`, `label_included`/`included`/`final_included`), Rayyan (`key`,
`journal`, `issue`, `pages`, `notes` with RAYYAN-INCLUSION/LABELS/EXCLUSION-REASONS,
authors joined by ' and '), Scopus (`Source title`, `Page start`/`Page end`, `PubMed ID`,
`Author Keywords`, `Document Type`) and the columns `write_csv` produces.  Out: Records whose
`source_id` is the `record_id` (or Rayyan `key`) column when present, else the 1-based row
number.  A row with more cells than the header raises `ImportFormatError` with its line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from alsreview.errors import ImportFormatError
from alsreview.records.decisions import parse_notes
from alsreview.records.model import Record
from alsreview.records.textfile import decode_export
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

ALIASES: dict[str, tuple[str, ...]] = {
    "record_id": (
        "record_id",
        "key",
        "id",
        "eid",
        "accession number",
        "covidence #",
        "ut",
    ),
    "title": (
        "title",
        "primary_title",
        "article title",
        "document title",
        "ti",
        "study title",
    ),
    "abstract": ("abstract", "abstract note", "notes_abstract", "ab", "brief summary"),
    "authors": ("authors", "author", "author names", "first_authors", "af", "au"),
    "journal": (
        "journal",
        "source title",
        "publication title",
        "journal_name",
        "journal/book",
        "source",
        "so",
    ),
    "journal_abbrev": (
        "journal_abbrev",
        "abbreviated source title",
        "journal abbreviation",
        "ji",
        "j9",
    ),
    "year": (
        "year",
        "publication year",
        "pubyear",
        "py",
        "publication_year",
        "first posted",
    ),
    "volume": ("volume", "vl"),
    "issue": ("issue", "number", "is"),
    "pages": ("pages", "page", "pg"),
    "page_start": ("page start", "start_page", "sp", "bp"),
    "page_end": ("page end", "end_page", "ep"),
    "article_number": ("art. no.", "article number", "ar"),
    "doi": ("doi", "do", "di"),
    "pmid": ("pmid", "pubmed id", "pubmedid", "pubmed_id", "pubmed", "pm"),
    "pmcid": ("pmcid", "pmc id", "pmc_id"),
    "nct_id": ("nct_id", "nct", "nct number", "trial registration"),
    "eudract_id": ("eudract_id", "eudract"),
    "keywords": ("keywords", "author keywords", "kw", "tags", "de", "conditions"),
    "mesh_terms": ("mesh_terms", "mesh terms", "index keywords"),
    "publication_types": (
        "publication_types",
        "document type",
        "publication type",
        "type",
        "dt",
    ),
    "language": ("language", "language of original document", "la"),
    "url": ("url", "link", "ur", "study url"),
    "source": ("database",),
    "source_id": ("source_id",),
    "decision": ("decision",),
    "labels": ("labels",),
    "notes": ("notes", "note", "n1"),
    "citation": ("citation",),
    "included": (
        "label_included",
        "included",
        "final_included",
        "included_final",
        "included_label",
        "label",
        "asreview_label",
    ),
}
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_PUBMED_URL = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(\d+)")


_SHORT_NAME = re.compile(r"^[^\W\d][\w'’ -]*\s[A-Z]{1,4}$")
_CITATION = re.compile(r";\s*(?P<volume>[^():;]+)?(?:\((?P<issue>[^)]+)\))?:(?P<pages>[^.;\s]+)")


#: one cell as read: text from CSV/TSV; text, a number, a date/time or None from XLSX
Cell = object
V = TypeVar("V")


def _split_authors(text: str) -> list[str]:
    text = text.strip().rstrip(".") if re.search(r"\s[A-Z]{1,4}\.$", text.strip()) else text.strip()
    if not text:
        return []
    if ";" in text:
        parts = text.split(";")
    elif " and " in text:
        parts = text.split(" and ")
    elif re.search(r"\.,\s", text):  # 'Petrou, P., Gothelf, Y.' (older Scopus)
        parts = re.split(r"(?<=\.),\s", text)
    elif "," in text and all(_SHORT_NAME.match(p.strip()) for p in text.split(",")):
        parts = text.split(",")  # PubMed CSV: 'Petrou P, Gothelf Y, Argov Z'
    else:
        parts = [text]
    return [p.strip() for p in parts if p.strip()]


def _split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;|]", text) if p.strip()]


def _decision_from_label(value: str) -> str | None:
    v = value.strip().lower()
    if v in ("1", "1.0", "true", "yes", "included", "include", "relevant"):
        return "included"
    if v in ("0", "0.0", "false", "no", "excluded", "exclude", "irrelevant"):
        return "excluded"
    if v in ("maybe", "unsure"):
        return "maybe"
    return None


def _map_columns(header: list[str], path: str | None) -> dict[str, int]:
    lowered = [h.strip().lower().lstrip("\ufeff") for h in header]
    mapping: dict[str, int] = {}
    for name, aliases in ALIASES.items():
        for alias in aliases:
            if alias in lowered:
                mapping[name] = lowered.index(alias)
                break
    if "title" not in mapping and "abstract" not in mapping:
        raise ImportFormatError(
            path,
            f"no title or abstract column among {header[:12]!r}",
            line=1,
        )
    return mapping


def rows_to_records(
    header: list[str], rows: Sequence[tuple[int, Sequence[Cell]]], path: str | None, source: str
) -> list[Record]:
    """Turn (line, cells) rows into Records using the header's column names."""
    mapping = _map_columns([str(h) if h is not None else "" for h in header], path)
    rayyan = "key" in [str(h).strip().lower() for h in header] and "notes" in mapping
    out = []
    for number, (line, cells) in enumerate(rows, start=1):
        if len(cells) > len(header) and any(str(c).strip() for c in cells[len(header) :]):
            raise ImportFormatError(
                path,
                f"row has {len(cells)} cells but the header has {len(header)} columns",
                line=line,
                record=number,
            )

        def get(name: str, cells: Sequence[Cell] = cells) -> str:
            i = mapping.get(name)
            if i is None or i >= len(cells) or cells[i] is None:
                return ""
            value = cells[i]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return _unneutralise(str(value).strip())

        if not any(str(c).strip() for c in cells if c is not None):
            continue
        year_m = _YEAR.search(get("year"))
        pages = get("pages")
        if not pages and get("page_start"):
            pages = get("page_start") + (f"-{get('page_end')}" if get("page_end") else "")
        if not pages:
            pages = get("article_number")
        volume, issue = get("volume"), get("issue")
        cm = _CITATION.search(get("citation")) if get("citation") else None
        if cm:  # PubMed CSV: 'JAMA Neurol. 2016 Mar;73(3):337-44. doi: ...'
            volume = volume or (cm.group("volume") or "").strip()
            issue = issue or (cm.group("issue") or "").strip()
            pages = pages or cm.group("pages")
        decision = get("decision").lower() or _decision_from_label(get("included"))
        labels = _split_list(get("labels"))
        notes = get("notes")
        extra: JSONDict = {"line": line}
        if notes and ("RAYYAN-" in notes or "alsreview-" in notes.lower()):
            parsed = parse_notes(notes)
            decision = parsed.decision or decision
            labels += parsed.labels
            notes = parsed.text
            if parsed.reasons:
                extra["exclusion_reasons"] = parsed.reasons
            if parsed.votes:
                extra["votes"] = parsed.votes
        record_id = get("record_id")
        pmid = get("pmid")
        if not pmid:
            m = _PUBMED_URL.search(get("url"))
            pmid = m.group(1) if m else ""
        out.append(
            Record(
                title=get("title"),
                abstract=get("abstract"),
                authors=_split_authors(get("authors")),
                journal=get("journal"),
                journal_abbrev=get("journal_abbrev"),
                year=int(year_m.group(1)) if year_m else None,
                volume=volume,
                issue=issue,
                pages=pages,
                doi=get("doi") or None,
                pmid=pmid or None,
                pmcid=get("pmcid") or None,
                nct_id=get("nct_id") or None,
                eudract_id=get("eudract_id") or None,
                keywords=_split_list(get("keywords")),
                mesh_terms=_split_list(get("mesh_terms")),
                publication_types=_split_list(get("publication_types")),
                language=get("language"),
                url=get("url"),
                source=get("source") or ("rayyan" if rayyan else source),
                source_id=record_id or get("source_id") or pmid or get("nct_id") or str(number),
                decision=decision or None,
                labels=labels,
                notes=notes,
                extra=extra,
            )
        )
    return out


def parse_delimited(
    data: bytes | str, path: str | None = None, delimiter: str | None = None
) -> list[Record]:
    """CSV or TSV text (delimiter sniffed from the header line when not given)."""
    text = decode_export(data, path)
    if not text or text.isspace():
        raise ImportFormatError(path, "empty file")
    if delimiter is None:
        head = text.split("\n", 1)[0]
        delimiter = max(",\t;", key=head.count)
    # lines one at a time: io.StringIO would hold the text as 4 bytes per character
    reader = csv.reader(_lines(text, path), delimiter=delimiter, strict=True)
    rows: list[tuple[int, Sequence[Cell]]] = []
    try:
        header = next(reader)
        line = reader.line_num + 1
        for cells in reader:
            rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFormatError(
            path,
            f"malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {exc}",
            line=reader.line_num,
            record=len(rows) + 1,
        ) from None
    refuse_cut_last_row(text, header, rows, path)
    return rows_to_records(header, rows, path, "tsv" if delimiter == "\t" else "csv")


def _lines(text: str, path: str | None) -> Iterator[str]:
    """The lines of `text` with their '\\n', without copying the whole text; a line longer
    than 4 fields at the field limit is refused before it is copied."""
    from alsreview.inputs import MAX_FIELD_CHARS

    start, n, lineno = 0, len(text), 0
    while start < n:
        lineno += 1
        end = text.find("\n", start)
        end = n if end < 0 else end + 1
        if end - start > 4 * MAX_FIELD_CHARS:
            raise ImportFormatError(
                path,
                f"line of {end - start:,} characters, more than {4 * MAX_FIELD_CHARS:,}: refused",
                line=lineno,
            )
        yield text[start:end]
        start = end


def refuse_cut_last_row(
    text: str, header: Sequence[Cell], rows: Sequence[tuple[int, Sequence[Cell]]], path: str | None
) -> None:
    """A file that ends without a newline in a row shorter than the header was cut off
    (an interrupted download or copy): refused, naming the line, rather than storing a
    truncated title."""
    if not rows or text.endswith("\n"):
        return
    line, cells = rows[-1]
    if len(cells) < len(header):
        raise ImportFormatError(
            path,
            f"the file ends in the middle of a row ({len(cells)} of {len(header)} cells and "
            "no final newline): truncated? refused",
            line=line,
            record=len(rows),
        )


def parse_xlsx(data: bytes, path: str | None = None) -> list[Record]:
    """First worksheet of an Excel workbook (openpyxl, read-only)."""
    import zipfile

    from openpyxl import load_workbook

    from alsreview.inputs import check_zip

    check_zip(data, path)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise ImportFormatError(path, f"not a readable XLSX workbook: {exc}") from None
    except Exception as exc:  # openpyxl raises its own exception types for broken parts
        raise ImportFormatError(path, f"not a readable XLSX workbook: {exc}") from None
    sheet = book.worksheets[0]
    check_sheet_dimensions(sheet, path)
    rows_iter = sheet.iter_rows(values_only=True)
    try:
        header = [str(h) if h is not None else "" for h in next(rows_iter)]
    except StopIteration:
        raise ImportFormatError(path, "empty worksheet") from None
    while header and header[-1] == "":
        header.pop()
    rows = []
    for i, r in enumerate(rows_iter, start=2):
        if any(v is not None and v != "" for v in r):  # gaps stay unexpanded
            cells = list(r)
            while cells and cells[-1] is None:
                cells.pop()
            rows.append((i, cells))
    book.close()
    return rows_to_records(header, rows, path, "xlsx")


def check_sheet_dimensions(sheet: Worksheet, path: str | None) -> None:
    """Refuse a worksheet whose declared range (`<dimension ref="A1:XFD1048576"/>`) is larger
    than `MAX_CELLS`: read-only openpyxl pads every row to the declared width."""
    from alsreview.inputs import MAX_CELLS

    rows, cols = sheet.max_row or 0, sheet.max_column or 0
    if rows * cols > MAX_CELLS:
        raise ImportFormatError(
            path,
            f"worksheet {sheet.title!r} declares {rows:,} rows x {cols:,} columns "
            f"({rows * cols:,} cells, more than the limit of {MAX_CELLS:,}): refused",
        )


CSV_COLUMNS = [
    "record_id", "title", "abstract", "authors", "journal", "journal_abbrev", "year", "volume",
    "issue", "pages", "doi", "pmid", "pmcid", "nct_id", "eudract_id", "keywords", "mesh_terms",
    "publication_types", "language", "url", "database", "source_id", "decision", "labels",
    "notes", "label_included",
]  # fmt: skip


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: V) -> V | str:
    """A text cell a spreadsheet would run as a formula gets a leading `'` (OWASP, CSV
    injection: cells starting with = + - @ tab or carriage return).  Numbers pass as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def _unneutralise(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in _FORMULA_START else value


def write_csv(records: list[Record], delimiter: str = ",") -> str:
    """CSV text with the columns above; lists joined by '; '; `label_included` is 1/0/blank
    so ASReview reads the decisions.  Formula-like cells are neutralised (`neutralise_cell`);
    `parse_delimited` removes the added quote again."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i, rec in enumerate(records, start=1):
        label = {"included": "1", "excluded": "0"}.get(rec.decision or "", "")
        cells = [
            rec.source_id or str(i), rec.title, rec.abstract, "; ".join(rec.authors),
            rec.journal, rec.journal_abbrev, rec.year or "", rec.volume, rec.issue,
            rec.pages, rec.doi or "", rec.pmid or "", rec.pmcid or "", rec.nct_id or "",
            rec.eudract_id or "", "; ".join(rec.keywords), "; ".join(rec.mesh_terms),
            "; ".join(rec.publication_types), rec.language, rec.url, rec.source,
            rec.source_id, rec.decision or "", "; ".join(rec.labels), rec.notes, label,
        ]  # fmt: skip
        writer.writerow([neutralise_cell(v) for v in cells])
    return buf.getvalue()
