"""The dedup review queue as a table (it was found by rescanning the event log).

One row per borderline pair an import left for a person; a dismissal sets `dismissed_at`
and `dismissed_by`.  Pairs since linked (both records now share a primary) are left out
when the queue is read.  The upgrade fills the table from the `dedup.review` and
`dedup.dismiss` events, in event order, so an existing project keeps its queue; the events
themselves stay (they are the audit log), so a downgrade loses nothing.

Revision ID: 0006_dedup_queue
Revises: 0005_users_sessions
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_dedup_queue"
down_revision = "0005_users_sessions"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    queue = op.create_table(
        "dedup_queue",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id")),
        sa.Column("record_a", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("record_b", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("dismissed_at", TZ),
        sa.Column("dismissed_by", sa.String(128)),
    )
    op.create_index("ix_dedup_queue_pair", "dedup_queue", ["record_a", "record_b"])
    op.create_index("ix_dedup_queue_record_b", "dedup_queue", ["record_b"])
    assert queue is not None
    _backfill(queue)


def _details(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str | bytes) else value)


def _backfill(queue: sa.Table) -> None:
    """Queued pairs from `dedup.review` events, dismissals from `dedup.dismiss` events."""
    bind = op.get_bind()
    events = sa.table(
        "events",
        sa.column("id", sa.Integer),
        sa.column("at", TZ),
        sa.column("actor", sa.String),
        sa.column("action", sa.String),
        sa.column("details", sa.Text),  # decoded here: the same on SQLite and PostgreSQL
    )
    q = (
        sa.select(events.c.at, events.c.actor, events.c.action, events.c.details)
        .where(events.c.action.in_(["dedup.review", "dedup.dismiss"]))
        .order_by(events.c.id)
    )
    rows: list[dict[str, Any]] = []
    dismissed: dict[tuple[int, int], tuple[Any, str]] = {}
    for at, actor, action, raw in bind.execute(q):
        details = _details(raw)
        if action == "dedup.review":
            for a, b, reason in details["pairs"]:
                rows.append(
                    {
                        "import_id": details.get("import_id"),
                        "record_a": a,
                        "record_b": b,
                        "reason": reason,
                    }
                )
        else:
            a, b = details["pair"]
            dismissed.setdefault((min(a, b), max(a, b)), (at, actor))
    for row in rows:
        at, actor = dismissed.get(
            (min(row["record_a"], row["record_b"]), max(row["record_a"], row["record_b"])),
            (None, None),
        )
        row["dismissed_at"], row["dismissed_by"] = at, actor
    for i in range(0, len(rows), 2000):
        bind.execute(sa.insert(queue), rows[i : i + 2000])


def downgrade() -> None:
    op.drop_index("ix_dedup_queue_record_b", table_name="dedup_queue")
    op.drop_index("ix_dedup_queue_pair", table_name="dedup_queue")
    op.drop_table("dedup_queue")
