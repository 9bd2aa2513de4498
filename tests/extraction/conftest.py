"""Extraction tests use the store's SQLite and PostgreSQL fixtures."""

from store.conftest import backend, pg_url, project  # noqa: F401
