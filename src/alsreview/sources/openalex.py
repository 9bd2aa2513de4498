"""OpenAlex works search (`/works?search=`) paged with cursor.

In: a search string and a publication-date window (`from_publication_date`,
`to_publication_date` filters).  Out: Records; the abstract is rebuilt from OpenAlex's
`abstract_inverted_index` (word -> positions).  An API key (`api_key`, or $OPENALEX_API_KEY;
OpenAlex requires one for real use since February 2026) and a contact address (`mailto`) are
sent when given; pages hold up to 100 works (`per_page`).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from alsreview.records.model import Record
from alsreview.sources.base import Source
from alsreview.typealiases import JSONDict

OPENALEX = "https://api.openalex.org"


def abstract_from_inverted_index(index: dict[str, list[int]] | None) -> str:
    """Rebuild the abstract: every word placed at each of its positions, joined by spaces."""
    if not index:
        return ""
    slots: dict[int, str] = {}
    for word, positions in index.items():
        for p in positions or []:
            if isinstance(p, int):
                slots[p] = word
    return " ".join(slots[p] for p in sorted(slots))


def _strip_prefix(value: Any, prefix: str) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value[len(prefix) :] if value.startswith(prefix) else value


def record_from_work(w: JSONDict) -> Record:
    """One OpenAlex work object -> Record."""
    ids = w.get("ids") or {}
    loc = w.get("primary_location") or {}
    src = loc.get("source") or {}
    biblio = w.get("biblio") or {}
    first, last = biblio.get("first_page"), biblio.get("last_page")
    pages = f"{first}-{last}" if first and last and first != last else (first or "")
    authors = [
        (a.get("author") or {}).get("display_name", "")
        for a in w.get("authorships") or []
        if isinstance(a, dict)
    ]
    work_id = _strip_prefix(w.get("id"), "https://openalex.org/") or ""
    return Record(
        title=" ".join(str(w.get("title") or w.get("display_name") or "").split()),
        abstract=abstract_from_inverted_index(w.get("abstract_inverted_index")),
        authors=[a for a in authors if a],
        journal=str(src.get("display_name") or ""),
        year=w.get("publication_year") if isinstance(w.get("publication_year"), int) else None,
        volume=str(biblio.get("volume") or ""),
        issue=str(biblio.get("issue") or ""),
        pages=str(pages),
        doi=w.get("doi"),
        pmid=_strip_prefix(ids.get("pmid"), "https://pubmed.ncbi.nlm.nih.gov/"),
        pmcid=_strip_prefix(ids.get("pmcid"), "https://www.ncbi.nlm.nih.gov/pmc/articles/"),
        keywords=[
            k.get("display_name", "") for k in w.get("keywords") or [] if isinstance(k, dict)
        ],
        publication_types=[str(w["type"])] if w.get("type") else [],
        language=str(w.get("language") or ""),
        source="openalex",
        source_id=work_id,
    )


class OpenAlex(Source):
    name = "openalex"
    default_base_url = OPENALEX
    rate = 10.0

    def __init__(
        self,
        *,
        api_key: str | None = None,
        mailto: str | None = None,
        page_size: int = 100,
        **kw: Any,
    ) -> None:
        self.api_key = api_key if api_key is not None else os.environ.get("OPENALEX_API_KEY")
        self.mailto = mailto
        self.page_size = page_size
        super().__init__(**kw)

    def _start(self, query: str, date_from: dt.date | None, date_to: dt.date | None) -> JSONDict:
        filters = []
        if date_from:
            filters.append(f"from_publication_date:{date_from.isoformat()}")
        if date_to:
            filters.append(f"to_publication_date:{date_to.isoformat()}")
        return {"search": query, "filter": ",".join(filters), "cursor": "*"}

    def _page(self, state: JSONDict) -> tuple[list[Record], JSONDict | None, int]:
        params = {"search": state["search"], "per_page": str(self.page_size)}
        params["cursor"] = state["cursor"]
        if state["filter"]:
            params["filter"] = state["filter"]
        if self.api_key:
            params["api_key"] = self.api_key
        if self.mailto:
            params["mailto"] = self.mailto
        data = self.http.get_json(f"{self.base_url}/works", params)
        meta = data.get("meta") or {}
        results = data.get("results") or []
        records = [record_from_work(w) for w in results if isinstance(w, dict)]
        nxt = meta.get("next_cursor")
        total = int(meta.get("count") or 0)
        if not results or not nxt:
            return records, None, total
        return records, {**state, "cursor": nxt}, total
