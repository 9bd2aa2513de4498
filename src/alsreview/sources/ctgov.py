"""ClinicalTrials.gov API v2 (`/studies`) paged with pageToken.

In: an Essie query (`query.term`) and a first-posted date window (added as
`AREA[StudyFirstPostDate]RANGE[a, b]`).  Out: one Record per study, parsed by
`alsreview.records.ctgov.parse_study`.  `countTotal=true` asks for the hit count; paging
ends when a page carries no `nextPageToken`.  ClinicalTrials.gov asks clients to stay near
50 requests a minute, hence the slow default rate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from alsreview.errors import ImportFormatError, SourceError
from alsreview.records.ctgov import parse_study
from alsreview.records.model import Record
from alsreview.sources.base import Source
from alsreview.typealiases import JSONDict

CTGOV = "https://clinicaltrials.gov/api/v2"


class ClinicalTrialsGov(Source):
    name = "ctgov"
    default_base_url = CTGOV
    rate = 0.8

    def __init__(self, *, page_size: int = 1000, **kw: Any) -> None:
        self.page_size = page_size
        super().__init__(**kw)

    @staticmethod
    def dated_query(query: str, date_from: dt.date | None, date_to: dt.date | None) -> str:
        if not (date_from or date_to):
            return query
        lo = date_from.isoformat() if date_from else "MIN"
        hi = date_to.isoformat() if date_to else "MAX"
        return f"({query}) AND AREA[StudyFirstPostDate]RANGE[{lo},{hi}]"

    def _start(self, query: str, date_from: dt.date | None, date_to: dt.date | None) -> JSONDict:
        return {"term": self.dated_query(query, date_from, date_to), "token": None, "total": None}

    def _page(self, state: JSONDict) -> tuple[list[Record], JSONDict | None, int]:
        params = {"query.term": state["term"], "pageSize": str(self.page_size), "format": "json"}
        if state["token"]:
            params["pageToken"] = state["token"]
        else:
            params["countTotal"] = "true"
        data = self.http.get_json(f"{self.base_url}/studies", params)
        total = state["total"] if state["total"] is not None else int(data.get("totalCount") or 0)
        records = []
        for i, study in enumerate(data.get("studies") or [], start=1):
            try:
                records.append(parse_study(study, path="ClinicalTrials.gov", record=i))
            except ImportFormatError as exc:
                raise SourceError(
                    f"ClinicalTrials.gov returned an unreadable study: {exc}"
                ) from exc
        token = data.get("nextPageToken")
        if not token:
            return records, None, total
        return records, {"term": state["term"], "token": token, "total": total}, total
