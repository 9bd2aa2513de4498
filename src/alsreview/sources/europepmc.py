"""Europe PMC REST search (`/search`, JSON, `resultType=core`) paged with cursorMark.

In: a Europe PMC query and a first-publication-date window (`FIRST_PDATE:[a TO b]` is
added to the query).  Out: Records (PMID, PMCID, DOI, title, authors, journal, volume,
issue, pages, year, abstract, keywords, MeSH, publication types, language).  Paging ends
when `nextCursorMark` comes back unchanged or a page is empty.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from alsreview.records.model import Record
from alsreview.sources.base import Source
from alsreview.typealiases import JSONDict

EUROPEPMC = "https://www.ebi.ac.uk/europepmc/webservices/rest"
_TAGS = re.compile(r"<[^>]+>")


def _clean(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    return " ".join(html.unescape(_TAGS.sub(" ", text)).split())


def _list(obj: Any, *keys: str) -> list[Any]:
    for k in keys:
        obj = obj.get(k) if isinstance(obj, dict) else None
    return obj if isinstance(obj, list) else []


def record_from_result(r: JSONDict) -> Record:
    """One Europe PMC `core` result -> Record."""
    journal_info = r.get("journalInfo") or {}
    journal = journal_info.get("journal") or {}
    authors = []
    for a in _list(r, "authorList", "author"):
        if a.get("collectiveName"):
            authors.append(a["collectiveName"])
        elif a.get("lastName"):
            authors.append(f"{a['lastName']} {a.get('initials', '')}".strip())
        elif a.get("fullName"):
            authors.append(a["fullName"])
    if not authors and r.get("authorString"):
        authors = [x.strip() for x in str(r["authorString"]).rstrip(".").split(",") if x.strip()]
    year_text = str(r.get("pubYear") or journal_info.get("yearOfPublication") or "")
    lang = r.get("language") or ""
    return Record(
        title=_clean(r.get("title")).rstrip("."),
        abstract=_clean(r.get("abstractText")),
        authors=authors,
        journal=_clean(journal.get("title")),
        journal_abbrev=_clean(journal.get("isoabbreviation") or journal.get("medlineAbbreviation")),
        year=int(year_text) if year_text.isdigit() else None,
        volume=str(journal_info.get("volume") or ""),
        issue=str(journal_info.get("issue") or ""),
        pages=str(r.get("pageInfo") or ""),
        doi=r.get("doi"),
        pmid=r.get("pmid"),
        pmcid=r.get("pmcid"),
        keywords=[_clean(k) for k in _list(r, "keywordList", "keyword")],
        mesh_terms=[
            _clean(m.get("descriptorName"))
            for m in _list(r, "meshHeadingList", "meshHeading")
            if isinstance(m, dict) and m.get("descriptorName")
        ],
        publication_types=[_clean(t) for t in _list(r, "pubTypeList", "pubType")],
        language=lang if isinstance(lang, str) else "",
        source="europepmc",
        source_id=f"{r.get('source', '')}:{r.get('id', '')}",
    )


class EuropePMC(Source):
    name = "europepmc"
    default_base_url = EUROPEPMC
    rate = 10.0

    def __init__(self, *, page_size: int = 1000, email: str | None = None, **kw: Any) -> None:
        self.page_size = page_size
        self.email = email
        super().__init__(**kw)

    @staticmethod
    def dated_query(query: str, date_from: dt.date | None, date_to: dt.date | None) -> str:
        if not (date_from or date_to):
            return query
        lo = date_from.isoformat() if date_from else "1000-01-01"
        hi = date_to.isoformat() if date_to else "3000-12-31"
        return f"({query}) AND (FIRST_PDATE:[{lo} TO {hi}])"

    def _start(self, query: str, date_from: dt.date | None, date_to: dt.date | None) -> JSONDict:
        return {"query": self.dated_query(query, date_from, date_to), "cursor": "*"}

    def _page(self, state: JSONDict) -> tuple[list[Record], JSONDict | None, int]:
        params = {
            "query": state["query"],
            "format": "json",
            "resultType": "core",
            "pageSize": str(self.page_size),
            "cursorMark": state["cursor"],
        }
        if self.email:
            params["email"] = self.email
        data = self.http.get_json(f"{self.base_url}/search", params)
        results = _list(data, "resultList", "result")
        total = int(data.get("hitCount") or 0)
        records = [record_from_result(r) for r in results if isinstance(r, dict)]
        nxt = data.get("nextCursorMark")
        if not results or not nxt or nxt == state["cursor"]:
            return records, None, total
        return records, {"query": state["query"], "cursor": nxt}, total
