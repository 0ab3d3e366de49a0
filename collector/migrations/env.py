"""Alembic environment: runs migrations on the engine the ledger passes in."""

from __future__ import annotations

from alembic import context

from collector.ledger.tables import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=engine.dialect.name == "sqlite",
    )
    context.run_migrations()
