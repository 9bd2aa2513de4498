"""Failed web logins in the database (the rate limit holds across server processes), and
votes and resolutions made append-only by the database itself.

`login_failures`: one row per failed login per key (client address or user name); the
web app counts them within its window, so every worker of `alsreview serve --workers N`
sees the same count.  Triggers refuse UPDATE and DELETE on `decisions` and `resolutions`:
a change of mind is a new row (as the store already did), and the per-process vote cache
(`store/votecache.py`) relies on rows never changing or vanishing.

Revision ID: 0007_login_failures
Revises: 0006_dedup_queue
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_login_failures"
down_revision = "0006_dedup_queue"
branch_labels = None
depends_on = None

APPEND_ONLY = ("decisions", "resolutions")


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "at"])
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        message = f"{table} are append-only: a change is a new row"
        if dialect == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
        elif dialect == "postgresql":
            op.execute(
                f"CREATE FUNCTION alsreview_{table}_append_only() RETURNS trigger AS $$ "
                f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql"
            )
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION alsreview_{table}_append_only()"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS alsreview_{table}_append_only()")
    op.drop_table("login_failures")
