"""Alembic environment: runs on the connection given by :func:`safer77.service.db.upgrade`."""

from __future__ import annotations

from alembic import context

from safer77.service.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `safer77 service db upgrade`")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
