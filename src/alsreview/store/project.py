"""A review project: one database (SQLite file by default, PostgreSQL by URL) and a folder.

In: a project folder made by `Project.create(dir)` (it holds `protocol.toml`,
`project.toml` with the database URL, `project.db` for SQLite, `cache/` and
`checkpoints/` for searches), lists of `Record`s to import, decisions.  Out: stored
records, the screening queue, the event log and PRISMA counts (`alsreview.store.prisma`).

Every import is one database transaction: the file's records, their duplicate links, the
search log and the event are committed together or not at all (a failing file or a killed
process leaves the project as it was).  Duplicates are found against everything already in
the project; only records new to the project (primaries) enter screening.
"""

from __future__ import annotations

import getpass
import json
import os
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from alsreview.errors import StoreError
from alsreview.protocol import PROTOCOL_FILENAME, ReviewProtocol, bundled_protocol_text
from alsreview.protocol import parse_protocol as _parse_protocol
from alsreview.records.model import Record
from alsreview.sources.base import SearchRun
from alsreview.store.importlock import OnWait, import_lock
from alsreview.store.linking import Link, ReviewPair, link_records
from alsreview.store.models import (
    Event,
    Import,
    Meta,
    SearchLogEntry,
    StoredRecord,
    utcnow,
)

PROJECT_FILE = "project.toml"
SQLITE_FILE = "project.db"
CHUNK = 2000


def current_actor() -> str:
    """Who is acting: $ALSREVIEW_USER, else the login name."""
    return os.environ.get("ALSREVIEW_USER") or getpass.getuser()


@dataclass(frozen=True)
class ImportResult:
    """What one import did: records read, new to the project, duplicates, already retrieved."""

    import_id: int
    n_records: int
    n_new: int
    n_duplicates: int
    n_already_retrieved: int

    def summary(self) -> str:
        return (
            f"import {self.import_id}: {self.n_records} records, {self.n_new} new, "
            f"{self.n_duplicates} duplicates, {self.n_already_retrieved} already retrieved"
        )


def make_engine(url: str) -> Engine:
    """Engine for a project URL; SQLite gets WAL, foreign keys and real transactions.

    An unreadable URL or a missing database driver is a `StoreError`, not a traceback."""
    try:
        engine = create_engine(
            url,
            json_serializer=lambda o: json.dumps(o, ensure_ascii=False, default=str),
            future=True,
        )
    except ImportError as exc:
        hint = " (pip install 'alsreview[postgres]')" if "psycopg" in str(exc) else ""
        raise StoreError(
            f"{_safe_url(url)}: the database driver is not installed: {exc}{hint}"
        ) from None
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(
            f"{_safe_url(url)}: not a usable database URL ({exc}); expected e.g. "
            "sqlite:///path/project.db or postgresql+psycopg://user@host/db"
        ) from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # writers take the write lock at BEGIN: two imports then queue (busy_timeout)
            # instead of failing when a read snapshot turns stale
            write = conn.get_execution_options().get("alsreview_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("alsreview.store").joinpath("migrations"))
    )
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (in one transaction)."""
    from alembic import command
    from alembic.util.exc import CommandError

    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
    except CommandError as exc:
        raise StoreError(
            f"{_safe_url(engine.url.render_as_string())}: the database schema is at a revision "
            f"this alsreview does not know ({exc}); was it made by a newer alsreview?"
        ) from None


def schema_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


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
        db_url = url or f"sqlite:///{(root / SQLITE_FILE).resolve()}"
        engine = make_engine(db_url)
        try:
            migrate(engine)
            project = cls(engine, root)
            with project.session() as s, s.begin():
                if s.get(Meta, "name") is not None:
                    raise StoreError(f"{_safe_url(db_url)}: database already holds a project")
                s.add_all(
                    [
                        Meta(key="name", value=name or root.resolve().name),
                        Meta(key="round", value="0"),
                        Meta(key="created_at", value=utcnow().isoformat()),
                    ]
                )
                project._log(s, "project.create", {"title": protocol.title})
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"{_safe_url(db_url)}: cannot create project: {exc}") from exc
        (root / PROTOCOL_FILENAME).write_text(text, encoding="utf-8")
        stored_url = "" if url is None else _url_without_password(url)
        (root / PROJECT_FILE).write_text(
            "# alsreview project; url empty = the SQLite file project.db in this folder.\n"
            "# No password is stored here: PostgreSQL takes it from PGPASSWORD or ~/.pgpass,\n"
            "# or set ALSREVIEW_DB_URL to the full URL.\n"
            f"[store]\nurl = {json.dumps(stored_url)}\n",
            encoding="utf-8",
        )
        for sub in ("cache", "checkpoints"):
            (root / sub).mkdir(exist_ok=True)
        return project

    @classmethod
    def open(cls, directory: str | Path) -> Project:
        """Open a project folder; the schema is migrated to the newest revision if needed."""
        root = Path(directory)
        conf = root / PROJECT_FILE
        if not conf.exists():
            raise StoreError(f"{root}: not an alsreview project (no {PROJECT_FILE}; run init)")
        try:
            settings = tomllib.loads(conf.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise StoreError(f"{conf}: {exc}") from exc
        url = os.environ.get("ALSREVIEW_DB_URL") or settings.get("store", {}).get("url") or ""
        if not url:
            url = f"sqlite:///{(root / SQLITE_FILE).resolve()}"
        engine = make_engine(url)
        try:
            migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"{_safe_url(url)}: cannot open project: {exc}") from exc
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
        with self.session() as s:
            meta = s.get(Meta, "round")
            return int(meta.value) if meta else 0

    def start_update(self, actor: str | None = None) -> int:
        """Begin a living update: later imports belong to a new review round."""
        with self.write_session() as s, s.begin():
            meta = s.get(Meta, "round", with_for_update=True)
            new = (int(meta.value) if meta else 0) + 1
            s.merge(Meta(key="round", value=str(new)))
            self._log(s, "round.start", {"round": new}, actor)
        return new

    # -- events -------------------------------------------------------------------------
    def _log(
        self, s: Session, action: str, details: dict[str, Any], actor: str | None = None
    ) -> None:
        s.add(Event(at=utcnow(), actor=actor or current_actor(), action=action, details=details))

    def log_event(self, action: str, details: dict[str, Any], actor: str | None = None) -> None:
        """Append one event in its own transaction."""
        with self.write_session() as s, s.begin():
            self._log(s, action, details, actor)

    def events(self) -> list[Event]:
        with self.session() as s:
            return list(s.scalars(select(Event).order_by(Event.id)))

    # -- imports ------------------------------------------------------------------------
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
        """Read a file with `alsreview.records.read_records` and import it in one transaction.

        A file that cannot be read raises `ImportFormatError` before the database is touched.
        `on_wait(pid, seconds)`: see `import_records`.
        """
        import hashlib

        from alsreview.records import read_records

        p = Path(path)
        records = read_records(p, format=format) if format else read_records(p)
        from alsreview.inputs import read_limited

        digest = hashlib.sha256(read_limited(p)).hexdigest()
        return self.import_records(
            records,
            source=source or (records[0].source if records and records[0].source else "file"),
            label=str(p),
            kind="file",
            sha256=digest,
            dedup=dedup,
            actor=actor,
            on_wait=on_wait,
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
        """Import records in ONE transaction, linking duplicates against the whole project.

        dedup: "full" (identifiers, then `alsreview.dedup` fuzzy matching), "exact"
        (identifiers only) or "none".  For search imports (`kind="search"`), a record whose
        (source, source id) is already stored is counted as already retrieved and not stored
        again.  `progress(done, total)` is called after each chunk is written.  Imports into
        one project run one at a time (`store.importlock`); while this one waits for another,
        `on_wait(pid of the other or None, seconds waited)` is called now and then.
        """
        if kind not in ("file", "search"):
            raise StoreError(f"unknown import kind {kind!r}")
        if dedup not in ("full", "exact", "none"):
            raise StoreError(f"unknown dedup mode {dedup!r} (full, exact, none)")
        who = actor or current_actor()
        sqlite_file = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        try:
            with import_lock(sqlite_file, on_wait), self.write_session() as s, s.begin():
                if self.engine.dialect.name == "postgresql":
                    # one import at a time, so duplicate links never race
                    s.execute(select(func.pg_advisory_xact_lock(4_242_001)))
                rnd_meta = s.get(Meta, "round")
                rnd = int(rnd_meta.value) if rnd_meta else 0
                imp = Import(
                    kind=kind,
                    source=source,
                    label=label,
                    sha256=sha256,
                    round=rnd,
                    created_at=utcnow(),
                    actor=who,
                    n_records=len(records),
                    n_new=0,
                    n_duplicates=0,
                    n_already_retrieved=0,
                )
                s.add(imp)
                s.flush()
                result = self._insert(s, imp, list(records), dedup, progress)
                if search is not None:
                    s.add(
                        SearchLogEntry(
                            import_id=imp.id,
                            source=search.source,
                            query=search.query,
                            date_from=search.date_from.isoformat() if search.date_from else None,
                            date_to=search.date_to.isoformat() if search.date_to else None,
                            run_at=search.run_at,
                            count=search.count,
                            retrieved=len(records),
                            round=rnd,
                        )
                    )
                self._log(
                    s,
                    f"import.{kind}",
                    {
                        "import_id": imp.id,
                        "source": source,
                        "label": label,
                        "sha256": sha256,
                        "round": rnd,
                        "n_records": result.n_records,
                        "n_new": result.n_new,
                        "n_duplicates": result.n_duplicates,
                        "n_already_retrieved": result.n_already_retrieved,
                    },
                    who,
                )
        except SQLAlchemyError as exc:
            if "database is locked" in str(exc):
                raise StoreError(
                    f"import of {label} rolled back, nothing stored: the project database stayed "
                    "locked by another command for 30 s; retry when it has finished"
                ) from exc
            raise StoreError(f"import of {label} failed and was rolled back: {exc}") from exc
        return result

    def _existing(self, s: Session) -> list[tuple[int, Record]]:
        rows = s.execute(
            select(StoredRecord.id, _raw_data()).where(StoredRecord.duplicate_of.is_(None))
        )
        return _decode_records(rows)

    def _insert(
        self,
        s: Session,
        imp: Import,
        records: list[Record],
        dedup: str,
        progress: Callable[[int, int], None] | None,
    ) -> ImportResult:
        # already retrieved by an earlier run of a search: same source and source id
        already: set[int] = set()
        if imp.kind == "search":
            ids = {r.source_id for r in records if r.source_id}
            known: set[tuple[str, str]] = set()
            id_list = sorted(ids)
            for i in range(0, len(id_list), 900):
                rows = s.execute(
                    select(StoredRecord.source, StoredRecord.source_id).where(
                        StoredRecord.source_id.in_(id_list[i : i + 900])
                    )
                )
                known.update((a, b) for a, b in rows)
            seen: set[tuple[str, str]] = set()
            for i, r in enumerate(records):
                key = (r.source, r.source_id)
                if r.source_id and (key in known or key in seen):
                    already.add(i)
                seen.add(key)
        keep = [i for i in range(len(records)) if i not in already]
        batch = [records[i] for i in keep]
        existing = self._existing(s) if dedup != "none" and batch else []
        review: list[ReviewPair] = []
        links: list[Link] = (
            link_records(existing, batch, mode=dedup, review=review) if dedup != "none" else []
        )
        dup_of_existing = {ln.new_index: ln for ln in links if ln.existing_id is not None}
        dup_of_new = {ln.new_index: ln for ln in links if ln.existing_id is None}

        total = len(batch)
        done = 0
        new_ids: dict[int, int] = {}

        def rows_for(indices: list[int]) -> list[dict[str, Any]]:
            out = []
            for j in indices:
                r = batch[j]
                ln = dup_of_existing.get(j) or dup_of_new.get(j)
                duplicate_of: int | None = None
                if ln is not None and ln.existing_id is not None:
                    duplicate_of = ln.existing_id
                elif ln is not None:
                    assert ln.new_primary is not None  # a link names an existing or batch primary
                    duplicate_of = new_ids[ln.new_primary]
                out.append(
                    {
                        "import_id": imp.id,
                        "ordinal": keep[j] + 1,
                        "round": imp.round,
                        "source": r.source or imp.source,
                        "source_id": r.source_id or "",
                        "title": r.title or "",
                        "year": r.year,
                        "doi": r.doi,
                        "pmid": r.pmid,
                        "pmcid": r.pmcid,
                        "nct_id": r.nct_id,
                        "data": r.to_dict(),
                        "duplicate_of": duplicate_of,
                        "duplicate_reason": ln.reason if ln is not None else None,
                    }
                )
            return out

        # primaries first (their ids are needed by in-batch duplicates), then duplicates
        first = [j for j in range(total) if j not in dup_of_new]
        second = [j for j in range(total) if j in dup_of_new]
        for group in (first, second):
            for start in range(0, len(group), CHUNK):
                part = group[start : start + CHUNK]
                rids = s.scalars(
                    insert(StoredRecord).returning(StoredRecord.id, sort_by_parameter_order=True),
                    rows_for(part),
                ).all()
                for j, rid in zip(part, rids, strict=True):
                    new_ids[j] = rid
                done += len(part)
                if progress is not None:
                    progress(done, total)
        if review:  # borderline pairs: kept in the event log for a person to decide
            pairs = [
                [
                    p.a[1] if p.a[0] == "existing" else new_ids[p.a[1]],
                    p.b[1] if p.b[0] == "existing" else new_ids[p.b[1]],
                    p.reason,
                ]
                for p in review
            ]
            self._log(s, "dedup.review", {"import_id": imp.id, "pairs": pairs})
        n_dup = len(dup_of_existing) + len(dup_of_new)
        imp.n_new = total - n_dup
        imp.n_duplicates = n_dup
        imp.n_already_retrieved = len(already)
        s.flush()
        return ImportResult(imp.id, len(records), imp.n_new, n_dup, len(already))

    def match(self, records: Sequence[Record]) -> dict[int, tuple[int, str]]:
        """Read-only: {index in `records`: (store id of the primary, reason)} for every record
        that duplicates one already in the project (what an import would link)."""
        with self.session() as s:
            existing = self._existing(s)
        links = link_records(existing, list(records), mode="full")
        return {ln.new_index: (ln.existing_id, ln.reason) for ln in links if ln.existing_id}

    def log_search(self, run: SearchRun, retrieved: int, import_id: int | None = None) -> None:
        """Log a search that imported nothing (or whose import is logged separately)."""
        with self.write_session() as s, s.begin():
            s.add(
                SearchLogEntry(
                    import_id=import_id,
                    source=run.source,
                    query=run.query,
                    date_from=run.date_from.isoformat() if run.date_from else None,
                    date_to=run.date_to.isoformat() if run.date_to else None,
                    run_at=run.run_at,
                    count=run.count,
                    retrieved=retrieved,
                    round=self.current_round,
                )
            )
            self._log(s, "search.log", {"source": run.source, "query": run.query})

    def search_log(self) -> list[SearchLogEntry]:
        with self.session() as s:
            return list(s.scalars(select(SearchLogEntry).order_by(SearchLogEntry.id)))

    def imports(self) -> list[Import]:
        with self.session() as s:
            return list(s.scalars(select(Import).order_by(Import.id)))

    # -- records and screening ----------------------------------------------------------
    def records(self, *, primary_only: bool = False) -> list[tuple[int, Record]]:
        """(store id, Record) for every stored record, in import order."""
        q = select(StoredRecord.id, _raw_data()).order_by(StoredRecord.id)
        if primary_only:
            q = q.where(StoredRecord.duplicate_of.is_(None))
        with self.session() as s:
            return _decode_records(s.execute(q))

    def duplicate_links(self) -> list[tuple[int, int, str]]:
        """(record id, primary id, reason) for every record marked as a duplicate."""
        q = (
            select(StoredRecord.id, StoredRecord.duplicate_of, StoredRecord.duplicate_reason)
            .where(StoredRecord.duplicate_of.is_not(None))
            .order_by(StoredRecord.id)
        )
        with self.session() as s:
            # duplicate_of is never None here (the query filters it); the test narrows the type
            return [(a, b, c or "") for a, b, c in s.execute(q) if b is not None]

    def dedup_review_queue(self) -> list[tuple[int, int, str]]:
        """Borderline pairs (record id, record id, reason) that dedup left for a person,
        minus those since linked (`mark_duplicate`) or dismissed (`dismiss_pair`)."""
        events = self.events()
        dismissed = {
            tuple(sorted(e.details["pair"])) for e in events if e.action == "dedup.dismiss"
        }
        with self.session() as s:
            root = dict(s.execute(select(StoredRecord.id, StoredRecord.duplicate_of)).all())
        out = []
        for e in events:
            if e.action != "dedup.review":
                continue
            for a, b, reason in e.details["pairs"]:
                key = tuple(sorted((a, b)))
                if key in dismissed or (root.get(a) or a) == (root.get(b) or b):
                    continue
                out.append((a, b, reason))
        return out

    def dismiss_pair(self, a: int, b: int, actor: str | None = None) -> None:
        """Record that two look-alike records are different references."""
        self.log_event("dedup.dismiss", {"pair": [a, b]}, actor)

    def screening_queue(self, round: int | None = None) -> list[tuple[int, Record]]:
        """Records waiting for title/abstract screening: primaries nobody has voted on."""
        from alsreview.store.decisions import current_votes

        voted = set(current_votes(self, "title_abstract"))
        q = (
            select(StoredRecord.id, StoredRecord.data)
            .where(StoredRecord.duplicate_of.is_(None))
            .order_by(StoredRecord.id)
        )
        if round is not None:
            q = q.where(StoredRecord.round == round)
        with self.session() as s:
            return [(rid, Record.from_dict(d)) for rid, d in s.execute(q) if rid not in voted]

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

    def latest_decisions(self, stage: str) -> dict[int, tuple[str, str | None]]:
        """record id -> (decision, reason) settled at a stage: all reviewers agree (and
        enough voted), or a resolved conflict (`alsreview.store.decisions`)."""
        from alsreview.store.decisions import settled_decisions

        return settled_decisions(self, stage)

    def mark_duplicate(self, record_id: int, primary_id: int, reason: str) -> None:
        """Link a record to its primary by hand (e.g. from the dedup review queue)."""
        with self.write_session() as s, s.begin():
            if s.get(StoredRecord, primary_id) is None or s.get(StoredRecord, record_id) is None:
                raise StoreError(f"no record {record_id} or {primary_id} in this project")
            s.execute(
                update(StoredRecord)
                .where(StoredRecord.id == record_id)
                .values(duplicate_of=primary_id, duplicate_reason=reason)
            )
            self._log(s, "dedup.mark", {"record": record_id, "primary": primary_id, "why": reason})


def _raw_data() -> Any:
    """The record JSON as stored (text in SQLite), decoded by `_decode_records`."""
    from sqlalchemy import Text, type_coerce

    return type_coerce(StoredRecord.data, Text)


def _decode_records(rows: Iterable[Any]) -> list[tuple[int, Record]]:
    """(id, Record) per row; a row whose JSON was damaged outside alsreview is named."""
    out = []
    for rid, raw in rows:
        try:
            data = json.loads(raw) if isinstance(raw, str | bytes) else raw
            out.append((rid, Record.from_dict(data)))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise StoreError(
                f"stored record {rid} is damaged ({type(exc).__name__}: {exc}); "
                "was the database edited outside alsreview?"
            ) from None
    return out


def _url_without_password(url: str) -> str:
    """The URL to keep in project.toml: a file that is shared must not carry a password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.password is None:
        return url
    # URL is a NamedTuple; URL.set() ignores None, so _replace clears the field
    return parsed._replace(password=None).render_as_string(hide_password=False)


def _safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database>"
