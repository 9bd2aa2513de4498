"""Alembic environment for an alsreview project database.

`alsreview.store.project` runs the migrations programmatically and hands over its open
connection in `config.attributes["connection"]`, so the upgrade joins its transaction.
"""

from __future__ import annotations

from alembic import context

from alsreview.store.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when run by the alembic command
    from sqlalchemy import create_engine

    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None, "alembic.ini sets sqlalchemy.url"
    connection = create_engine(url).connect()

context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
