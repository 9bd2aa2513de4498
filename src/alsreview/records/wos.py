"""Web of Science "Plain text file" exports (savedrecs.txt) -> Records.

In: Clarivate's field-tagged text: `FN Clarivate Analytics Web of Science` / `VR 1.0` header,
two-letter tags followed by one space, continuation lines indented three spaces (one author
or keyword per line), `ER` closing each record and `EF` closing the file.  Out: Records
(AU/AF authors, TI, SO journal and J9/JI abbreviation, PY, VL, IS, BP-EP or AR pages, DI DOI,
PM PMID, UT accession as `source_id`, DE/ID keywords, DT document type).
"""

from __future__ import annotations

import re

from alsreview.errors import ImportFormatError
from alsreview.records.model import Record
from alsreview.records.textfile import decode_export

_TAG = re.compile(r"^([A-Z][A-Z0-9]) ?(.*)$")
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_JOIN_WITH_SPACE = {"TI", "AB", "SO", "SE", "BS", "CT", "CL", "SP", "HO", "C1", "RP", "FU", "FX"}


def _split(text: str, path: str | None) -> list[tuple[int, dict[str, list[str]]]]:
    records: list[tuple[int, dict[str, list[str]]]] = []
    current: dict[str, list[str]] | None = None
    last_tag = ""
    start = 0
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if raw.startswith("   ") and current is not None and last_tag:
            value = line.strip()
            if last_tag in _JOIN_WITH_SPACE:
                current[last_tag][-1] = f"{current[last_tag][-1]} {value}"
            else:
                current[last_tag].append(value)
            continue
        m = _TAG.match(line)
        if m is None:
            raise ImportFormatError(
                path,
                f"not a Web of Science tag line: {line[:60]!r}",
                line=lineno,
                record=len(records) + 1,
            )
        tag, value = m.group(1), m.group(2).strip()
        if tag in ("FN", "VR", "EF") and current is None:
            continue
        if tag == "ER":
            if current is None:
                raise ImportFormatError(
                    path, "'ER' outside a record", line=lineno, record=len(records) + 1
                )
            records.append((start, current))
            current, last_tag = None, ""
            continue
        if current is None:
            if tag != "PT":
                raise ImportFormatError(
                    path,
                    f"record starts with {tag!r}, expected 'PT'",
                    line=lineno,
                    record=len(records) + 1,
                )
            current, start = {}, lineno
        current.setdefault(tag, []).append(value)
        last_tag = tag
    if current is not None:
        raise ImportFormatError(
            path,
            "last record is not closed by 'ER' (file truncated?)",
            line=start,
            record=len(records) + 1,
        )
    if not records:
        raise ImportFormatError(path, "no Web of Science records (no 'PT' line)")
    return records


_DOC_TYPES = {
    "J": "Journal Article",
    "C": "Conference Paper",
    "B": "Book",
    "S": "Book Series",
    "P": "Patent",
}


def parse_wos(data: bytes | str, path: str | None = None) -> list[Record]:
    """Parse a Web of Science plain-text export."""
    out = []
    for number, (line, f) in enumerate(_split(decode_export(data, path), path), start=1):

        def first(*tags: str, f: dict[str, list[str]] = f) -> str:
            return next((f[t][0] for t in tags if f.get(t) and f[t][0]), "")

        bp, ep = first("BP"), first("EP")
        pages = f"{bp}-{ep}" if bp and ep else (bp or first("AR"))
        m = _YEAR.search(first("PY", "EA"))
        keywords = [k.strip() for v in f.get("DE", []) + f.get("ID", []) for k in v.split(";")]
        doc_types = [d.strip() for v in f.get("DT", []) for d in v.split(";") if d.strip()]
        out.append(
            Record(
                title=first("TI"),
                abstract=first("AB"),
                authors=f.get("AF") or f.get("AU") or [],
                journal=first("SO"),
                journal_abbrev=first("JI", "J9"),
                year=int(m.group(1)) if m else None,
                volume=first("VL"),
                issue=first("IS"),
                pages=pages,
                doi=first("DI") or None,
                pmid=first("PM") or None,
                keywords=[k for k in keywords if k],
                publication_types=[_DOC_TYPES.get(first("PT"), first("PT")), *doc_types],
                language=first("LA"),
                source="web of science",
                source_id=first("UT") or str(number),
                extra={"line": line, "early_access": first("EA")}
                if f.get("EA")
                else {"line": line},
            )
        )
    return out
