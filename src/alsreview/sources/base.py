"""What every source client shares: the paged search loop, checkpoints and the search log.

In: a query and a date window.  Out: a `SearchResult` (the records, and the `SearchRun`
that PRISMA-S reporting needs: source, query, date window, when, how many hits).

A client implements `_start(query, date_from, date_to) -> state` and
`_page(state) -> (records, next state or None, total)`; states are JSON.  With a
checkpoint directory, every page's records are appended to `<key>.jsonl` and the next
state written atomically to `<key>.json`; a search that is interrupted (network gone,
process killed) and run again resumes after the last saved page, and records are
de-duplicated by source id, so a page saved twice never yields a record twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alsreview.records.model import Record
from alsreview.sources.http import HttpClient
from alsreview.typealiases import JSONDict


@dataclass(frozen=True)
class SearchRun:
    """One executed search, as reported in PRISMA-S: source, query, window, when, count."""

    source: str
    query: str
    run_at: dt.datetime
    count: int
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def to_dict(self) -> JSONDict:
        return {
            "source": self.source,
            "query": self.query,
            "run_at": self.run_at.isoformat(),
            "count": self.count,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


@dataclass(frozen=True)
class SearchResult:
    records: list[Record]
    run: SearchRun
    complete: bool = True  # False when stopped early (max_pages); resume by searching again

    def summary(self) -> str:
        r = self.run
        return f"{r.source}: {r.count} hits, {len(self.records)} records retrieved ({r.query})"


class Checkpoint:
    """State and records of one search run on disk (see the module docstring)."""

    def __init__(self, directory: str | Path, parts: Iterable[Any]) -> None:
        key = hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:24]
        self.directory = Path(directory)
        self.state_path = self.directory / f"{key}.json"
        self.records_path = self.directory / f"{key}.jsonl"

    def load(self) -> tuple[JSONDict | None, list[Record]]:
        if not self.state_path.exists():
            return None, []
        state = json.loads(self.state_path.read_text(encoding="utf-8"))
        records: list[Record] = []
        if self.records_path.exists():
            with self.records_path.open(encoding="utf-8") as fh:
                for line in fh:
                    try:
                        records.append(Record.from_dict(json.loads(line)))
                    except (json.JSONDecodeError, TypeError):
                        break  # a line cut by a crash: that page is fetched again
        return state, records

    def save_page(self, records: list[Record], state: JSONDict) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.records_path.open("a", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r.to_dict(), ensure_ascii=False, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, self.state_path)

    def clear(self) -> None:
        for p in (self.state_path, self.records_path):
            p.unlink(missing_ok=True)


def unique_by_source_id(records: Iterable[Record]) -> list[Record]:
    """Keep the first record of each (source, source id); records without an id all stay."""
    seen: set[tuple[str, str]] = set()
    out = []
    for r in records:
        key = (r.source, r.source_id)
        if r.source_id and key in seen:
            continue
        seen.add(key)
        out.append(r)
    return out


class Source(ABC):
    """A searchable bibliographic service."""

    name: str = ""
    default_base_url: str = ""
    rate: float = 5.0

    def __init__(
        self,
        *,
        base_url: str | None = None,
        client: HttpClient | None = None,
        cache_dir: str | Path | None = None,
        checkpoint_dir: str | Path | None = None,
        **client_options: Any,
    ) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.http = client or HttpClient(rate=self.rate, cache_dir=cache_dir, **client_options)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None

    def close(self) -> None:
        self.http.close()

    def checkpoint(
        self, query: str, date_from: dt.date | None, date_to: dt.date | None
    ) -> Checkpoint | None:
        if self.checkpoint_dir is None:
            return None
        return Checkpoint(
            self.checkpoint_dir, [self.name, self.base_url, query, date_from, date_to]
        )

    def search(
        self,
        query: str,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        *,
        max_pages: int | None = None,
    ) -> SearchResult:
        """Run (or resume) the search and return every record it retrieves.

        `max_pages` stops after that many pages in this call, leaving the checkpoint to
        resume from (used to simulate interruptions; the result is then partial)."""
        cp = self.checkpoint(query, date_from, date_to)
        state, records = cp.load() if cp else (None, [])
        if state is None:
            state = self._start(query, date_from, date_to)
            state["_run_at"] = dt.datetime.now(dt.UTC).isoformat()
            state.setdefault("_total", 0)
            if cp:
                cp.save_page([], state)
        pages = 0
        while not state.get("_done"):
            if max_pages is not None and pages >= max_pages:
                break
            page, nxt, total = self._page(state)
            pages += 1
            carry = {"_run_at": state["_run_at"], "_total": total}
            state = {**carry, "_done": True} if nxt is None else {**nxt, **carry}
            records.extend(page)
            if cp:
                cp.save_page(page, state)
        run = SearchRun(
            source=self.name,
            query=query,
            run_at=dt.datetime.fromisoformat(state["_run_at"]),
            count=int(state.get("_total", 0)),
            date_from=date_from,
            date_to=date_to,
        )
        return SearchResult(unique_by_source_id(records), run, bool(state.get("_done")))

    def finish(self, query: str, date_from: dt.date | None, date_to: dt.date | None) -> None:
        """Forget the checkpoint of a search whose records are safely stored."""
        cp = self.checkpoint(query, date_from, date_to)
        if cp:
            cp.clear()

    @abstractmethod
    def _start(
        self, query: str, date_from: dt.date | None, date_to: dt.date | None
    ) -> JSONDict: ...

    @abstractmethod
    def _page(self, state: JSONDict) -> tuple[list[Record], JSONDict | None, int]: ...
