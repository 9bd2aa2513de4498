"""The database behind a project: engine, Alembic migrations and the project file.

In: a database URL (SQLite file or PostgreSQL) or a project folder's `project.toml`.
Out: a SQLAlchemy `Engine` whose schema is at the newest Alembic revision.
"""

from __future__ import annotations

import json
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from alsreview.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

PROJECT_FILE = "project.toml"
SQLITE_FILE = "project.db"


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
            f"{safe_url(url)}: the database driver is not installed: {exc}{hint}"
        ) from None
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(
            f"{safe_url(url)}: not a usable database URL ({exc}); expected e.g. "
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


def alembic_config(connection: Connection) -> Config:
    """An Alembic `Config` for the bundled migrations, running on `connection`."""
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
            command.upgrade(alembic_config(conn), "head")
    except CommandError as exc:
        raise StoreError(
            f"{safe_url(engine.url.render_as_string())}: the database schema is at a revision "
            f"this alsreview does not know ({exc}); was it made by a newer alsreview?"
        ) from None


def schema_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def sqlite_url(root: Path) -> str:
    """The URL of the SQLite file `project.db` in a project folder."""
    return f"sqlite:///{(root / SQLITE_FILE).resolve()}"


def read_project_url(root: Path) -> str:
    """The database URL of a project folder: $ALSREVIEW_DB_URL, else `project.toml`'s
    [store] url, else the folder's SQLite file."""
    conf = root / PROJECT_FILE
    if not conf.exists():
        raise StoreError(f"{root}: not an alsreview project (no {PROJECT_FILE}; run init)")
    try:
        settings = tomllib.loads(conf.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(f"{conf}: {exc}") from exc
    url = os.environ.get("ALSREVIEW_DB_URL") or settings.get("store", {}).get("url") or ""
    return url or sqlite_url(root)


def write_project_file(root: Path, url: str | None) -> None:
    """Write `project.toml` (no password: a shared folder must not carry one)."""
    stored_url = "" if url is None else url_without_password(url)
    (root / PROJECT_FILE).write_text(
        "# alsreview project; url empty = the SQLite file project.db in this folder.\n"
        "# No password is stored here: PostgreSQL takes it from PGPASSWORD or ~/.pgpass,\n"
        "# or set ALSREVIEW_DB_URL to the full URL.\n"
        f"[store]\nurl = {json.dumps(stored_url)}\n",
        encoding="utf-8",
    )


def url_without_password(url: str) -> str:
    """The URL to keep in project.toml: a file that is shared must not carry a password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.password is None:
        return url
    # URL is a NamedTuple; URL.set() ignores None, so _replace clears the field
    return parsed._replace(password=None).render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database>"
