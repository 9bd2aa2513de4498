"""Initial schema: meta, imports, records, decisions, search_log, append-only events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("n_records", sa.Integer, nullable=False),
        sa.Column("n_new", sa.Integer, nullable=False),
        sa.Column("n_duplicates", sa.Integer, nullable=False),
        sa.Column("n_already_retrieved", sa.Integer, nullable=False),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_id", sa.String(256), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("doi", sa.String(256)),
        sa.Column("pmid", sa.String(32)),
        sa.Column("pmcid", sa.String(32)),
        sa.Column("nct_id", sa.String(32)),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("records.id")),
        sa.Column("duplicate_reason", sa.Text),
    )
    for col in ("import_id", "doi", "pmid", "pmcid", "nct_id", "duplicate_of"):
        op.create_index(f"ix_records_{col}", "records", [col])
    op.create_index("ix_records_source_source_id", "records", ["source", "source_id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(64)),
        sa.Column("reviewer", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint("stage IN ('title_abstract', 'full_text')", name="ck_decision_stage"),
        sa.CheckConstraint(
            "decision IN ('included', 'excluded', 'maybe', 'not_retrieved')",
            name="ck_decision_value",
        ),
    )
    op.create_index("ix_decisions_record_id", "decisions", ["record_id"])
    op.create_table(
        "search_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id")),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("date_from", sa.String(10)),
        sa.Column("date_to", sa.String(10)),
        sa.Column("run_at", TZ, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("retrieved", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    # The event log is append-only: the database itself refuses UPDATE and DELETE.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION alsreview_events_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the event log is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION alsreview_events_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS alsreview_events_append_only()")
    for table in ("events", "search_log", "decisions", "records", "imports", "meta"):
        op.drop_table(table)
