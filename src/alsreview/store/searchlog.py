"""The search log (PRISMA-S): source, query, date window, when, how many hits and retrieved.

In: a `SearchRun` from `alsreview.sources`.  Out: `SearchLogEntry` rows, oldest first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from alsreview.sources.base import SearchRun
from alsreview.store.events import log
from alsreview.store.models import SearchLogEntry
from alsreview.store.rounds import round_in

if TYPE_CHECKING:
    from alsreview.store.project import Project


def search_log_entry(
    run: SearchRun, *, retrieved: int, round: int, import_id: int | None = None
) -> SearchLogEntry:
    """The row that logs one search run."""
    return SearchLogEntry(
        import_id=import_id,
        source=run.source,
        query=run.query,
        date_from=run.date_from.isoformat() if run.date_from else None,
        date_to=run.date_to.isoformat() if run.date_to else None,
        run_at=run.run_at,
        count=run.count,
        retrieved=retrieved,
        round=round,
    )


def log_search(
    project: Project, run: SearchRun, retrieved: int, import_id: int | None = None
) -> None:
    """Log a search that imported nothing (or whose import is logged separately)."""
    with project.write_session() as s, s.begin():
        s.add(search_log_entry(run, retrieved=retrieved, round=round_in(s), import_id=import_id))
        log(s, "search.log", {"source": run.source, "query": run.query})


def search_log(project: Project) -> list[SearchLogEntry]:
    with project.session() as s:
        return list(s.scalars(select(SearchLogEntry).order_by(SearchLogEntry.id)))
