"""Records as stored: every imported record with its duplicate link, read back as `Record`s.

In: an open `Project` or session.  Out: (store id, `Record`) pairs in import order and the
duplicate links (record id, primary id, reason).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import Session

from alsreview.errors import StoreError
from alsreview.records.model import Record
from alsreview.store.models import StoredRecord

if TYPE_CHECKING:
    from alsreview.store.project import Project


class RecordRow(NamedTuple):
    """A stored record and its store id (a tuple, so `for rid, rec in ...` keeps working)."""

    id: int
    record: Record


class DuplicateLink(NamedTuple):
    """A record marked as a duplicate of a primary record, and why."""

    record_id: int
    primary_id: int
    reason: str


def raw_data() -> Any:
    """The record JSON as stored (text in SQLite), decoded by `decode_records`."""
    return type_coerce(StoredRecord.data, Text)


def decode_records(rows: Iterable[Any]) -> list[RecordRow]:
    """(id, Record) per row; a row whose JSON was damaged outside alsreview is named."""
    out = []
    for rid, raw in rows:
        try:
            data = json.loads(raw) if isinstance(raw, str | bytes) else raw
            out.append(RecordRow(rid, Record.from_dict(data)))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise StoreError(
                f"stored record {rid} is damaged ({type(exc).__name__}: {exc}); "
                "was the database edited outside alsreview?"
            ) from None
    return out


def primaries_in(s: Session) -> list[RecordRow]:
    """Every primary record (not a duplicate), read inside an open session."""
    rows = s.execute(select(StoredRecord.id, raw_data()).where(StoredRecord.duplicate_of.is_(None)))
    return decode_records(rows)


def records(project: Project, *, primary_only: bool = False) -> list[RecordRow]:
    """(store id, Record) for every stored record, in import order."""
    q = select(StoredRecord.id, raw_data()).order_by(StoredRecord.id)
    if primary_only:
        q = q.where(StoredRecord.duplicate_of.is_(None))
    with project.session() as s:
        return decode_records(s.execute(q))


def duplicate_links(project: Project) -> list[DuplicateLink]:
    """(record id, primary id, reason) for every record marked as a duplicate."""
    q = (
        select(StoredRecord.id, StoredRecord.duplicate_of, StoredRecord.duplicate_reason)
        .where(StoredRecord.duplicate_of.is_not(None))
        .order_by(StoredRecord.id)
    )
    with project.session() as s:
        # duplicate_of is never None here (the query filters it); the test narrows the type
        return [DuplicateLink(a, b, c or "") for a, b, c in s.execute(q) if b is not None]
