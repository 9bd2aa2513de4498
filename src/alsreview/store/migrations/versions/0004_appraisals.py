"""Risk-of-bias appraisals: one row per saved assessment or consensus (newest row wins).

Revision ID: 0004_appraisals
Revises: extraction_1
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_appraisals"
down_revision = "extraction_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("study", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(256), nullable=False),
        sa.Column("tool", sa.String(64), nullable=False),
        sa.Column("effect", sa.String(32)),
        sa.Column("reviewer", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("domains", sa.JSON, nullable=False),
        sa.Column("overall_algorithm", sa.String(32), nullable=False),
        sa.Column("overall", sa.String(32), nullable=False),
        sa.Column("overall_justification", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('assessment', 'consensus')", name="ck_appraisal_kind"),
        sa.CheckConstraint(
            "overall = overall_algorithm OR overall_justification IS NOT NULL",
            name="ck_appraisal_override_justified",
        ),
    )
    op.create_index("ix_appraisals_study_tool", "appraisals", ["study", "tool"])


def downgrade() -> None:
    op.drop_index("ix_appraisals_study_tool", "appraisals")
    op.drop_table("appraisals")
