"""Screening: a note, labels and origin on each decision, the 'undecided' vote (undo), and
the resolutions table (conflicts resolved by a third reviewer or by consensus).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
OLD_VALUES = "decision IN ('included', 'excluded', 'maybe', 'not_retrieved')"
NEW_VALUES = "decision IN ('included', 'excluded', 'maybe', 'not_retrieved', 'undecided')"


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("note", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("labels", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("origin", sa.String(64), nullable=False, server_default="alsreview")
        )
        batch.drop_constraint("ck_decision_value", type_="check")
        batch.create_check_constraint("ck_decision_value", NEW_VALUES)
        batch.create_index("ix_decisions_stage_record", ["stage", "record_id"])
    op.create_table(
        "resolutions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(64)),
        sa.Column("resolved_by", sa.String(128), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint("stage IN ('title_abstract', 'full_text')", name="ck_resolution_stage"),
        sa.CheckConstraint(
            "decision IN ('included', 'excluded', 'not_retrieved')", name="ck_resolution_value"
        ),
        sa.CheckConstraint(
            "method IN ('third_reviewer', 'consensus')", name="ck_resolution_method"
        ),
    )
    op.create_index("ix_resolutions_stage_record", "resolutions", ["stage", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_resolutions_stage_record", table_name="resolutions")
    op.drop_table("resolutions")
    op.execute("DELETE FROM decisions WHERE decision = 'undecided'")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_index("ix_decisions_stage_record")
        batch.drop_constraint("ck_decision_value", type_="check")
        batch.create_check_constraint("ck_decision_value", OLD_VALUES)
        batch.drop_column("origin")
        batch.drop_column("labels")
        batch.drop_column("note")
