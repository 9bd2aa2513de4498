"""RIS files (PubMed/Scopus/Embase/Ovid/Web of Science/EndNote/Zotero/Rayyan exports) <-> Records.

In: RIS text (`TY  - JOUR` ... `ER  -`).  Out: Records; and the reverse with `write_ris`.

Reading is done line by line here rather than with rispy, because a reviewer needs the line
of a broken record and because exports bend the format: a UTF-8/UTF-16 byte-order mark
(EndNote on Windows), `TY - ` with one space (Ovid), continuation lines without a tag
(EndNote, wrapped abstracts), abstracts in `N2` (Embase, Ovid), DOIs only as
`https://dx.doi.org/...` in `UR`/`L2`/`M3` (Embase), `Y1 - 2016///` dates, `SP` holding the
whole range, PMIDs in `AN` when `DB` is MEDLINE/PubMed, `WOS:` accession numbers, PMCIDs in
`C2`, and screening decisions in `N1` (Rayyan, ASReview, alsreview).  Writing uses rispy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from alsreview.errors import ImportFormatError
from alsreview.records.decisions import parse_notes
from alsreview.records.model import Record, normalise_doi
from alsreview.records.textfile import decode_export, iter_lines
from alsreview.typealiases import JSONDict

_TAG = re.compile(r"^([A-Z][A-Z0-9])\s{1,2}-(?: (.*)|\s*)$")
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_DOI_IN = re.compile(r"10\.\d{4,9}/[^\s\"<>]+")
_PMCID = re.compile(r"^PMC\d+$")
_NCT = re.compile(r"NCT\d{8}")
_SKIPPABLE_OUTSIDE = re.compile(r"^(\d+\.?|Provider:.*|Database:.*|Content:.*|<\d+>)$")

# RIS reference types (TY) that name the same kind of work in different databases
TYPE_NAMES = {
    "JOUR": "Journal Article",
    "JFULL": "Journal Article",
    "EJOUR": "Journal Article",
    "ABST": "Abstract",
    "CONF": "Conference Proceeding",
    "CPAPER": "Conference Paper",
    "BOOK": "Book",
    "CHAP": "Book Chapter",
    "THES": "Thesis",
    "RPRT": "Report",
    "GEN": "Generic",
    "ELEC": "Web Page",
    "NEWS": "Newspaper Article",
    "SER": "Serial",
    "DATA": "Dataset",
}


def _split_records(text: str, path: str | None) -> Iterator[tuple[int, list[tuple[str, str, int]]]]:
    """(line of TY, [(tag, value, line), ...]) of each record as soon as its ER is read;
    continuation lines appended."""
    n_records = 0
    current: list[tuple[str, str, int]] | None = None
    start = 0
    for lineno, raw in iter_lines(text):
        line = raw.rstrip()
        m = _TAG.match(line)
        if m is None:
            stripped = line.strip()
            if not stripped:
                continue
            if current is None:
                if _SKIPPABLE_OUTSIDE.match(stripped):  # numbering, publisher header lines
                    continue
                raise ImportFormatError(
                    path,
                    f"text outside a record (expected 'TY  - '): {stripped[:60]!r}",
                    line=lineno,
                    record=n_records + 1,
                )
            if current:
                tag, value, at = current[-1]
                current[-1] = (tag, f"{value} {stripped}".strip(), at)
            continue
        tag, value = m.group(1), (m.group(2) or "").strip()
        if tag == "TY":
            if current is not None:
                raise ImportFormatError(
                    path,
                    "new 'TY' before the previous record's 'ER'",
                    line=lineno,
                    record=n_records + 1,
                )
            if not value:
                raise ImportFormatError(
                    path, "'TY' without a reference type", line=lineno, record=n_records + 1
                )
            current, start = [("TY", value, lineno)], lineno
        elif tag == "ER":
            if current is None:
                raise ImportFormatError(
                    path, "'ER' without a 'TY'", line=lineno, record=n_records + 1
                )
            n_records += 1
            yield start, current
            current = None
        else:
            if current is None:
                raise ImportFormatError(
                    path,
                    f"tag {tag!r} outside a record (before 'TY')",
                    line=lineno,
                    record=n_records + 1,
                )
            current.append((tag, value, lineno))
    if current is not None:
        raise ImportFormatError(
            path,
            "last record is not closed by 'ER  - ' (file truncated?)",
            line=start,
            record=n_records + 1,
        )
    if not n_records:
        raise ImportFormatError(path, "no RIS records (no 'TY  - ' line)")


def _first(fields: dict[str, list[str]], *tags: str) -> str:
    for tag in tags:
        for value in fields.get(tag, []):
            if value:
                return value
    return ""


def _all(fields: dict[str, list[str]], *tags: str) -> list[str]:
    return [v for tag in tags for v in fields.get(tag, []) if v]


def _find_doi(fields: dict[str, list[str]]) -> str | None:
    for value in _all(fields, "DO", "DI", "M3", "UR", "L2", "L3", "N1"):
        doi = normalise_doi(value)
        if doi:
            return doi
        m = _DOI_IN.search(value)
        if m and ("doi" in value.lower() or value.strip().startswith("10.")):
            doi = normalise_doi(m.group(0))
            if doi:
                return doi
    return None


_PUBMED_URL = re.compile(
    r"(?:ncbi\.nlm\.nih\.gov/pubmed/(?:\?term=)?|pubmed\.ncbi\.nlm\.nih\.gov/)(\d+)"
)


def _pmid_elsewhere(fields: dict[str, list[str]], db: str) -> str | None:
    """PMIDs outside AN: Scopus puts the PubMed ID in C2; Ovid Embase puts
    '26751635 [http://www.ncbi.nlm.nih.gov/pubmed/?term=26751635]' in ID; many put a
    PubMed link in UR."""
    if "scopus" in db:
        value = _first(fields, "C2")
        if value.isdigit():
            return value
    for value in _all(fields, "ID", "UR", "L2", "AN", "C5"):
        m = _PUBMED_URL.search(value)
        if m:
            return m.group(1)
    return None


def _pages(fields: dict[str, list[str]]) -> str:
    sp, ep = _first(fields, "SP"), _first(fields, "EP")
    if sp and ep and "-" not in sp:
        return f"{sp}-{ep}"
    return sp or ep


def _to_record(fields: dict[str, list[str]], number: int) -> Record:
    ris_type = _first(fields, "TY").upper()
    db = " ".join(_all(fields, "DB", "DP")).lower()
    accession = _first(fields, "AN")
    pmid = None
    extra: JSONDict = {"ris_type": ris_type}
    if accession:
        extra["accession_number"] = accession
        if re.fullmatch(r"(?:PMID:?\s*)?\d{1,9}", accession, re.IGNORECASE) and (
            "medline" in db or "pubmed" in db or accession.upper().startswith("PMID")
        ):
            pmid = accession
    if pmid is None:
        pmid = _pmid_elsewhere(fields, db)
    if db:
        extra["database"] = db
    pmcid = next((v for v in _all(fields, "C2", "PMC") if _PMCID.match(v)), None)
    abstract = _first(fields, "AB") or _first(fields, "N2")
    notes = _all(fields, "N1")
    note = parse_notes(notes) if notes else None
    title = _first(fields, "TI", "T1", "CT", "BT") or _first(fields, "ST")
    journal = _first(fields, "T2", "JF", "JO", "SO")
    if ris_type in ("CHAP",) and fields.get("BT"):
        journal = _first(fields, "BT")
    abbrev = _first(fields, "J2", "JA", "J1", "JI", "J9")
    if not abbrev and fields.get("JO") and journal != _first(fields, "JO"):
        abbrev = _first(fields, "JO")
    year_text = _first(fields, "PY", "Y1", "DA", "Y2")
    m = _YEAR.search(year_text)
    keywords: list[str] = []
    for value in _all(fields, "KW"):
        keywords += [k.strip() for k in re.split(r";\s*", value) if k.strip()]
    nct = _NCT.search(" ".join(_all(fields, "C3", "C4", "C5", "C6", "M1", "RN")))
    if "ET" in fields:
        extra["epub"] = _first(fields, "ET")
    if any(t in fields for t in ("C7", "M1")):
        extra["article_number"] = _first(fields, "C7", "M1")
    return Record(
        title=title,
        abstract=abstract,
        authors=_all(fields, "AU", "A1"),
        journal=journal,
        journal_abbrev=abbrev,
        year=int(m.group(1)) if m else None,
        volume=_first(fields, "VL"),
        issue=_first(fields, "IS"),
        pages=_pages(fields),
        doi=_find_doi(fields),
        pmid=pmid,
        pmcid=pmcid,
        nct_id=nct.group(0) if nct else None,
        keywords=keywords,
        publication_types=[TYPE_NAMES.get(ris_type, ris_type)]
        + [v for v in _all(fields, "M3") if not normalise_doi(v) and "://" not in v],
        language=_first(fields, "LA"),
        url=_first(fields, "UR", "L2"),
        source=db or "ris",
        source_id=_first(fields, "ID").split(" [")[0] or str(number),
        decision=note.decision if note else None,
        labels=note.labels if note else [],
        notes=note.text if note else "",
        extra=extra | ({"exclusion_reasons": note.reasons} if note and note.reasons else {}),
    )


def parse_ris(data: bytes | str, path: str | None = None) -> list[Record]:
    """Parse RIS text.  Every structural fault raises `ImportFormatError` with record and line."""
    text = decode_export(data, path)
    out = []
    for number, (start, items) in enumerate(_split_records(text, path), start=1):
        fields: dict[str, list[str]] = {}
        for tag, value, _line in items:
            fields.setdefault(tag, []).append(value)
        rec = _to_record(fields, number)
        rec.extra["line"] = start
        out.append(rec)
    return out


_TYPE_BACK = {
    "Journal Article": "JOUR",
    "Clinical Trial Registration": "GEN",
    "Conference Proceeding": "CONF",
    "Conference Paper": "CPAPER",
    "Abstract": "ABST",
    "Book": "BOOK",
    "Book Chapter": "CHAP",
}


def record_to_ris_dict(rec: Record) -> JSONDict:
    """A rispy reference dict; decision and labels go into N1 as `alsreview-...` lines."""
    ris_type = rec.extra.get("ris_type") or next(
        (_TYPE_BACK[p] for p in rec.publication_types if p in _TYPE_BACK), "JOUR"
    )
    ref: JSONDict = {"type_of_reference": ris_type}

    def put(key: str, value: Any) -> None:
        # every value on one line: a newline would start a new tag, or a new record
        if isinstance(value, list):
            value = [" ".join(str(v).split()) for v in value if str(v).strip()]
        elif isinstance(value, str):
            value = " ".join(value.split())
        if value:
            ref[key] = value

    put("title", rec.title)
    put("authors", list(rec.authors))
    put("abstract", rec.abstract)
    put("secondary_title", rec.journal)
    put("alternate_title1", rec.journal_abbrev)
    put("year", str(rec.year) if rec.year else "")
    put("volume", rec.volume)
    put("number", rec.issue)
    if rec.pages:
        start, _, end = rec.pages.partition("-")
        put("start_page", start.strip())
        put("end_page", end.strip())
    put("doi", rec.doi)
    put("keywords", list(rec.keywords))
    put("language", rec.language)
    put("urls", [rec.url] if rec.url else [])
    if rec.pmid:
        ref["accession_number"] = rec.pmid
        ref["name_of_database"] = "PubMed"
    put("custom2", rec.pmcid)
    put("custom3", rec.nct_id)
    put("id", rec.source_id)
    notes = []
    if rec.decision:
        notes.append(f"alsreview-decision: {rec.decision}")
    if rec.labels:
        notes.append("alsreview-labels: " + "; ".join(rec.labels))
    if rec.notes:
        notes.append(" ".join(rec.notes.split()))
    put("notes", notes)
    return ref


def write_ris(records: list[Record]) -> str:
    """RIS text for `records` (rispy's writer)."""
    import rispy

    return rispy.dumps([record_to_ris_dict(r) for r in records])
