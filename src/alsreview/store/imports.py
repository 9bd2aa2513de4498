"""The import pipeline: a file or a search run's records into the project, in ONE transaction.

In: `Record`s (or a file read by `alsreview.records.read_records`).  Out: stored records
with duplicate links, the `imports` row, the search log entry and the event, committed
together or not at all (a failing file or a killed process leaves the project as it was).
Duplicates are found against everything already in the project; only records new to the
project (primaries) enter screening; borderline pairs go to the dedup review queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from alsreview.errors import StoreError
from alsreview.records.model import Record
from alsreview.sources.base import SearchRun
from alsreview.store.dedupqueue import queue_pairs
from alsreview.store.events import current_actor, log
from alsreview.store.importlock import OnWait, import_lock
from alsreview.store.linking import Link, ReviewPair, link_records
from alsreview.store.models import Import, StoredRecord, utcnow
from alsreview.store.records import primaries_in
from alsreview.store.rounds import round_in
from alsreview.store.searchlog import search_log_entry

if TYPE_CHECKING:
    from alsreview.store.project import Project

CHUNK = 2000


class Match(NamedTuple):
    """The stored primary record that a new record duplicates, and why."""

    primary_id: int
    reason: str


@dataclass(frozen=True)
class ImportResult:
    """What one import did: records read, new to the project, duplicates, already retrieved."""

    import_id: int
    n_records: int
    n_new: int
    n_duplicates: int
    n_already_retrieved: int

    def summary(self) -> str:
        return (
            f"import {self.import_id}: {self.n_records} records, {self.n_new} new, "
            f"{self.n_duplicates} duplicates, {self.n_already_retrieved} already retrieved"
        )


def import_file(
    project: Project,
    path: str | Path,
    *,
    format: str | None = None,
    source: str | None = None,
    dedup: str = "full",
    actor: str | None = None,
    on_wait: OnWait | None = None,
) -> ImportResult:
    """Read a file with `alsreview.records.read_records` and import it in one transaction.

    A file that cannot be read raises `ImportFormatError` before the database is touched.
    `on_wait(pid, seconds)`: see `import_records`.
    """
    import hashlib

    from alsreview.inputs import check_regular_file
    from alsreview.records import read_records

    p = Path(path)
    records = read_records(p, format=format) if format else read_records(p)
    check_regular_file(p)  # the file read above, still within the limit
    with open(p, "rb") as fh:  # hashed in chunks: no second copy of a large file in memory
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return import_records(
        project,
        records,
        source=source or (records[0].source if records and records[0].source else "file"),
        label=str(p),
        kind="file",
        sha256=digest,
        dedup=dedup,
        actor=actor,
        on_wait=on_wait,
    )


def import_records(
    project: Project,
    records: Sequence[Record],
    *,
    source: str,
    label: str,
    kind: str = "file",
    sha256: str | None = None,
    dedup: str = "full",
    actor: str | None = None,
    search: SearchRun | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_wait: OnWait | None = None,
) -> ImportResult:
    """Import records in ONE transaction, linking duplicates against the whole project.

    dedup: "full" (identifiers, then `alsreview.dedup` fuzzy matching), "exact"
    (identifiers only) or "none".  For search imports (`kind="search"`), a record whose
    (source, source id) is already stored is counted as already retrieved and not stored
    again.  `progress(done, total)` is called after each chunk is written.  Imports into
    one project run one at a time (`store.importlock`); while this one waits for another,
    `on_wait(pid of the other or None, seconds waited)` is called now and then.
    """
    if kind not in ("file", "search"):
        raise StoreError(f"unknown import kind {kind!r}")
    if dedup not in ("full", "exact", "none"):
        raise StoreError(f"unknown dedup mode {dedup!r} (full, exact, none)")
    who = actor or current_actor()
    engine = project.engine
    sqlite_file = engine.url.database if engine.dialect.name == "sqlite" else None
    try:
        with import_lock(sqlite_file, on_wait), project.write_session() as s, s.begin():
            if project.engine.dialect.name == "postgresql":
                # one import at a time, so duplicate links never race
                s.execute(select(func.pg_advisory_xact_lock(4_242_001)))
            rnd = round_in(s)
            imp = Import(
                kind=kind,
                source=source,
                label=label,
                sha256=sha256,
                round=rnd,
                created_at=utcnow(),
                actor=who,
                n_records=len(records),
                n_new=0,
                n_duplicates=0,
                n_already_retrieved=0,
            )
            s.add(imp)
            s.flush()
            result = _insert(s, imp, list(records), dedup, progress)
            if search is not None:
                s.add(search_log_entry(search, retrieved=len(records), round=rnd, import_id=imp.id))
            log(
                s,
                f"import.{kind}",
                {
                    "import_id": imp.id,
                    "source": source,
                    "label": label,
                    "sha256": sha256,
                    "round": rnd,
                    "n_records": result.n_records,
                    "n_new": result.n_new,
                    "n_duplicates": result.n_duplicates,
                    "n_already_retrieved": result.n_already_retrieved,
                },
                who,
            )
    except SQLAlchemyError as exc:
        if "database is locked" in str(exc):
            raise StoreError(
                f"import of {label} rolled back, nothing stored: the project database stayed "
                "locked by another command for 30 s; retry when it has finished"
            ) from exc
        raise StoreError(f"import of {label} failed and was rolled back: {exc}") from exc
    return result


def _already_retrieved(s: Session, records: list[Record]) -> set[int]:
    """Indices of search records retrieved by an earlier run: same source and source id."""
    ids = {r.source_id for r in records if r.source_id}
    known: set[tuple[str, str]] = set()
    id_list = sorted(ids)
    for i in range(0, len(id_list), 900):
        rows = s.execute(
            select(StoredRecord.source, StoredRecord.source_id).where(
                StoredRecord.source_id.in_(id_list[i : i + 900])
            )
        )
        known.update((a, b) for a, b in rows)
    already: set[int] = set()
    seen: set[tuple[str, str]] = set()
    for i, r in enumerate(records):
        key = (r.source, r.source_id)
        if r.source_id and (key in known or key in seen):
            already.add(i)
        seen.add(key)
    return already


def _insert(
    s: Session,
    imp: Import,
    records: list[Record],
    dedup: str,
    progress: Callable[[int, int], None] | None,
) -> ImportResult:
    already = _already_retrieved(s, records) if imp.kind == "search" else set()
    keep = [i for i in range(len(records)) if i not in already]
    batch = [records[i] for i in keep]
    existing = primaries_in(s) if dedup != "none" and batch else []
    review: list[ReviewPair] = []
    links: list[Link] = (
        link_records(existing, batch, mode=dedup, review=review) if dedup != "none" else []
    )
    dup_of_existing = {ln.new_index: ln for ln in links if ln.existing_id is not None}
    dup_of_new = {ln.new_index: ln for ln in links if ln.existing_id is None}

    total = len(batch)
    done = 0
    new_ids: dict[int, int] = {}

    def rows_for(indices: list[int]) -> list[dict[str, Any]]:
        out = []
        for j in indices:
            r = batch[j]
            ln = dup_of_existing.get(j) or dup_of_new.get(j)
            duplicate_of: int | None = None
            if ln is not None and ln.existing_id is not None:
                duplicate_of = ln.existing_id
            elif ln is not None:
                assert ln.new_primary is not None  # a link names an existing or batch primary
                duplicate_of = new_ids[ln.new_primary]
            out.append(
                {
                    "import_id": imp.id,
                    "ordinal": keep[j] + 1,
                    "round": imp.round,
                    "source": r.source or imp.source,
                    "source_id": r.source_id or "",
                    "title": r.title or "",
                    "year": r.year,
                    "doi": r.doi,
                    "pmid": r.pmid,
                    "pmcid": r.pmcid,
                    "nct_id": r.nct_id,
                    "data": r.to_dict(),
                    "duplicate_of": duplicate_of,
                    "duplicate_reason": ln.reason if ln is not None else None,
                }
            )
        return out

    # primaries first (their ids are needed by in-batch duplicates), then duplicates
    first = [j for j in range(total) if j not in dup_of_new]
    second = [j for j in range(total) if j in dup_of_new]
    for group in (first, second):
        for start in range(0, len(group), CHUNK):
            part = group[start : start + CHUNK]
            rids = s.scalars(
                insert(StoredRecord).returning(StoredRecord.id, sort_by_parameter_order=True),
                rows_for(part),
            ).all()
            for j, rid in zip(part, rids, strict=True):
                new_ids[j] = rid
            done += len(part)
            if progress is not None:
                progress(done, total)
    # borderline pairs: queued for a person to decide
    queue_pairs(
        s,
        imp.id,
        [
            (
                p.a[1] if p.a[0] == "existing" else new_ids[p.a[1]],
                p.b[1] if p.b[0] == "existing" else new_ids[p.b[1]],
                p.reason,
            )
            for p in review
        ],
    )
    n_dup = len(dup_of_existing) + len(dup_of_new)
    imp.n_new = total - n_dup
    imp.n_duplicates = n_dup
    imp.n_already_retrieved = len(already)
    s.flush()
    return ImportResult(imp.id, len(records), imp.n_new, n_dup, len(already))


def match(project: Project, records: Sequence[Record]) -> dict[int, Match]:
    """Read-only: {index in `records`: (store id of the primary, reason)} for every record
    that duplicates one already in the project (what an import would link)."""
    with project.session() as s:
        existing = primaries_in(s)
    links = link_records(existing, list(records), mode="full")
    return {ln.new_index: Match(ln.existing_id, ln.reason) for ln in links if ln.existing_id}


def imports(project: Project) -> list[Import]:
    with project.session() as s:
        return list(s.scalars(select(Import).order_by(Import.id)))
