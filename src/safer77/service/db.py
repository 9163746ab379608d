"""The service's database: engines, sessions and Alembic migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from safer77.errors import Safer77Error

MIGRATIONS = Path(__file__).parent / "migrations"


class NotMigrated(Safer77Error):
    """The database has no tables yet (or an old schema)."""

    exit_code = 2


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on, WAL and a busy timeout.

    A request waits at most ``pool_timeout`` seconds (2) for a connection, then fails with
    a pool time-out (the service answers 503 with Retry-After) instead of piling up.
    """
    # SQL parameters can hold case notes or victim details: never put them in logs or errors
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if url.startswith("sqlite"):
        memory = parsed.database in (None, "", ":memory:") or ":memory:" in url
        if not memory:
            kwargs.setdefault("pool_timeout", 2.0)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_con: Any, _: Any) -> None:
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    # no pre-ping (a round trip per request); connections are recycled instead, and a dead
    # one fails one request with 503 and is replaced
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_timeout", 2.0)
    if parsed.get_backend_name() == "postgresql" and "application_name" not in parsed.query:
        # names the service's connections in pg_stat_activity
        kwargs.setdefault("connect_args", {"application_name": "safer77-service"})
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits at the end of the block, or rolls back on error."""
    with factory() as session, session.begin():
        yield session


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (idempotent)."""
    cfg = alembic_config()
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    cfg = alembic_config()
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.downgrade(cfg, revision)


@contextmanager
def migrated_engine(url: str) -> Iterator[Engine]:
    """An engine on a database whose migrations have been applied, disposed at the end."""
    engine = make_engine(url)
    try:
        check_migrated(engine)
        yield engine
    finally:
        engine.dispose()


def check_migrated(engine: Engine) -> None:
    """Raise :class:`NotMigrated` unless the migrations have been applied."""
    if "alembic_version" not in inspect(engine).get_table_names():
        raise NotMigrated(
            f"{engine.url.render_as_string(hide_password=True)} has no service tables; "
            "run `safer77 service db upgrade`"
        )
