"""Alembic's environment: digest passes the connection in (no alembic.ini, no URL in files)."""

from __future__ import annotations

from alembic import context

from digest.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
