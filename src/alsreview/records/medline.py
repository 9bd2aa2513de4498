"""MEDLINE/nbib files (PubMed "Send to > Citation manager", efetch `rettype=medline`) -> Records.

In: MEDLINE-tagged text: records start with `PMID- `, tags are four characters padded and
followed by '- ', continuation lines are indented six spaces, blank lines separate records.
Out: Records.  Structured abstracts ('BACKGROUND: ... METHODS: ...') are split into sections;
full author names (FAU) are preferred to initials (AU), collective authors (CN) kept in order;
DOIs from LID/AID '[doi]', PMCID from PMC, trial numbers from SI ('ClinicalTrials.gov/NCT...'),
erratum/comment links (EIN, EFR, CIN, CON, RIN, ROF) kept in `extra["comments_corrections"]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from alsreview.errors import ImportFormatError
from alsreview.records.model import Record
from alsreview.records.textfile import decode_export, iter_lines
from alsreview.typealiases import JSONDict

_TAG = re.compile(r"^([A-Z][A-Z0-9]{0,3})\s*- (.*)$|^([A-Z][A-Z0-9]{0,3})\s*-$")
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_SECTION = re.compile(r"(?:(?<=^)|(?<=[.?!)] ))([A-Z][A-Z ,&/-]{2,60}[A-Z]):\s")
_LINK_TAGS = {
    "EIN": "ErratumIn",
    "EFR": "ErratumFor",
    "CIN": "CommentIn",
    "CON": "CommentOn",
    "RIN": "RetractionIn",
    "ROF": "RetractionOf",
    "UIN": "UpdateIn",
    "UOF": "UpdateOf",
}
_LINK_PMID = re.compile(r"PMID:\s*(\d+)")


def split_structured_abstract(text: str) -> list[tuple[str, str]]:
    """'OBJECTIVE: a. METHODS: b.' -> [('OBJECTIVE', 'a.'), ('METHODS', 'b.')]; [] if unlabelled."""
    matches = list(_SECTION.finditer(text))
    if len(matches) < 2 or matches[0].start() != 0:
        return []
    sections = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        sections.append((m.group(1), text[m.end() : end].strip()))
    return sections


def _records(text: str, path: str | None) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """(line of PMID, [(tag, value), ...]) of each record, one at a time; the last one only
    after the file is checked for truncation (`_refuse_truncated`)."""
    n_done = 0
    held: tuple[int, list[tuple[str, str]]] | None = None  # the last complete record
    ends: set[str] = set()  # tags that records before `held` end with
    current: list[tuple[str, str]] | None = None
    start = last_line = 0
    for lineno, raw in iter_lines(text):
        line = raw.rstrip()
        if raw:
            last_line = lineno
        if not line.strip():
            if current is not None:
                if held is not None:
                    if held[1]:
                        ends.add(held[1][-1][0])
                    yield held
                held, current, n_done = (start, current), None, n_done + 1
            continue
        if raw.startswith(" ") and current is not None:
            if not current:
                raise ImportFormatError(
                    path, "continuation line before any tag", line=lineno, record=n_done + 1
                )
            tag, value = current[-1]
            current[-1] = (tag, f"{value} {line.strip()}")
            continue
        m = _TAG.match(line)
        if m is None:
            raise ImportFormatError(
                path,
                f"not a MEDLINE tag line (expected 'TAG - value'): {line[:60]!r}",
                line=lineno,
                record=n_done + 1,
            )
        tag = (m.group(1) or m.group(3)).strip()
        value = (m.group(2) or "").strip()
        if current is None:
            if tag != "PMID":
                raise ImportFormatError(
                    path,
                    f"record starts with {tag!r}, expected 'PMID- '",
                    line=lineno,
                    record=n_done + 1,
                )
            current, start = [], lineno
        elif tag == "PMID":
            raise ImportFormatError(
                path,
                "'PMID- ' inside a record (records must be separated by a blank line)",
                line=lineno,
                record=n_done + 1,
            )
        current.append((tag, value))
    if current is not None:
        if held is not None:
            if held[1]:
                ends.add(held[1][-1][0])
            yield held
        held, n_done = (start, current), n_done + 1
    if held is None:
        raise ImportFormatError(path, "no MEDLINE records (no 'PMID- ' line)")
    _refuse_truncated(text, held, ends, n_done, last_line, path)
    yield held


def _refuse_truncated(
    text: str,
    last: tuple[int, list[tuple[str, str]]],
    ends: set[str],
    n_records: int,
    last_line: int,
    path: str | None,
) -> None:
    """A file cut off mid-record is refused, naming the line: PubMed ends every line with a
    newline and every record with the same tag (SO; `ends` holds the end tags of the records
    before `last`), so a last record that ends otherwise has lost its end."""
    start, items = last
    if not text.endswith("\n"):
        raise ImportFormatError(
            path,
            "the file ends in the middle of a line (no final newline): truncated? refused",
            line=last_line,
            record=n_records,
        )
    if len(ends) == 1 and items and items[-1][0] not in ends:
        (tag,) = ends
        raise ImportFormatError(
            path,
            f"the last record (from line {start}) ends without its {tag!r} line, which every "
            "other record ends with: truncated? refused",
            line=last_line,
            record=n_records,
        )


def _to_record(items: list[tuple[str, str]], path: str | None, number: int, line: int) -> Record:
    fields: dict[str, list[str]] = {}
    for tag, value in items:
        fields.setdefault(tag, []).append(value)

    def first(*tags: str) -> str:
        for tag in tags:
            for v in fields.get(tag, []):
                if v:
                    return v
        return ""

    pmid = first("PMID")
    if not pmid.isdigit():
        raise ImportFormatError(path, f"PMID is not a number: {pmid!r}", line=line, record=number)
    has_fau = "FAU" in fields
    authors = [v for tag, v in items if tag == ("FAU" if has_fau else "AU") or tag == "CN"]
    doi = None
    for value in fields.get("LID", []) + fields.get("AID", []):
        if value.endswith("[doi]"):
            doi = value[: -len("[doi]")].strip()
            break
    pages = first("PG")
    if not pages:
        pages = next(
            (v[: -len("[pii]")].strip() for v in fields.get("LID", []) if v.endswith("[pii]")), ""
        )
    nct = eudract = None
    for value in fields.get("SI", []):
        bank, _, acc = value.partition("/")
        if bank.lower().startswith("clinicaltrials") and nct is None:
            nct = acc.strip()
        elif "eudract" in bank.lower() and eudract is None:
            eudract = acc.strip()
    abstract = first("AB")
    sections = split_structured_abstract(abstract)
    dp = first("DP")
    m = _YEAR.search(dp) or _YEAR.search(first("DEP", "EDAT"))
    extra: JSONDict = {}
    links = []
    for tag, kind in _LINK_TAGS.items():
        for value in fields.get(tag, []):
            pm = _LINK_PMID.search(value)
            links.append({"type": kind, "pmid": pm.group(1) if pm else "", "source": value})
    if links:
        extra["comments_corrections"] = links
    if dp:
        extra["date_of_publication"] = dp
    dep = first("DEP")
    if dep and _YEAR.match(dep):
        extra["epub_year"] = int(dep[:4])
    if "SO" in fields:
        extra["source_citation"] = first("SO")
    return Record(
        title=first("TI", "BTI"),
        abstract=abstract,
        abstract_sections=sections,
        authors=authors,
        journal=first("JT", "BTI"),
        journal_abbrev=first("TA"),
        year=int(m.group(1)) if m else None,
        volume=first("VI"),
        issue=first("IP"),
        pages=pages,
        doi=doi,
        pmid=pmid,
        pmcid=first("PMC") or None,
        nct_id=nct,
        eudract_id=eudract,
        keywords=fields.get("OT", []),
        mesh_terms=[v.split("/")[0].lstrip("*") for v in fields.get("MH", [])],
        publication_types=fields.get("PT", []),
        language=", ".join(fields.get("LA", [])),
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        source="pubmed",
        source_id=pmid,
        extra=extra,
    )


def parse_medline(data: bytes | str, path: str | None = None) -> list[Record]:
    """Parse MEDLINE/nbib text; faults raise `ImportFormatError` with record and line."""
    text = decode_export(data, path)
    return [
        _to_record(items, path, number, line)
        for number, (line, items) in enumerate(_records(text, path), start=1)
    ]
