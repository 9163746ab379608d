"""Service fixtures: every service test runs on SQLite *and* on the real PostgreSQL
(127.0.0.1:5432, database ``test``), with the migrations applied from scratch each run.

PostgreSQL tests use a schema of their own (``s77_<pid>_<random>``), dropped at the end, so
parallel runs and other users of the ``test`` database do not collide.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from safer77.config import Settings
from safer77.service.app import create_app
from safer77.service.auth import UNIT_KIND, ensure_unit, issue_token
from safer77.service.db import make_engine, session_factory, upgrade
from safer77.service.models import User
from service.support import PEOPLE, World, password_hash

PG_URL = os.environ.get(
    "SAFER77_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass
class Backend:
    name: str
    url: str
    template: Path | None = None  # SQLite: a migrated file copied for each test


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("sqlite") / "template.db"
        engine = make_engine(f"sqlite:///{template}")
        upgrade(engine)
        engine.dispose()
        yield Backend("sqlite", "", template)
        return
    schema = f"s77_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(PG_URL)
    with admin.begin() as con:
        con.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    engine = make_engine(url)
    upgrade(engine)  # from scratch, every run
    engine.dispose()
    try:
        yield Backend("postgresql", url)
    finally:
        with admin.begin() as con:
            con.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def engine(backend: Backend, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database for one test."""
    if backend.template is not None:
        path = tmp_path / "service.db"
        shutil.copy(backend.template, path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        eng = make_engine(backend.url)
        tables = [t for t in inspect(eng).get_table_names() if t != "alembic_version"]
        with eng.begin() as con:
            con.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db=tmp_path / "warehouse.duckdb", environment="development", secret_key="t" * 48
    )


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    users: dict[str, User] = {}
    units: dict[str, int] = {}
    with sessions() as s, s.begin():
        for name, (role, unit) in PEOPLE.items():
            unit_id = ensure_unit(s, unit, UNIT_KIND[role]) if unit else None
            if unit:
                units[unit] = unit_id  # type: ignore[assignment]
            user = User(
                username=name,
                password_hash=password_hash(),
                role=role.value,
                unit_id=unit_id,
                active=True,
                created_at=datetime.now(UTC).replace(tzinfo=None),
            )
            s.add(user)
            s.flush()
            users[name] = user
    tokens = {name: issue_token(settings, u.id, u.role)[0] for name, u in users.items()}
    return World(users, tokens, units)


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as c:
        yield c
