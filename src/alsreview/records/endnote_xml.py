"""EndNote XML ("File > Export > XML") -> Records.

In: `<xml><records><record>...` as EndNote (and Zotero/Mendeley exports in EndNote XML)
write it; text may sit directly in an element or inside `<style face=... >` runs, which are
joined.  Out: Records (PMID from `accession-num` when the remote database is PubMed/MEDLINE/NLM,
DOI from `electronic-resource-num`, PMCID from `custom2`, decisions from `notes` as in RIS).
Parsing is DTD-free and entity-safe (`safexml`).
"""

from __future__ import annotations

import re

from lxml import etree

from alsreview.errors import ImportFormatError
from alsreview.records.decisions import parse_notes
from alsreview.records.model import Record, normalise_doi
from alsreview.records.safexml import iter_elements, text_of

_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_PMCID = re.compile(r"^PMC\d+$")


def parse_endnote_xml(data: bytes, path: str | None = None) -> list[Record]:
    """Parse an EndNote XML export."""
    out: list[Record] = []
    for elem in iter_elements(data, ("record",), path, "EndNote XML"):
        out.append(_to_record(elem, len(out) + 1))
        out[-1].extra["line"] = elem.sourceline
    if not out:
        raise ImportFormatError(path, "no <record> elements: not an EndNote XML export")
    return out


def _t(elem: etree._Element, xpath: str) -> str:
    return text_of(elem.find(xpath))


def _to_record(rec: etree._Element, number: int) -> Record:
    ref_type = rec.find("ref-type")
    kind = (ref_type.get("name") if ref_type is not None else "") or "Generic"
    remote = " ".join(
        (_t(rec, "remote-database-name"), _t(rec, "remote-database-provider"))
    ).lower()
    accession = _t(rec, "accession-num")
    pmid = None
    if accession.isdigit() and any(k in remote for k in ("pubmed", "medline", "nlm")):
        pmid = accession
    doi = None
    for value in (
        _t(rec, "electronic-resource-num"),
        *(text_of(u) for u in rec.iterfind("urls//url")),
    ):
        doi = normalise_doi(value)
        if doi:
            break
    m = _YEAR.search(_t(rec, "dates/year"))
    notes_elem = rec.find("notes")
    notes = "".join(notes_elem.itertext()).strip() if notes_elem is not None else ""
    note = parse_notes(notes) if notes else None
    custom2 = _t(rec, "custom2")
    journal = _t(rec, "periodical/full-title") or _t(rec, "titles/secondary-title")
    urls = [text_of(u) for u in rec.iterfind("urls/related-urls/url")]
    return Record(
        title=_t(rec, "titles/title"),
        abstract=_t(rec, "abstract"),
        authors=[text_of(a) for a in rec.iterfind("contributors/authors/author") if text_of(a)],
        journal=journal,
        journal_abbrev=_t(rec, "periodical/abbr-1") or _t(rec, "titles/alt-title"),
        year=int(m.group(1)) if m else None,
        volume=_t(rec, "volume"),
        issue=_t(rec, "number"),
        pages=_t(rec, "pages"),
        doi=doi,
        pmid=pmid,
        pmcid=custom2 if _PMCID.match(custom2) else None,
        keywords=[text_of(k) for k in rec.iterfind("keywords/keyword") if text_of(k)],
        publication_types=[kind],
        language=_t(rec, "language"),
        url=urls[0] if urls else "",
        source=remote.strip() or "endnote",
        source_id=_t(rec, "rec-number") or str(number),
        decision=note.decision if note else None,
        labels=note.labels if note else [],
        notes=note.text if note else "",
        extra={"accession_number": accession} if accession else {},
    )
