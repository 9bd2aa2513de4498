"""SQLAlchemy 2 table models of a project database (SQLite or PostgreSQL).

    meta         key/value: project name, protocol TOML, current review round
    imports      one row per imported file or search run (a transaction each)
    records      every record ever imported; `duplicate_of` points at the primary record
    decisions    screening votes per reviewer, record and stage (a change is a new row;
                 the reviewer's newest row is their vote; 'undecided' withdraws it;
                 UPDATE/DELETE refused by triggers, as for resolutions)
    resolutions  conflicts resolved by a third reviewer or by consensus (newest wins)
    search_log   PRISMA-S: source, query, date window, when, how many hits
    dedup_queue  borderline pairs dedup left for a person (dismissed ones keep who and when)
    events       append-only log of who did what, when (UPDATE/DELETE refused by triggers)
    studies, study_records   included studies and the records (reports) linked to each
    extractions  per-reviewer and consensus extractions (JSON in the evidence format)
    fulltexts    full texts as page texts;  papers  the papers extracted facts cite
    users        web accounts: name, role (owner | reviewer), argon2 password hash
    web_sessions server-side login sessions: SHA-256 of the cookie token, CSRF token, expiry
    login_failures  failed web logins per key (client address, user name), for the rate limit

The schema itself is created by the Alembic migrations in `store/migrations/`; these
classes mirror it for queries.  `round` numbers review versions: 0 is the original review,
each living update starts a new round.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Meta(Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Import(Base):
    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "file" or "search"
    source: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(Text)  # file path or query
    sha256: Mapped[str | None] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    n_records: Mapped[int] = mapped_column(Integer, default=0)
    n_new: Mapped[int] = mapped_column(Integer, default=0)
    n_duplicates: Mapped[int] = mapped_column(Integer, default=0)
    n_already_retrieved: Mapped[int] = mapped_column(Integer, default=0)


class StoredRecord(Base):
    __tablename__ = "records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(64), default="")
    source_id: Mapped[str] = mapped_column(String(256), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None] = mapped_column(Integer)
    doi: Mapped[str | None] = mapped_column(String(256), index=True)
    pmid: Mapped[str | None] = mapped_column(String(32), index=True)
    pmcid: Mapped[str | None] = mapped_column(String(32), index=True)
    nct_id: Mapped[str | None] = mapped_column(String(32), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("records.id"), index=True)
    duplicate_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_records_source_source_id", "source", "source_id"),)


class DecisionRow(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    stage: Mapped[str] = mapped_column(String(32))  # "title_abstract" | "full_text"
    # included | excluded | maybe | not_retrieved | undecided (a withdrawn vote)
    decision: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    reviewer: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    labels: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    origin: Mapped[str] = mapped_column(String(64), default="alsreview", server_default="alsreview")

    __table_args__ = (Index("ix_decisions_stage_record", "stage", "record_id"),)


class Resolution(Base):
    __tablename__ = "resolutions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    stage: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(32))  # included | excluded | not_retrieved
    reason: Mapped[str | None] = mapped_column(String(64))
    resolved_by: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(32))  # third_reviewer | consensus
    why: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_resolutions_stage_record", "stage", "record_id"),)


class SearchLogEntry(Base):
    __tablename__ = "search_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    source: Mapped[str] = mapped_column(String(64))
    query: Mapped[str] = mapped_column(Text)
    date_from: Mapped[str | None] = mapped_column(String(10))
    date_to: Mapped[str | None] = mapped_column(String(10))
    run_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    count: Mapped[int] = mapped_column(Integer)
    retrieved: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer, default=0)


class DedupPair(Base):
    """A borderline pair an import left for a person (the dedup review queue)."""

    __tablename__ = "dedup_queue"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    record_a: Mapped[int] = mapped_column(ForeignKey("records.id"))
    record_b: Mapped[int] = mapped_column(ForeignKey("records.id"))
    reason: Mapped[str] = mapped_column(Text)
    dismissed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    dismissed_by: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        Index("ix_dedup_queue_pair", "record_a", "record_b"),
        Index("ix_dedup_queue_record_b", "record_b"),
    )


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StudyRow(Base):
    """An included study: one or more records (reports) of the same trial."""

    __tablename__ = "studies"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))


class StudyRecord(Base):
    __tablename__ = "study_records"
    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)

    # a record (report) belongs to one study
    __table_args__ = (UniqueConstraint("record_id", name="uq_study_records_record"),)


class ExtractionRow(Base):
    """One saved version of a study's extraction (a reviewer's or the consensus); the newest
    row per (study, reviewer, kind) is current, older rows are its history."""

    __tablename__ = "extractions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # "reviewer" | "consensus"
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FullTextRow(Base):
    """A study's full text as extracted text, one string per page."""

    __tablename__ = "fulltexts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    media: Mapped[str] = mapped_column(String(16))  # "pdf" | "text"
    n_pages: Mapped[int] = mapped_column(Integer)
    n_chars: Mapped[int] = mapped_column(Integer)
    pages: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))


class PaperRow(Base):
    """A paper that extracted facts cite (`SourcePaper` of the evidence model, as JSON)."""

    __tablename__ = "papers"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))  # owner | reviewer
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("name", name="uq_users_name"),)


class WebSession(Base):
    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """One failed web login for one key (`ip:ADDRESS` or `user:NAME`)."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)
