"""Screening tests run on SQLite and on a real PostgreSQL server (the store's fixtures).

Labelled screening sets are read from ``../shared/data/screening`` beside the checkout
(``$ALSREVIEW_SCREENING_DATA`` overrides).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "_store_conftest", Path(__file__).resolve().parents[1] / "store" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_store)
pg_url = _store.pg_url
backend = _store.backend


def screening_data() -> Path:
    env = os.environ.get("ALSREVIEW_SCREENING_DATA")
    return (
        Path(env)
        if env
        else Path(__file__).resolve().parents[2].parent / "shared" / "data" / "screening"
    )


@pytest.fixture
def data_dir() -> Path:
    d = screening_data()
    if not d.is_dir():
        pytest.fail(f"labelled screening sets not found at {d} (set ALSREVIEW_SCREENING_DATA)")
    return d


@pytest.fixture
def project(tmp_path, backend, monkeypatch):
    """A project created by 'owner' on SQLite or PostgreSQL."""
    from alsreview.store import Project

    monkeypatch.setenv("ALSREVIEW_USER", "owner")
    p = Project.create(tmp_path / "proj", url=backend)
    yield p
    p.close()
