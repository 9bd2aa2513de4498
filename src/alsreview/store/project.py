"""A review project: one database (SQLite file by default, PostgreSQL by URL) and a folder.

In: a project folder made by `Project.create(dir)` (it holds `protocol.toml`,
`project.toml` with the database URL, `project.db` for SQLite, `cache/` and
`checkpoints/` for searches), lists of `Record`s to import, decisions.  Out: stored
records, the screening queue, the event log and PRISMA counts (`alsreview.store.prisma`).

`Project` is a facade: each responsibility lives in its own module and takes the project
as its first argument.

    engine      database URL, engine, Alembic migrations, project.toml
    events      the append-only event log
    rounds      review rounds (living updates)
    imports     the import pipeline (one transaction per file or search run)
    records     stored records and duplicate links
    searchlog   the PRISMA-S search log
    dedupqueue  borderline pairs waiting for a person
    decisions   screening votes, resolutions, settled decisions, the screening queue
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from alsreview.errors import StoreError
from alsreview.protocol import PROTOCOL_FILENAME, ReviewProtocol, bundled_protocol_text
from alsreview.protocol import parse_protocol as _parse_protocol
from alsreview.records.model import Record
from alsreview.sources.base import SearchRun
from alsreview.store import dedupqueue, events, imports, records, rounds, searchlog
from alsreview.store.decisions import Settled
from alsreview.store.dedupqueue import QueuedPair
from alsreview.store.engine import (
    PROJECT_FILE,
    SQLITE_FILE,
    make_engine,
    migrate,
    read_project_url,
    safe_url,
    schema_revision,
    sqlite_url,
    write_project_file,
)
from alsreview.store.engine import alembic_config as _alembic_config
from alsreview.store.events import current_actor
from alsreview.store.importlock import OnWait
from alsreview.store.imports import CHUNK, ImportResult, Match
from alsreview.store.models import Event, Import, Meta, SearchLogEntry, utcnow
from alsreview.store.records import DuplicateLink, RecordRow
from alsreview.typealiases import JSONDict

__all__ = [
    "CHUNK",
    "PROJECT_FILE",
    "SQLITE_FILE",
    "ImportResult",
    "Project",
    "_alembic_config",
    "current_actor",
    "make_engine",
    "migrate",
    "schema_revision",
]


class Project:
    """An open project.  Use `Project.create` / `Project.open`; close with `close()`."""

    def __init__(self, engine: Engine, root: Path | None = None) -> None:
        self.engine = engine
        self.root = root

    # -- lifecycle ---------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        directory: str | Path,
        *,
        url: str | None = None,
        protocol_text: str | None = None,
        name: str | None = None,
    ) -> Project:
        """Make a project folder with the (bundled) protocol and an empty database."""
        root = Path(directory)
        if (root / PROJECT_FILE).exists():
            raise StoreError(f"{root}: already an alsreview project ({PROJECT_FILE} exists)")
        text = protocol_text if protocol_text is not None else bundled_protocol_text()
        protocol = _parse_protocol(text, path=str(root / PROTOCOL_FILENAME))
        root.mkdir(parents=True, exist_ok=True)
        db_url = url or sqlite_url(root)
        engine = make_engine(db_url)
        try:
            migrate(engine)
            project = cls(engine, root)
            with project.session() as s, s.begin():
                if s.get(Meta, "name") is not None:
                    raise StoreError(f"{safe_url(db_url)}: database already holds a project")
                s.add_all(
                    [
                        Meta(key="name", value=name or root.resolve().name),
                        Meta(key="round", value="0"),
                        Meta(key="created_at", value=utcnow().isoformat()),
                    ]
                )
                events.log(s, "project.create", {"title": protocol.title})
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"{safe_url(db_url)}: cannot create project: {exc}") from exc
        (root / PROTOCOL_FILENAME).write_text(text, encoding="utf-8")
        write_project_file(root, url)
        for sub in ("cache", "checkpoints"):
            (root / sub).mkdir(exist_ok=True)
        return project

    @classmethod
    def open(cls, directory: str | Path) -> Project:
        """Open a project folder; the schema is migrated to the newest revision if needed."""
        root = Path(directory)
        url = read_project_url(root)
        engine = make_engine(url)
        try:
            migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"{safe_url(url)}: cannot open project: {exc}") from exc
        return cls(engine, root)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def session(self) -> Session:
        """A session for reading (and for the migrations' own transaction)."""
        return Session(self.engine, expire_on_commit=False)

    def write_session(self) -> Session:
        """A session whose transaction holds the database's write lock from its start."""
        return Session(self.engine.execution_options(alsreview_write=True), expire_on_commit=False)

    # -- protocol and rounds ------------------------------------------------------------
    @property
    def protocol(self) -> ReviewProtocol:
        if self.root is None:
            raise StoreError("project has no folder, hence no protocol.toml")
        from alsreview.protocol import load_protocol

        return load_protocol(self.root / PROTOCOL_FILENAME)

    @property
    def cache_dir(self) -> Path | None:
        return None if self.root is None else self.root / "cache"

    @property
    def checkpoint_dir(self) -> Path | None:
        return None if self.root is None else self.root / "checkpoints"

    @property
    def current_round(self) -> int:
        return rounds.current_round(self)

    def start_update(self, actor: str | None = None) -> int:
        """Begin a living update: later imports belong to a new review round."""
        return rounds.start_update(self, actor)

    # -- events (`alsreview.store.events`) ---------------------------------------------
    def _log(self, s: Session, action: str, details: JSONDict, actor: str | None = None) -> None:
        events.log(s, action, details, actor)

    def log_event(self, action: str, details: JSONDict, actor: str | None = None) -> None:
        """Append one event in its own transaction."""
        events.log_event(self, action, details, actor)

    def events(self) -> list[Event]:
        return events.events(self)

    # -- imports (`alsreview.store.imports`) and the search log ------------------------
    def import_file(
        self,
        path: str | Path,
        *,
        format: str | None = None,
        source: str | None = None,
        dedup: str = "full",
        actor: str | None = None,
        on_wait: OnWait | None = None,
    ) -> ImportResult:
        """Read a file and import it in one transaction (`imports.import_file`)."""
        return imports.import_file(
            self, path, format=format, source=source, dedup=dedup, actor=actor, on_wait=on_wait
        )

    def import_records(
        self,
        records: Sequence[Record],
        *,
        source: str,
        label: str,
        kind: str = "file",
        sha256: str | None = None,
        dedup: str = "full",
        actor: str | None = None,
        search: SearchRun | None = None,
        progress: Callable[[int, int], None] | None = None,
        on_wait: OnWait | None = None,
    ) -> ImportResult:
        """Import records in ONE transaction, linking duplicates against the whole project
        (`imports.import_records` states the rules)."""
        return imports.import_records(
            self,
            records,
            source=source,
            label=label,
            kind=kind,
            sha256=sha256,
            dedup=dedup,
            actor=actor,
            search=search,
            progress=progress,
            on_wait=on_wait,
        )

    def match(self, records: Sequence[Record]) -> dict[int, Match]:
        """Read-only: {index in `records`: (store id of the primary, reason)} for every record
        that duplicates one already in the project (what an import would link)."""
        return imports.match(self, records)

    def imports(self) -> list[Import]:
        return imports.imports(self)

    def log_search(self, run: SearchRun, retrieved: int, import_id: int | None = None) -> None:
        """Log a search that imported nothing (or whose import is logged separately)."""
        searchlog.log_search(self, run, retrieved, import_id)

    def search_log(self) -> list[SearchLogEntry]:
        return searchlog.search_log(self)

    # -- records and duplicates (`alsreview.store.records`, `.dedupqueue`) -------------
    def records(self, *, primary_only: bool = False) -> list[RecordRow]:
        """(store id, Record) for every stored record, in import order."""
        return records.records(self, primary_only=primary_only)

    def duplicate_links(self) -> list[DuplicateLink]:
        """(record id, primary id, reason) for every record marked as a duplicate."""
        return records.duplicate_links(self)

    def dedup_review_queue(self) -> list[QueuedPair]:
        """Borderline pairs (record id, record id, reason) that dedup left for a person,
        minus those since linked (`mark_duplicate`) or dismissed (`dismiss_pair`)."""
        return dedupqueue.review_queue(self)

    def dismiss_pair(self, a: int, b: int, actor: str | None = None) -> None:
        """Record that two look-alike records are different references."""
        dedupqueue.dismiss_pair(self, a, b, actor)

    def mark_duplicate(self, record_id: int, primary_id: int, reason: str) -> None:
        """Link a record to its primary by hand (e.g. from the dedup review queue)."""
        dedupqueue.mark_duplicate(self, record_id, primary_id, reason)

    # -- screening (`alsreview.store.decisions`) ---------------------------------------
    def screening_queue(self, round: int | None = None) -> list[RecordRow]:
        """Records waiting for title/abstract screening: primaries nobody has voted on."""
        from alsreview.store.decisions import screening_queue

        return screening_queue(self, round)

    def add_decisions(
        self,
        decisions: Iterable[tuple[int, str, str, str | None]],
        reviewer: str | None = None,
    ) -> int:
        """Store (record id, stage, decision, reason code) votes of one reviewer in one
        transaction (`alsreview.store.decisions.insert_votes` states the rules)."""
        from alsreview.store.decisions import VoteIn, insert_votes

        who = reviewer or current_actor()
        rows = [VoteIn(rid, stage, dec, who, reason) for rid, stage, dec, reason in decisions]
        return len(insert_votes(self, rows, who))

    def latest_decisions(self, stage: str) -> dict[int, Settled]:
        """record id -> (decision, reason) settled at a stage: all reviewers agree (and
        enough voted), or a resolved conflict (`alsreview.store.decisions`)."""
        from alsreview.store.decisions import settled_decisions

        return settled_decisions(self, stage)
