"""Extraction stage: studies (linked records), per-reviewer extractions, full texts, papers.

Revision ID: extraction_1
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "extraction_1"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
    )
    op.create_table(
        "study_records",
        sa.Column("study_id", sa.String(64), sa.ForeignKey("studies.id"), primary_key=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), primary_key=True),
        sa.UniqueConstraint("record_id", name="uq_study_records_record"),
    )
    op.create_table(
        "extractions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("study_id", sa.String(64), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("reviewer", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint("kind IN ('reviewer', 'consensus')", name="ck_extraction_kind"),
    )
    op.create_index("ix_extractions_study_id", "extractions", ["study_id"])
    op.create_table(
        "fulltexts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("study_id", sa.String(64), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media", sa.String(16), nullable=False),
        sa.Column("n_pages", sa.Integer, nullable=False),
        sa.Column("n_chars", sa.Integer, nullable=False),
        sa.Column("pages", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
    )
    op.create_index("ix_fulltexts_study_id", "fulltexts", ["study_id"])
    op.create_table(
        "papers",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    for table in ("papers", "fulltexts", "extractions", "study_records", "studies"):
        op.drop_table(table)
