"""The audit log on PostgreSQL (issue 23, finding 6): the service runs as an application role
that may not TRUNCATE or DELETE it (nor DELETE any record), while migrations run as the owner.
The roles are made here, on the local server, with names of their own (roles are shared by
the whole server, so parallel runs must not collide), and dropped at the end."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner

from safer77.cli import app as cli
from safer77.config import Settings
from safer77.service import audit
from safer77.service.app import create_app
from safer77.service.db import make_engine, owner_rights, session_factory
from service.conftest import Backend
from service.support import PASSWORD, World


@pytest.fixture
def app_engine(backend: Backend, engine: Engine) -> Iterator[Engine]:
    """An engine logged in as a new application role, granted by `service db grant`."""
    if backend.name != "postgresql":
        pytest.skip("roles and TRUNCATE are a PostgreSQL matter")
    role = f"s77_app_{secrets.token_hex(4)}"
    with engine.begin() as con:
        con.execute(text(f"CREATE ROLE {role} LOGIN"))
    try:
        url = engine.url.render_as_string(hide_password=False)
        r = CliRunner().invoke(
            cli, ["service", "db", "grant", role], env={"SAFER77_DATABASE_URL": url}
        )
        assert r.exit_code == 0, r.output
        app = make_engine(make_url(url).set(username=role).render_as_string(hide_password=False))
        yield app
        app.dispose()
    finally:
        with engine.begin() as con:
            con.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                {"r": role},
            )
            con.execute(text(f"DROP OWNED BY {role}"))
            con.execute(text(f"DROP ROLE {role}"))


REFUSED = [
    "TRUNCATE audit_log",
    "DELETE FROM audit_log",
    "UPDATE audit_log SET entity_id = '7'",
    "DELETE FROM cases",
    "TRUNCATE cases",
    "DROP TABLE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_cannot_truncate_or_delete(
    app_engine: Engine, engine: Engine, world: World, statement: str
) -> None:
    with engine.begin() as con:  # one row to lose
        con.execute(text("INSERT INTO audit_log (at, action, entity) VALUES (now(), 'read', 'x')"))
    with (
        pytest.raises(ProgrammingError, match=r"permission denied|must be owner"),
        app_engine.begin() as con,
    ):
        con.execute(text(statement))
    with engine.connect() as con:
        assert con.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 1


def test_the_service_runs_as_the_app_role(
    app_engine: Engine, engine: Engine, settings: Settings, world: World
) -> None:
    assert owner_rights(engine) and not owner_rights(app_engine)
    with TestClient(create_app(settings, app_engine), raise_server_exceptions=False) as c:
        r = c.post("/auth/token", json={"username": "supervisor", "password": PASSWORD})
        assert r.status_code == 200, r.text
        h = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert c.get("/cases", headers=h).status_code == 200
        assert (
            c.post(
                "/auth/token", json={"username": "auditor", "password": "nope nope 1"}
            ).status_code
            == 401
        )
        assert c.post("/auth/logout", headers=h).status_code == 200  # deletes expired entries
        assert c.get("/health/ready").status_code == 200
    with session_factory(app_engine)() as s:  # and the app role seals the audit rows
        audit.seal(s)
        verdict = audit.verify(s)
    assert verdict.broken_at is None and verdict.rows >= 4 and verdict.unsealed == 0
