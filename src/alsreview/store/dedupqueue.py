"""The dedup review queue: borderline pairs that automatic deduplication left for a person.

In: pairs queued by an import (`queue_pairs`), a person's verdicts (`dismiss_pair`: two
different references; `mark_duplicate`: one is a duplicate of the other).  Out: the pairs
still waiting (`review_queue`), as (record id, record id, reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from alsreview.errors import StoreError
from alsreview.store.events import current_actor, log
from alsreview.store.models import DedupPair, StoredRecord, utcnow

if TYPE_CHECKING:
    from alsreview.store.project import Project


class QueuedPair(NamedTuple):
    """Two records that look alike, waiting for a person, and the dedup score that says so."""

    record_a: int
    record_b: int
    reason: str


def queue_pairs(s: Session, import_id: int, pairs: Sequence[tuple[int, int, str]]) -> None:
    """Queue borderline pairs found by one import (inside the import's transaction); the
    `dedup.review` event keeps them in the audit log too."""
    if not pairs:
        return
    s.execute(
        insert(DedupPair),
        [{"import_id": import_id, "record_a": a, "record_b": b, "reason": r} for a, b, r in pairs],
    )
    log(s, "dedup.review", {"import_id": import_id, "pairs": [list(p) for p in pairs]})


def review_queue(project: Project) -> list[QueuedPair]:
    """Borderline pairs (record id, record id, reason) that dedup left for a person, in the
    order they were queued, minus those dismissed (`dismiss_pair`) and those whose records
    now share a primary (`mark_duplicate`)."""
    ra, rb = aliased(StoredRecord), aliased(StoredRecord)
    q = (
        select(DedupPair.record_a, DedupPair.record_b, DedupPair.reason)
        .join(ra, ra.id == DedupPair.record_a)
        .join(rb, rb.id == DedupPair.record_b)
        .where(
            DedupPair.dismissed_at.is_(None),
            func.coalesce(ra.duplicate_of, ra.id) != func.coalesce(rb.duplicate_of, rb.id),
        )
        .order_by(DedupPair.id)
    )
    with project.session() as s:
        return [QueuedPair(a, b, reason) for a, b, reason in s.execute(q)]


def dismiss_pair(project: Project, a: int, b: int, actor: str | None = None) -> None:
    """Record that two look-alike records are different references."""
    who = actor or current_actor()
    with project.write_session() as s, s.begin():
        s.execute(
            update(DedupPair)
            .where(
                DedupPair.dismissed_at.is_(None),
                or_(
                    and_(DedupPair.record_a == a, DedupPair.record_b == b),
                    and_(DedupPair.record_a == b, DedupPair.record_b == a),
                ),
            )
            .values(dismissed_at=utcnow(), dismissed_by=who)
        )
        log(s, "dedup.dismiss", {"pair": [a, b]}, who)


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
