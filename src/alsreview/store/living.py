"""Run the protocol's searches into a project: the first search, and living updates.

In: an open `Project` (its protocol's [[search]] tables for sources alsreview can query).
Out: one `SearchOutcome` per search: the `SearchRun` (logged for PRISMA-S) and the
`ImportResult` (records new to the project, duplicates, already retrieved).

First round: each search uses its own date window from the protocol.  Update rounds
(`Project.start_update`, `alsreview search --update`): each search runs again from its last
run date minus `overlap_days` up to today; records retrieved before are counted as already
retrieved, records that duplicate anything in the project are linked to it, and only the
rest enter screening.  Searches resume from their checkpoints when a run was interrupted.
Base URLs default to the live services; `ALSREVIEW_<SOURCE>_URL` (e.g.
`ALSREVIEW_PUBMED_URL`) or `base_urls=` point a source elsewhere.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alsreview.errors import SourceError
from alsreview.protocol import SearchStrategy
from alsreview.sources.base import SearchRun
from alsreview.store.project import ImportResult, Project
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from alsreview.sources.http import HttpClient

OVERLAP_DAYS = 30


@dataclass(frozen=True)
class SearchOutcome:
    strategy: SearchStrategy
    run: SearchRun
    imported: ImportResult

    def summary(self) -> str:
        window = f"{self.run.date_from or '…'} to {self.run.date_to or 'today'}"
        return f"{self.run.source} [{window}]: {self.run.count} hits; {self.imported.summary()}"


def search_window(
    project: Project, s: SearchStrategy, overlap_days: int = OVERLAP_DAYS
) -> tuple[dt.date | None, dt.date | None]:
    """The date window a search uses in the project's current round."""
    if project.current_round == 0:
        return s.date_from, s.date_to
    runs = [e for e in project.search_log() if e.source == s.source and e.query == s.query]
    if not runs:
        return s.date_from, None
    last = max(e.run_at for e in runs).date()
    return last - dt.timedelta(days=overlap_days), None


def source_options(name: str, base_urls: dict[str, str] | None = None) -> JSONDict:
    """Constructor options for a source: base URL override and contact address."""
    opts: JSONDict = {}
    url = (base_urls or {}).get(name) or os.environ.get(f"ALSREVIEW_{name.upper()}_URL")
    if url:
        opts["base_url"] = url
    email = os.environ.get("ALSREVIEW_EMAIL")
    if email and name in ("openalex", "crossref"):
        opts["mailto"] = email
    if email and name in ("pubmed", "europepmc"):
        opts["email"] = email
    return opts


def run_searches(
    project: Project,
    *,
    sources: Iterable[str] | None = None,
    base_urls: dict[str, str] | None = None,
    http_factory: Callable[[str], HttpClient] | None = None,
    on_done: Callable[[SearchOutcome], None] | None = None,
) -> list[SearchOutcome]:
    """Run every searchable [[search]] of the protocol (or those of `sources`) and import.

    Each search is imported in its own transaction right after it finishes; its checkpoint
    is removed only once the import is committed."""
    from alsreview.sources import get_source

    wanted = set(sources) if sources is not None else None
    strategies = [
        s
        for s in project.protocol.searches
        if s.searchable and (wanted is None or s.source in wanted)
    ]
    if wanted and not strategies:
        raise SourceError(f"the protocol has no search for {', '.join(sorted(wanted))}")
    outcomes = []
    for s in strategies:
        lo, hi = search_window(project, s)
        options = source_options(s.source, base_urls)
        if http_factory is not None:  # e.g. tests: a client that does not really sleep
            options["client"] = http_factory(s.source)
        elif project.cache_dir is not None:
            options["cache_dir"] = project.cache_dir / s.source
        client = get_source(s.source, checkpoint_dir=project.checkpoint_dir, **options)
        try:
            result = client.search(s.query, lo, hi)
            imported = project.import_records(
                result.records,
                source=s.source,
                label=s.query,
                kind="search",
                search=result.run,
            )
            client.finish(s.query, lo, hi)
        finally:
            client.close()
        outcome = SearchOutcome(s, result.run, imported)
        outcomes.append(outcome)
        if on_done is not None:
            on_done(outcome)
    return outcomes
