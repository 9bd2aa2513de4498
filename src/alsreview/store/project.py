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

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from alsreview.errors import StoreError
from alsreview.protocol import PROTOCOL_FILENAME, ReviewProtocol, bundled_protocol_text
from alsreview.protocol import parse_protocol as _parse_protocol
from alsreview.store import decisions, dedupqueue, events, imports, records, rounds, searchlog
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
from alsreview.store.imports import CHUNK, ImportResult
from alsreview.store.models import Meta, utcnow

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


#: The connection `Project.reading()` lends to the `session()`s of its block (per thread
#: or task: a context variable), with the engine it belongs to.
_READING: ContextVar[tuple[Engine, Connection] | None] = ContextVar("_READING", default=None)


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
        """A session for reading (and for the migrations' own transaction); inside
        `reading()` it runs on that block's connection."""
        lent = _READING.get()
        if lent is not None and lent[0] is self.engine:
            return Session(lent[1], expire_on_commit=False)
        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Run the `session()` reads of this block on ONE pooled connection instead of one
        checkout and one transaction each (the web app's hot requests make several).

        PostgreSQL: the connection is in autocommit, so no BEGIN/ROLLBACK round trips;
        each statement sees the data committed when it starts, as in the READ COMMITTED
        transactions the sessions had before.  SQLite: one read transaction (one
        snapshot) for the block.  For reads only: a write in the block must use
        `write_session()` (its own connection and transaction), never `session()`."""
        lent = _READING.get()
        if lent is not None and lent[0] is self.engine:  # nested: the outer block's
            yield
            return
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            else:
                conn.begin()
            token = _READING.set((self.engine, conn))
            try:
                yield
            finally:
                _READING.reset(token)

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

    # -- each responsibility's functions, bound as methods (project is their first argument)
    current_round = property(rounds.current_round, doc="The current review round.")
    start_update = rounds.start_update

    _log = staticmethod(events.log)  # (session, action, details, actor): in a transaction
    log_event = events.log_event
    events = events.events

    import_file = imports.import_file
    import_records = imports.import_records
    match = imports.match
    imports = imports.imports

    log_search = searchlog.log_search
    search_log = searchlog.search_log

    duplicate_links = records.duplicate_links
    records = records.records  # (after the other names taken from these modules)

    dedup_review_queue = dedupqueue.review_queue
    dismiss_pair = dedupqueue.dismiss_pair
    mark_duplicate = dedupqueue.mark_duplicate

    screening_queue = decisions.screening_queue
    latest_decisions = decisions.settled_decisions  # record id -> Settled(decision, reason)

    def add_decisions(
        self,
        votes: Iterable[tuple[int, str, str, str | None]],
        reviewer: str | None = None,
    ) -> int:
        """Store (record id, stage, decision, reason code) votes of one reviewer in one
        transaction (`alsreview.store.decisions.insert_votes` states the rules)."""
        who = reviewer or current_actor()
        rows = [decisions.VoteIn(rid, st, dec, who, why) for rid, st, dec, why in votes]
        return len(decisions.insert_votes(self, rows, who))
