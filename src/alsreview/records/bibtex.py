"""BibTeX files (Zotero, JabRef, Mendeley, Google Scholar, EndNote) <-> Records.

In: BibTeX text.  Out: Records (LaTeX accents converted to Unicode, 'and'-separated authors,
'337--344' pages as '337-344', `pmid`/`pmcid`/`eprint` fields read when present); and the
reverse with `write_bibtex`.  bibtexparser (1.x) does the parsing; because it silently drops
entries it cannot read, each '@type{' opening in the text is matched to a parsed entry and an
unparsed one raises `ImportFormatError` with its line.
"""

from __future__ import annotations

import re

from alsreview.errors import ImportFormatError
from alsreview.records.model import Record
from alsreview.records.textfile import decode_export
from alsreview.typealiases import JSONDict

_ENTRY = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(][ \t]*([^,\s]*)", re.MULTILINE)
_NON_ENTRIES = {"comment", "string", "preamble"}
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_TYPE_NAMES = {
    "article": "Journal Article",
    "inproceedings": "Conference Paper",
    "conference": "Conference Paper",
    "proceedings": "Conference Proceeding",
    "book": "Book",
    "incollection": "Book Chapter",
    "inbook": "Book Chapter",
    "phdthesis": "Thesis",
    "mastersthesis": "Thesis",
    "techreport": "Report",
    "misc": "Generic",
    "online": "Web Page",
}
_TYPE_BACK = {
    "Journal Article": "article",
    "Conference Paper": "inproceedings",
    "Book": "book",
    "Book Chapter": "incollection",
}


_BRACE_WORD = re.compile(r"\\textbrace(left|right)(?:\{\})?")


def _clean(value: str) -> str:
    """Grouping braces dropped; `\\textbraceleft{}`/`\\textbraceright{}` (how `write_bibtex`
    escapes a literal brace) read back as `{`/`}`."""
    text = value.replace("{", "").replace("}", "")
    text = _BRACE_WORD.sub(lambda m: "{" if m.group(1) == "left" else "}", text)
    return " ".join(text.split())


def parse_bibtex(data: bytes | str, path: str | None = None) -> list[Record]:
    """Parse BibTeX text into Records."""
    import bibtexparser
    from bibtexparser.bparser import BibTexParser
    from bibtexparser.customization import convert_to_unicode

    text = decode_export(data, path)
    openings = []
    line, pos = 1, 0
    for m in _ENTRY.finditer(text):  # line numbers counted on from the previous entry
        line += text.count("\n", pos, m.start())  # (from the start each time: quadratic)
        pos = m.start()
        if m.group(1).lower() not in _NON_ENTRIES:
            openings.append((m.group(2), line))
    if not openings:
        raise ImportFormatError(path, "no BibTeX entries ('@article{key,' ...)")
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    parser.customization = convert_to_unicode
    try:
        db = bibtexparser.loads(text, parser=parser)
    except Exception as exc:  # bibtexparser/pyparsing raise many types; report, never leak
        raise ImportFormatError(path, f"BibTeX parser failed: {exc}") from None
    entries = db.entries
    parsed_keys = {e.get("ID", "") for e in entries}
    for number, (key, line) in enumerate(openings, start=1):
        if key not in parsed_keys:
            raise ImportFormatError(
                path, f"entry {key or '(no key)'!r} could not be parsed", line=line, record=number
            )
    lines = dict(openings)
    out = []
    for number, entry in enumerate(entries, start=1):
        out.append(_to_record(entry, number, lines.get(entry.get("ID", ""))))
    return out


def _to_record(entry: JSONDict, number: int, line: int | None) -> Record:
    def get(*keys: str) -> str:
        for key in keys:
            if entry.get(key):
                return _clean(str(entry[key]))
        return ""

    authors = [_clean(a) for a in re.split(r"\s+and\s+", get("author")) if _clean(a)]
    pages = re.sub(r"\s*-{1,3}\s*", "-", get("pages"))
    m = _YEAR.search(get("year", "date"))
    kind = entry.get("ENTRYTYPE", "misc").lower()
    keywords = [k.strip() for k in re.split(r"[;,]", get("keywords", "keyword")) if k.strip()]
    pmid = get("pmid")
    if not pmid and get("eprinttype").lower() == "pubmed":
        pmid = get("eprint")
    extra: JSONDict = {"bibtex_type": kind}
    if line is not None:
        extra["line"] = line
    return Record(
        title=get("title"),
        abstract=get("abstract"),
        authors=authors,
        journal=get("journal", "journaltitle", "booktitle"),
        journal_abbrev=get("shortjournal", "journal-iso"),
        year=int(m.group(1)) if m else None,
        volume=get("volume"),
        issue=get("number", "issue"),
        pages=pages,
        doi=get("doi") or None,
        pmid=pmid or None,
        pmcid=get("pmcid") or None,
        keywords=keywords,
        publication_types=[_TYPE_NAMES.get(kind, kind)],
        language=get("language", "langid"),
        url=get("url"),
        source="bibtex",
        source_id=entry.get("ID") or str(number),
        notes=get("note", "annote"),
        extra=extra,
    )


_ESCAPES = {"{": "\\textbraceleft{}", "}": "\\textbraceright{}", "\\": "\\textbackslash{}"}


def _escape(value: str) -> str:
    """Braces and backslashes escaped as LaTeX words, never dropped (a DOI may contain `}`;
    BibTeX counts braces even after a backslash, so `\\}` would unbalance the entry)."""
    return re.sub(r"[{}\\]", lambda m: _ESCAPES[m.group(0)], " ".join(value.split()))


def write_bibtex(records: list[Record]) -> str:
    """BibTeX text (bibtexparser's writer); keys from the source id or first author + year."""
    import bibtexparser
    from bibtexparser.bibdatabase import BibDatabase

    db = BibDatabase()
    used: set[str] = set()
    for i, rec in enumerate(records, start=1):
        base = (
            re.sub(r"[^A-Za-z0-9_:-]", "", rec.source_id)
            or (re.sub(r"[^A-Za-z]", "", rec.first_author.split(",")[0]) + str(rec.year or ""))
            or f"record{i}"
        )
        key, n = base, 1
        while key in used:
            n += 1
            key = f"{base}_{n}"
        used.add(key)
        kind = next((_TYPE_BACK[p] for p in rec.publication_types if p in _TYPE_BACK), "article")
        entry = {"ENTRYTYPE": rec.extra.get("bibtex_type", kind), "ID": key}
        values = {
            "title": rec.title,
            "author": " and ".join(rec.authors),
            "journal": rec.journal,
            "year": str(rec.year) if rec.year else "",
            "volume": rec.volume,
            "number": rec.issue,
            "pages": rec.pages.replace("-", "--"),
            "doi": rec.doi or "",
            "pmid": rec.pmid or "",
            "pmcid": rec.pmcid or "",
            "abstract": rec.abstract,
            "keywords": ", ".join(rec.keywords),
            "language": rec.language,
            "url": rec.url,
            "note": rec.notes,
        }
        entry.update({k: _escape(v) for k, v in values.items() if v})
        db.entries.append(entry)
    from bibtexparser.bwriter import BibTexWriter

    writer = BibTexWriter()
    writer.order_entries_by = None
    return bibtexparser.dumps(db, writer)
