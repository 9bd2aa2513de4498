"""Crossref REST API (`/works?query=`) paged with cursor.

In: a bibliographic query and a publication-date window (`from-pub-date`, `until-pub-date`
filters).  Out: Records (DOI, title, authors, container title, volume, issue, page, year,
abstract with its JATS tags removed, type, language).  With `mailto` the request goes to
Crossref's "polite" pool.  Paging ends on an empty page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from alsreview.records.model import Record
from alsreview.sources.base import Source
from alsreview.typealiases import JSONDict

CROSSREF = "https://api.crossref.org"
_TAGS = re.compile(r"<[^>]+>")


def _first(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join(html.unescape(_TAGS.sub(" ", str(value or ""))).split())


def _year(item: JSONDict) -> int | None:
    for key in ("published-print", "published-online", "published", "issued", "created"):
        parts = (item.get(key) or {}).get("date-parts") or []
        if parts and parts[0] and isinstance(parts[0][0], int):
            return parts[0][0]
    return None


def record_from_item(item: JSONDict) -> Record:
    """One Crossref work item -> Record."""
    authors = []
    for a in item.get("author") or []:
        if not isinstance(a, dict):
            continue
        if a.get("family"):
            authors.append(f"{a['family']}, {a.get('given', '')}".strip(", "))
        elif a.get("name"):
            authors.append(a["name"])
    abstract = _first(item.get("abstract"))
    abstract = re.sub(r"^(Abstract|ABSTRACT)\s+", "", abstract)
    return Record(
        title=_first(item.get("title")),
        abstract=abstract,
        authors=authors,
        journal=_first(item.get("container-title")),
        journal_abbrev=_first(item.get("short-container-title")),
        year=_year(item),
        volume=str(item.get("volume") or ""),
        issue=str(item.get("issue") or ""),
        pages=str(item.get("page") or ""),
        doi=item.get("DOI"),
        keywords=[str(s) for s in item.get("subject") or []],
        publication_types=[str(item["type"])] if item.get("type") else [],
        language=str(item.get("language") or ""),
        url=str(item.get("URL") or ""),
        source="crossref",
        source_id=str(item.get("DOI") or ""),
    )


class Crossref(Source):
    name = "crossref"
    default_base_url = CROSSREF
    rate = 5.0

    def __init__(self, *, mailto: str | None = None, rows: int = 1000, **kw: Any) -> None:
        self.mailto = mailto
        self.rows = rows
        if mailto:
            self.rate = 10.0
        super().__init__(**kw)

    def _start(self, query: str, date_from: dt.date | None, date_to: dt.date | None) -> JSONDict:
        filters = []
        if date_from:
            filters.append(f"from-pub-date:{date_from.isoformat()}")
        if date_to:
            filters.append(f"until-pub-date:{date_to.isoformat()}")
        return {"query": query, "filter": ",".join(filters), "cursor": "*"}

    def _page(self, state: JSONDict) -> tuple[list[Record], JSONDict | None, int]:
        params = {"query": state["query"], "rows": str(self.rows), "cursor": state["cursor"]}
        if state["filter"]:
            params["filter"] = state["filter"]
        if self.mailto:
            params["mailto"] = self.mailto
        data = self.http.get_json(f"{self.base_url}/works", params)
        message = data.get("message") or {}
        items = message.get("items") or []
        records = [record_from_item(i) for i in items if isinstance(i, dict)]
        total = int(message.get("total-results") or 0)
        nxt = message.get("next-cursor")
        if not items or not nxt:
            return records, None, total
        return records, {**state, "cursor": nxt}, total
