"""Stored risk-of-bias appraisals: the `appraisals` table and its small repository.

One row per save (an assessment by a reviewer, or a consensus), never updated: the newest
row for (study, outcome, tool, reviewer, kind) is the current one, older rows are history.
Each save is one transaction with its event.  Judging answers is `alsreview.appraisal`'s
job; this module only persists what it is given.

    answers  {question id: {"answer": code, "support": text}}
    domains  {domain id: {"algorithm": judgement, "value": final, "justification": text}}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from alsreview.errors import StoreError
from alsreview.store.models import Base, utcnow
from alsreview.store.project import Project, current_actor
from alsreview.typealiases import JSONDict

KINDS = ("assessment", "consensus")


class AppraisalRow(Base):
    __tablename__ = "appraisals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(256), default="")
    tool: Mapped[str] = mapped_column(String(64))
    effect: Mapped[str | None] = mapped_column(String(32))
    reviewer: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    answers: Mapped[JSONDict] = mapped_column(JSON)
    domains: Mapped[JSONDict] = mapped_column(JSON)
    overall_algorithm: Mapped[str] = mapped_column(String(32))
    overall: Mapped[str] = mapped_column(String(32))
    overall_justification: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_appraisals_study_tool", "study", "tool"),)


@dataclass(frozen=True)
class StoredAppraisal:
    """A saved appraisal as read back (plain data, detached from the session)."""

    id: int
    study: str
    outcome: str
    tool: str
    effect: str | None
    reviewer: str
    kind: str
    answers: JSONDict
    domains: JSONDict
    overall_algorithm: str
    overall: str
    overall_justification: str | None
    created_at: dt.datetime

    def values(self) -> dict[str, str]:
        """Domain id -> final judgement (after any override)."""
        return {d: v["value"] for d, v in self.domains.items()}


def _plain(row: AppraisalRow) -> StoredAppraisal:
    return StoredAppraisal(
        row.id, row.study, row.outcome, row.tool, row.effect, row.reviewer, row.kind,
        dict(row.answers), dict(row.domains), row.overall_algorithm, row.overall,
        row.overall_justification, row.created_at,
    )  # fmt: skip


def save_appraisal(project: Project, **fields: Any) -> StoredAppraisal:
    """Append one appraisal row and its event in one transaction (fields as `AppraisalRow`:
    study, tool, answers, domains, overall_algorithm, overall, and optionally
    overall_justification, outcome, effect, kind, reviewer)."""
    return save_appraisals(project, [fields])[0]


def save_appraisals(project: Project, rows: list[JSONDict]) -> list[StoredAppraisal]:
    """Append several appraisal rows, each with its event, in ONE transaction."""
    built = []
    for f in rows:
        kind = f.get("kind", "assessment")
        if kind not in KINDS:
            raise StoreError(f"unknown appraisal kind {kind!r} ({', '.join(KINDS)})")
        if not str(f.get("study", "")).strip():
            raise StoreError("an appraisal needs a study id")
        row = AppraisalRow(
            study=f["study"], outcome=f.get("outcome", ""), tool=f["tool"],
            effect=f.get("effect"), reviewer=f.get("reviewer") or current_actor(),
            kind=kind, answers=f["answers"], domains=f["domains"],
            overall_algorithm=f["overall_algorithm"], overall=f["overall"],
            overall_justification=f.get("overall_justification"), created_at=utcnow(),
        )  # fmt: skip
        built.append(row)
    try:
        with project.write_session() as s, s.begin():
            for row in built:
                s.add(row)
                s.flush()
                overrides = sorted(d for d, v in row.domains.items() if v.get("justification"))
                details = {
                    "id": row.id, "study": row.study, "outcome": row.outcome, "tool": row.tool,
                    "kind": row.kind, "overall": row.overall,
                    "overrides": overrides + (["overall"] if row.overall_justification else []),
                }  # fmt: skip
                project._log(s, f"appraisal.{row.kind}", details, row.reviewer)
    except SQLAlchemyError as exc:
        raise StoreError(f"appraisals refused: {exc}") from exc
    return [_plain(r) for r in built]


def current_appraisals(
    project: Project,
    *,
    tool: str | None = None,
    study: str | None = None,
    kind: str | None = None,
) -> list[StoredAppraisal]:
    """The newest row per (study, outcome, tool, reviewer, kind), oldest first."""
    newest = select(func.max(AppraisalRow.id)).group_by(
        AppraisalRow.study, AppraisalRow.outcome, AppraisalRow.tool, AppraisalRow.reviewer,
        AppraisalRow.kind,
    )  # fmt: skip
    q = select(AppraisalRow).where(AppraisalRow.id.in_(newest.scalar_subquery()))
    if tool is not None:
        q = q.where(AppraisalRow.tool == tool)
    if study is not None:
        q = q.where(AppraisalRow.study == study)
    if kind is not None:
        q = q.where(AppraisalRow.kind == kind)
    with project.session() as s:
        return [_plain(r) for r in s.scalars(q.order_by(AppraisalRow.id))]


def appraisal_history(project: Project, study: str, tool: str) -> list[StoredAppraisal]:
    """Every saved row for a study and tool, oldest first."""
    q = (
        select(AppraisalRow)
        .where(AppraisalRow.study == study, AppraisalRow.tool == tool)
        .order_by(AppraisalRow.id)
    )
    with project.session() as s:
        return [_plain(r) for r in s.scalars(q)]
