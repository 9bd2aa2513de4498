"""Store access for the extraction stage: studies, extractions, full texts, cited papers.

In: an open `Project`.  Out: rows as plain Python values.  Every write is one transaction
with its event in the append-only log; an extraction is never updated in place: each save
adds a row and the newest row per (study, reviewer, kind) is the current one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from alsreview.errors import StoreError
from alsreview.records.model import Record
from alsreview.store.models import (
    ExtractionRow,
    FullTextRow,
    Meta,
    PaperRow,
    StoredRecord,
    StudyRecord,
    StudyRow,
    utcnow,
)
from alsreview.store.project import Project, current_actor
from alsreview.typealiases import JSONDict

STUDY_ID = re.compile(r"^[a-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class StudyEntry:
    """A study to write: id, label, linked record ids, and an extraction (or None)."""

    study_id: str
    label: str
    record_ids: tuple[int, ...] = ()
    data: JSONDict | None = None


@dataclass(frozen=True)
class StoredStudy:
    id: str
    label: str
    record_ids: tuple[int, ...]


@dataclass(frozen=True)
class StoredExtraction:
    id: int
    study_id: str
    reviewer: str
    kind: str
    data: JSONDict


@dataclass(frozen=True)
class StoredFullText:
    id: int
    study_id: str
    filename: str
    sha256: str
    media: str
    pages: tuple[str, ...]


def _check_id(study_id: str) -> None:
    if not STUDY_ID.match(study_id or ""):
        raise StoreError(
            f"study id {study_id!r} must be 1-64 lower-case letters, digits, '_' or '-'"
        )


def _require_study(s: Session, study_id: str) -> None:
    if s.get(StudyRow, study_id) is None:
        known = sorted(s.scalars(select(StudyRow.id)))
        hint = f" (studies: {', '.join(known[:20])})" if known else " (the project has none)"
        raise StoreError(f"no study {study_id!r} in this project{hint}")


def _link(s: Session, study_id: str, record_ids: Sequence[int]) -> None:
    for rid in record_ids:
        rec = s.get(StoredRecord, rid)
        if rec is None:
            raise StoreError(f"study {study_id}: no record {rid} in this project")
        if rec.duplicate_of is not None:
            raise StoreError(
                f"study {study_id}: record {rid} is a duplicate of {rec.duplicate_of}; "
                "link the primary record"
            )
        other = s.scalar(select(StudyRecord.study_id).where(StudyRecord.record_id == rid))
        if other is not None and other != study_id:
            raise StoreError(f"study {study_id}: record {rid} already belongs to study {other}")
        if other is None:
            s.add(StudyRecord(study_id=study_id, record_id=rid))


def write_studies(
    project: Project,
    entries: Sequence[StudyEntry],
    *,
    reviewer: str | None = None,
    kind: str = "reviewer",
    papers: dict[str, JSONDict] | None = None,
    action: str = "extraction.add",
    details: JSONDict | None = None,
) -> None:
    """Create missing studies, link records, save extractions and papers: ONE transaction."""
    if kind not in ("reviewer", "consensus"):
        raise StoreError(f"unknown extraction kind {kind!r}")
    who = reviewer or current_actor()
    for e in entries:
        _check_id(e.study_id)
    try:
        with project.write_session() as s, s.begin():
            now = utcnow()
            for i, e in enumerate(entries):
                if s.get(StudyRow, e.study_id) is None:
                    # microseconds apart, so studies list in the order they were given
                    at = now + dt.timedelta(microseconds=i)
                    s.add(StudyRow(id=e.study_id, label=e.label, created_at=at, actor=who))
                    s.flush()
                _link(s, e.study_id, e.record_ids)
                if e.data is not None:
                    s.add(
                        ExtractionRow(
                            study_id=e.study_id,
                            reviewer=who,
                            kind=kind,
                            data=e.data,
                            created_at=now,
                        )
                    )
            for key, paper in (papers or {}).items():
                s.merge(PaperRow(key=key, data=paper))
            project._log(
                s,
                action,
                {
                    "studies": [e.study_id for e in entries],
                    "kind": kind,
                    "reviewer": who,
                    **(details or {}),
                },
                who,
            )
    except SQLAlchemyError as exc:
        raise StoreError(f"extraction refused and rolled back: {exc}") from exc


def save_extraction(
    project: Project,
    study_id: str,
    data: JSONDict,
    *,
    reviewer: str | None = None,
    kind: str = "reviewer",
    action: str = "extraction.save",
    details: JSONDict | None = None,
) -> None:
    """Save a new version of one study's extraction (the study must exist)."""
    with project.session() as s:
        _require_study(s, study_id)
    write_studies(
        project,
        [StudyEntry(study_id, study_id, (), data)],
        reviewer=reviewer,
        kind=kind,
        action=action,
        details=details,
    )


def studies(project: Project) -> list[StoredStudy]:
    with project.session() as s:
        links: dict[str, list[int]] = {}
        for sid, rid in s.execute(select(StudyRecord.study_id, StudyRecord.record_id)):
            links.setdefault(sid, []).append(rid)
        return [
            StoredStudy(row.id, row.label, tuple(sorted(links.get(row.id, []))))
            for row in s.scalars(select(StudyRow).order_by(StudyRow.created_at, StudyRow.id))
        ]


def record(project: Project, record_id: int) -> Record | None:
    """One stored record by id (None when the project has none with that id)."""
    with project.session() as s:
        row = s.get(StoredRecord, record_id)
        return Record.from_dict(row.data) if row is not None else None


def require_study(project: Project, study_id: str) -> None:
    """StoreError naming the project's studies when `study_id` is not one of them."""
    with project.session() as s:
        _require_study(s, study_id)


def current_extractions(project: Project, study_id: str | None = None) -> list[StoredExtraction]:
    """The newest extraction per (study, reviewer, kind), in save order."""
    newest = select(func.max(ExtractionRow.id)).group_by(
        ExtractionRow.study_id, ExtractionRow.reviewer, ExtractionRow.kind
    )
    q = select(ExtractionRow).where(ExtractionRow.id.in_(newest)).order_by(ExtractionRow.id)
    if study_id is not None:
        q = q.where(ExtractionRow.study_id == study_id)
    with project.session() as s:
        return [
            StoredExtraction(r.id, r.study_id, r.reviewer, r.kind, r.data) for r in s.scalars(q)
        ]


def extraction_history(project: Project, study_id: str) -> list[StoredExtraction]:
    """Every saved version of a study's extractions, oldest first."""
    q = select(ExtractionRow).where(ExtractionRow.study_id == study_id).order_by(ExtractionRow.id)
    with project.session() as s:
        return [
            StoredExtraction(r.id, r.study_id, r.reviewer, r.kind, r.data) for r in s.scalars(q)
        ]


def papers(project: Project) -> dict[str, JSONDict]:
    with project.session() as s:
        return {p.key: p.data for p in s.scalars(select(PaperRow).order_by(PaperRow.key))}


def save_fulltext(
    project: Project,
    study_id: str,
    *,
    filename: str,
    sha256: str,
    media: str,
    pages: Sequence[str],
    actor: str | None = None,
) -> int:
    """Store a full text (page texts) for a study, with its event; returns its id."""
    who = actor or current_actor()
    try:
        with project.write_session() as s, s.begin():
            _require_study(s, study_id)
            row = FullTextRow(
                study_id=study_id,
                filename=filename,
                sha256=sha256,
                media=media,
                n_pages=len(pages),
                n_chars=sum(len(p) for p in pages),
                pages=list(pages),
                created_at=utcnow(),
                actor=who,
            )
            s.add(row)
            s.flush()
            project._log(
                s,
                "fulltext.add",
                {
                    "study": study_id,
                    "fulltext_id": row.id,
                    "file": filename,
                    "sha256": sha256,
                    "pages": len(pages),
                },
                who,
            )
            return row.id
    except SQLAlchemyError as exc:
        raise StoreError(f"full text refused and rolled back: {exc}") from exc


def fulltexts(project: Project, study_id: str | None = None) -> list[StoredFullText]:
    q = select(FullTextRow).order_by(FullTextRow.id)
    if study_id is not None:
        q = q.where(FullTextRow.study_id == study_id)
    with project.session() as s:
        return [
            StoredFullText(r.id, r.study_id, r.filename, r.sha256, r.media, tuple(r.pages))
            for r in s.scalars(q)
        ]


def get_setting(project: Project, key: str) -> str | None:
    with project.session() as s:
        row = s.get(Meta, key)
        return row.value if row else None


def set_setting(project: Project, key: str, value: str, action: str) -> None:
    """Set a project setting (e.g. the attached trial folder) and log it."""
    with project.write_session() as s, s.begin():
        s.merge(Meta(key=key, value=value))
        project._log(s, action, {key: value})
