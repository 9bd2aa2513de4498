"""Issue 8: store failures a user can cause are `StoreError`s naming what to do, not
tracebacks (bad URL, missing driver, unknown schema revision, damaged row, busy database,
a PRISMA round that does not exist)."""

from __future__ import annotations

import sqlite3
import sys

import pytest
from sqlalchemy import text

from alsreview.errors import StoreError
from alsreview.records import Record
from alsreview.store import Project
from alsreview.store.prisma import prisma_counts


@pytest.fixture
def sqlite_project(tmp_path):
    p = Project.create(tmp_path / "proj")
    p.import_records(
        [Record(title="Stem cells in ALS", pmid="1", year=2020)], source="test", label="t"
    )
    yield p
    p.close()


@pytest.mark.parametrize("url", ["foo://", "not a url", "postgresql+nodriver://x@y/z"])
def test_unusable_database_url(tmp_path, url):
    with pytest.raises(StoreError, match=r"not a usable database URL|driver is not installed"):
        Project.create(tmp_path / "p", url=url)


def test_invalid_url_in_environment(sqlite_project, monkeypatch):
    monkeypatch.setenv("ALSREVIEW_DB_URL", "foo://")
    with pytest.raises(StoreError, match="not a usable database URL"):
        Project.open(sqlite_project.root)


def test_postgres_without_psycopg(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    with pytest.raises(StoreError, match=r"driver is not installed.*alsreview\[postgres\]"):
        Project.create(tmp_path / "p", url="postgresql+psycopg://u@127.0.0.1:9/db")


def test_unknown_alembic_revision(sqlite_project):
    with sqlite_project.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    sqlite_project.close()
    with pytest.raises(StoreError, match="revision this alsreview does not know"):
        Project.open(sqlite_project.root)


def test_damaged_record_json_is_named(sqlite_project):
    with sqlite_project.engine.begin() as conn:
        conn.execute(text("UPDATE records SET data = '{not json'"))
    with pytest.raises(StoreError, match="stored record 1 is damaged"):
        sqlite_project.records()


def test_locked_database_says_to_retry(sqlite_project, monkeypatch):
    path = sqlite_project.root / "project.db"
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        from sqlalchemy import event

        @event.listens_for(sqlite_project.engine, "connect")
        def _short(dbapi_conn, _rec):  # wait 0.1 s, not 30 s
            dbapi_conn.execute("PRAGMA busy_timeout=100")

        sqlite_project.engine.dispose()
        with pytest.raises(StoreError, match=r"locked by another command.*retry"):
            sqlite_project.import_records(
                [Record(title="x", pmid="2")], source="test", label="second"
            )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert len(sqlite_project.records()) == 1


def test_prisma_round_that_does_not_exist(sqlite_project):
    with pytest.raises(StoreError, match="no update round 99"):
        prisma_counts(sqlite_project, round=99)
    assert prisma_counts(sqlite_project, round=0)
