"""The service's database: engines, sessions and Alembic migrations."""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from safer77.errors import Safer77Error

MIGRATIONS = Path(__file__).parent / "migrations"


class NotMigrated(Safer77Error):
    """The database has no tables yet (or an old schema)."""

    exit_code = 2


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class QueuedCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> QueuedCursor:
        if sql.lstrip()[:7].upper().startswith(WRITES):
            self.connection.queue_for_write()  # type: ignore[attr-defined]
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> QueuedCursor:
        if sql.lstrip()[:7].upper().startswith(WRITES):
            self.connection.queue_for_write()  # type: ignore[attr-defined]
        return super().executemany(sql, seq_of_parameters)


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection whose writers take turns in a queue: before its first write a
    transaction takes an OS lock on ``<database>.writers`` (``flock``: the next waiter, in any
    process, wakes as soon as it is released), held until commit or rollback.

    SQLite lets one transaction write at a time and makes the others poll, sleeping 1, 2, 5,
    10... up to 100 ms between tries: under a steady stream of small writes (every audited
    read is one) waiters kept missing their turn and the tail grew to seconds. Readers never
    queue (WAL)."""

    writers_path = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fd = os.open(self.writers_path, os.O_RDWR | os.O_CREAT, 0o600)
        self._queued = False

    def cursor(self, factory: Any = QueuedCursor) -> QueuedCursor:  # type: ignore[override]
        cursor: QueuedCursor = super().cursor(factory)
        return cursor

    def queue_for_write(self) -> None:
        if not self._queued:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._queued = True

    def _leave(self) -> None:
        if self._queued:
            self._queued = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave()
            os.close(self._fd)


def _queued_connection(database: str) -> type[QueuedConnection]:
    return type("QueuedConnection", (QueuedConnection,), {"writers_path": f"{database}.writers"})


def private_file(path: str) -> None:
    """Create the SQLite file readable by its owner only (0600, whatever the umask): it holds
    password hashes and case records. SQLite gives its -wal and -shm files the same mode."""
    if path.startswith("file:"):
        return  # a URI names it; SQLite opens it as told
    if not os.path.exists(path):  # (the umask can only take bits away from 0600)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


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
        connect_args: dict[str, Any] = {"timeout": 30}
        if not memory:
            kwargs.setdefault("pool_timeout", 2.0)
            if "mode=ro" not in url and parsed.database:
                private_file(parsed.database)
                connect_args["factory"] = _queued_connection(parsed.database)
        engine = create_engine(url, connect_args=connect_args, **kwargs)

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


# what the service deletes: its own bookkeeping, never a record (and never the audit log)
DELETABLE = ("login_failures", "revoked_tokens")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def app_role_grants(role: str, schema: str) -> list[str]:
    """The statements that let ``role`` (PostgreSQL) run the service in ``schema``, and no
    more: read, insert and update its tables; delete only from its bookkeeping tables; in
    ``audit_log`` insert and seal (update ``seq``, ``prev_hash``, ``hash``) only. Never
    TRUNCATE, never DDL, never ownership (an owner could truncate or disable the triggers).
    Idempotent: run it again after each upgrade, for new tables."""
    if not ROLE_NAME.match(role) or not ROLE_NAME.match(schema):
        raise Safer77Error(f"not a plain role or schema name: {role!r} / {schema!r}")
    tables = f"ALL TABLES IN SCHEMA {schema}"
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"REVOKE ALL ON {tables} FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE ON {tables} TO {role}",
        f"REVOKE INSERT, UPDATE ON {schema}.alembic_version FROM {role}",
        f"REVOKE UPDATE ON {schema}.audit_log FROM {role}",
        f"GRANT UPDATE (seq, prev_hash, hash) ON {schema}.audit_log TO {role}",
        f"GRANT DELETE ON {', '.join(f'{schema}.{t}' for t in DELETABLE)} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    ]


def grant_app_role(engine: Engine, role: str) -> str:
    """Apply :func:`app_role_grants` in the connection's current schema (as its owner); the
    schema's name."""
    if engine.dialect.name != "postgresql":
        raise Safer77Error("roles are a PostgreSQL matter (a SQLite file has none)")
    with engine.begin() as con:
        schema = str(con.execute(text("SELECT current_schema()")).scalar_one())
        for statement in app_role_grants(role, schema):
            con.execute(text(statement))
    return schema


def owner_rights(engine: Engine) -> bool:
    """Whether the service's own connection could TRUNCATE the audit log (PostgreSQL: it runs
    as the tables' owner or a superuser, not as an application role)."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as con:
        return bool(
            con.execute(
                text("SELECT has_table_privilege(current_user, 'audit_log', 'TRUNCATE')")
            ).scalar_one()
        )


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
