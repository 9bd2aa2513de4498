"""PubMed through the NCBI E-utilities (esearch + efetch with the history server).

In: a PubMed query and a publication-date window.  Out: Records parsed from efetch's
PubMed XML by `alsreview.records.pubmed_xml.parse_pubmed_xml`.

esearch (`usehistory=y`) stores the result set on the history server (WebEnv, query_key)
and reports its Count; efetch then pages through it `batch` records at a time.  The
E-utilities return at most 10,000 records of one result set, so a window holding more is
cut in two by publication date (`datetype=pdat`, mindate/maxdate, inclusive) until each part
fits.  `api_key`, `tool` and `email` are sent when given; the rate limit is 3 requests per
second, 10 with an api_key (NCBI policy).  A WebEnv that expired while a search was
interrupted is renewed by searching the window again.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from lxml import etree

from alsreview.errors import ImportFormatError, SourceError
from alsreview.records.model import Record
from alsreview.records.pubmed_xml import parse_pubmed_xml
from alsreview.sources.base import Source
from alsreview.typealiases import JSONDict

EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
EARLIEST = dt.date(1781, 1, 1)


def _xml(body: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"malformed XML: {exc}") from exc


def _check_efetch(body: bytes) -> None:
    root = _xml(body)
    if root.tag not in ("PubmedArticleSet", "eFetchResult"):
        raise ValueError(f"unexpected root <{root.tag}>")


def _pdat(d: dt.date) -> str:
    return d.strftime("%Y/%m/%d")


class PubMed(Source):
    name = "pubmed"
    default_base_url = EUTILS
    retrieval_limit = 10_000

    def __init__(
        self,
        *,
        api_key: str | None = None,
        tool: str = "alsreview",
        email: str | None = None,
        batch: int = 500,
        **kw: Any,
    ) -> None:
        self.api_key = api_key if api_key is not None else os.environ.get("NCBI_API_KEY")
        self.rate = 10.0 if self.api_key else 3.0
        self.tool = tool
        self.email = email if email is not None else os.environ.get("NCBI_EMAIL")
        self.batch = batch
        super().__init__(**kw)

    def _common(self) -> dict[str, str]:
        params = {"db": "pubmed", "tool": self.tool}
        if self.email:
            params["email"] = self.email
        if self.api_key:
            params["api_key"] = self.api_key
        return params

    def esearch(self, query: str, date_from: dt.date | None, date_to: dt.date | None) -> JSONDict:
        """Run esearch with the history server: {"count", "webenv", "query_key"}."""
        params = {**self._common(), "term": query, "usehistory": "y", "retmax": "0"}
        if date_from or date_to:
            params.update(
                datetype="pdat",
                mindate=_pdat(date_from or EARLIEST),
                maxdate=_pdat(date_to or dt.date.today()),
            )
        body = self.http.get(f"{self.base_url}/esearch.fcgi", params, check=_xml, cache=False)
        root = _xml(body)
        error = root.findtext("ERROR")
        if error:
            raise SourceError(f"PubMed esearch refused the query {query!r}: {error}")
        count = root.findtext("Count")
        if count is None or not count.strip().isdigit():
            raise SourceError(f"PubMed esearch answer without <Count> for {query!r}")
        return {
            "count": int(count),
            "webenv": root.findtext("WebEnv") or "",
            "query_key": root.findtext("QueryKey") or "",
        }

    def _start(self, query: str, date_from: dt.date | None, date_to: dt.date | None) -> JSONDict:
        whole = self.esearch(query, date_from, date_to)
        lo = date_from.isoformat() if date_from else None
        hi = date_to.isoformat() if date_to else None
        if whole["count"] > self.retrieval_limit:  # will be split by date: needs both ends
            lo = lo or EARLIEST.isoformat()
            hi = hi or dt.date.today().isoformat()
        window = {"from": lo, "to": hi, **whole, "retstart": 0}
        return {"query": query, "total": whole["count"], "windows": [window]}

    def _page(self, state: JSONDict) -> tuple[list[Record], JSONDict | None, int]:
        query, total = state["query"], state["total"]
        windows = list(state["windows"])
        while windows:
            w = windows[0]
            if w.get("count") is None:  # a half-window not searched yet
                lo = dt.date.fromisoformat(w["from"]) if w["from"] else None
                hi = dt.date.fromisoformat(w["to"]) if w["to"] else None
                w = {**w, **self.esearch(query, lo, hi), "retstart": 0}
                windows[0] = w
            if w["count"] > self.retrieval_limit:
                windows[0:1] = self._split(w)
                continue
            if w["retstart"] >= w["count"]:
                windows.pop(0)
                continue
            records = self._efetch(query, w)
            w = {**w, "retstart": w["retstart"] + self.batch}
            windows[0] = w
            if w["retstart"] >= w["count"]:
                windows.pop(0)
            nxt = {"query": query, "total": total, "windows": windows} if windows else None
            return records, nxt, total
        return [], None, total

    def _split(self, w: JSONDict) -> list[JSONDict]:
        lo = dt.date.fromisoformat(w["from"])
        hi = dt.date.fromisoformat(w["to"])
        if lo >= hi:
            raise SourceError(
                f"PubMed: {w['count']} records published on {lo} alone exceed the "
                f"{self.retrieval_limit}-record limit; narrow the query"
            )
        mid = lo + (hi - lo) // 2
        return [
            {"from": lo.isoformat(), "to": mid.isoformat(), "count": None},
            {"from": (mid + dt.timedelta(days=1)).isoformat(), "to": hi.isoformat(), "count": None},
        ]

    def _efetch(self, query: str, w: JSONDict) -> list[Record]:
        params = {
            **self._common(),
            "query_key": w["query_key"],
            "WebEnv": w["webenv"],
            "retstart": str(w["retstart"]),
            "retmax": str(self.batch),
            "retmode": "xml",
        }
        body = self.http.get(f"{self.base_url}/efetch.fcgi", params, check=_check_efetch)
        root = _xml(body)
        if root.tag == "eFetchResult":  # history expired (or a server-side error)
            error = root.findtext("ERROR") or "empty efetch result"
            lo = dt.date.fromisoformat(w["from"]) if w.get("from") else None
            hi = dt.date.fromisoformat(w["to"]) if w.get("to") else None
            fresh = self.esearch(query, lo, hi)
            if fresh["webenv"] == w["webenv"]:
                raise SourceError(f"PubMed efetch failed: {error}")
            w.update(fresh)
            return self._efetch(query, w)
        try:
            return parse_pubmed_xml(body, path=f"efetch retstart={w['retstart']}")
        except ImportFormatError as exc:
            raise SourceError(f"PubMed returned unreadable XML: {exc}") from exc
