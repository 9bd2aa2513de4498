"""Store-backed appraisal tests run on SQLite and on PostgreSQL (fixtures of tests/store)."""

from store.conftest import backend, pg_url, project  # noqa: F401
