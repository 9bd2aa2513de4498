"""Store tests run on SQLite and on a real PostgreSQL server.

PostgreSQL comes from `ALSREVIEW_TEST_PG_URL` (`source .ci/postgres.sh`).  In CI
(`CI=true`) a missing or unreachable server fails the tests; locally they are skipped.
Each test gets a fresh database on the server, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid

import pytest


def _pg_admin_url() -> str | None:
    url = os.environ.get("ALSREVIEW_TEST_PG_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but ALSREVIEW_TEST_PG_URL is not set (source .ci/postgres.sh)")
        pytest.skip("no PostgreSQL server: set ALSREVIEW_TEST_PG_URL (source .ci/postgres.sh)")
    return url


@pytest.fixture
def pg_url():
    """URL of a fresh, empty PostgreSQL database (dropped after the test)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = _pg_admin_url()
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            name = f"alsreview_test_{uuid.uuid4().hex[:12]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # server down
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {admin} unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL at {admin} unreachable: {exc}")
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    yield url
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """None for the default SQLite file, else a PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_url")


@pytest.fixture
def project(tmp_path, backend):
    from alsreview.store import Project

    p = Project.create(tmp_path / "proj", url=backend)
    yield p
    p.close()
