"""The dedup review queue: borderline pairs that automatic deduplication left for a person.

In: pairs queued by an import (`queue_pairs`), a person's verdicts (`dismiss_pair`: two
different references; `mark_duplicate`: one is a duplicate of the other).  Out: the pairs
still waiting (`review_queue`), as (record id, record id, reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alsreview.errors import StoreError
from alsreview.store.events import events, log, log_event
from alsreview.store.models import StoredRecord

if TYPE_CHECKING:
    from alsreview.store.project import Project


def queue_pairs(s: Session, import_id: int, pairs: Sequence[tuple[int, int, str]]) -> None:
    """Queue borderline pairs found by one import (inside the import's transaction)."""
    if pairs:
        log(s, "dedup.review", {"import_id": import_id, "pairs": [list(p) for p in pairs]})


def review_queue(project: Project) -> list[tuple[int, int, str]]:
    """Borderline pairs (record id, record id, reason) that dedup left for a person,
    minus those since linked (`mark_duplicate`) or dismissed (`dismiss_pair`)."""
    everything = events(project)
    dismissed = {
        tuple(sorted(e.details["pair"])) for e in everything if e.action == "dedup.dismiss"
    }
    with project.session() as s:
        root = dict(s.execute(select(StoredRecord.id, StoredRecord.duplicate_of)).all())
    out = []
    for e in everything:
        if e.action != "dedup.review":
            continue
        for a, b, reason in e.details["pairs"]:
            key = tuple(sorted((a, b)))
            if key in dismissed or (root.get(a) or a) == (root.get(b) or b):
                continue
            out.append((a, b, reason))
    return out


def dismiss_pair(project: Project, a: int, b: int, actor: str | None = None) -> None:
    """Record that two look-alike records are different references."""
    log_event(project, "dedup.dismiss", {"pair": [a, b]}, actor)


def mark_duplicate(project: Project, record_id: int, primary_id: int, reason: str) -> None:
    """Link a record to its primary by hand (e.g. from the dedup review queue)."""
    with project.write_session() as s, s.begin():
        if s.get(StoredRecord, primary_id) is None or s.get(StoredRecord, record_id) is None:
            raise StoreError(f"no record {record_id} or {primary_id} in this project")
        s.execute(
            update(StoredRecord)
            .where(StoredRecord.id == record_id)
            .values(duplicate_of=primary_id, duplicate_reason=reason)
        )
        log(s, "dedup.mark", {"record": record_id, "primary": primary_id, "why": reason})
