"""Every failure on the record (issue 23, finding 5): a row per failed login and per 401/403 on
a restricted route, the three reads that were not audited, and a hash chain that
``service audit verify`` checks."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from safer77.cli import app as cli
from safer77.service import audit
from safer77.service.audit import seal, verify
from safer77.service.models import AuditEntry
from service.conftest import Backend
from service.support import World, seed_records


def rows(sessions: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with sessions() as s:
        return list(
            s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        )


def test_each_failed_login_leaves_a_row(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    for who in ("auditor", "auditor", "nobody"):
        r = client.post("/auth/token", json={"username": who, "password": "wrong password"})
        assert r.status_code == 401
    failed = rows(sessions, "login_failed")
    assert len(failed) == 3
    assert [f.entity_id for f in failed] == [str(world.users["auditor"].id)] * 2 + [None]
    assert all(f.detail and f.detail["address"] == "testclient" for f in failed)
    assert failed[2].detail and failed[2].detail["known_user"] is False
    # no user name in the log: an unknown name may be a mistyped password
    assert "nobody" not in str(failed[2].detail)


def test_each_401_and_403_on_a_restricted_route_leaves_a_row(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    assert client.get("/cases").status_code == 401
    assert client.get("/cases/7", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get("/cases", headers=world.headers("analyst")).status_code == 403
    assert client.get("/audit", headers=world.headers("detective")).status_code == 403
    assert client.get("/no-such-route").status_code == 404  # not a restricted route
    denied = rows(sessions, "denied")
    assert [(d.detail or {}).get("route") for d in denied] == [
        "GET /cases",
        "GET /cases/{case_id}",
        "GET /cases",
        "GET /audit",
    ]
    assert [(d.detail or {}).get("status") for d in denied] == [401, 401, 403, 403]
    assert [d.user_id for d in denied] == [
        None,
        None,
        world.users["analyst"].id,
        world.users["detective"].id,
    ]
    assert all((d.detail or {}).get("address") == "testclient" for d in denied)
    assert "may not" in str((denied[2].detail or {}).get("reason"))


def test_the_three_reads_are_audited(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ids = seed_records(client, world)
    sup = world.headers("supervisor")
    for path in (f"/releases/{ids['release_id']}", "/releases/overdue", "/caseload/units"):
        assert client.get(path, headers=sup).status_code == 200, path
    reads = {(r.entity, r.entity_id) for r in rows(sessions, "read")}
    assert ("release", str(ids["release_id"])) in reads
    assert ("release_list", None) in reads and ("caseload_units", None) in reads


def _tamper(engine: Engine, backend: Backend, statement: str) -> None:
    """What someone with the database owner's rights could do: go around the triggers."""
    with engine.begin() as con:
        if backend.name == "postgresql":
            con.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            con.execute(text(statement))
            con.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        else:
            con.execute(text("DROP TRIGGER audit_log_no_update"))
            con.execute(text("DROP TRIGGER audit_log_no_delete"))
            con.execute(text(statement))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET entity_id = '999' WHERE id = 3",
        "UPDATE audit_log SET user_id = NULL WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 2",
    ],
)
def test_audit_verify_finds_an_edited_or_removed_row(
    client: TestClient,
    world: World,
    engine: Engine,
    backend: Backend,
    sessions: sessionmaker[Session],
    statement: str,
) -> None:
    seed_records(client, world)
    with sessions() as s:
        seal(s)
        intact = verify(s)
    assert intact.broken_at is None and intact.rows > 5
    url = engine.url.render_as_string(hide_password=False)
    env = {"SAFER77_DATABASE_URL": url}
    ok = CliRunner().invoke(cli, ["service", "audit", "verify"], env=env)
    assert ok.exit_code == 0 and f"{intact.rows:,} rows" in ok.output
    _tamper(engine, backend, statement)
    with sessions() as s:
        broken = verify(s)
    assert broken.broken_at in (2, 3)
    bad = CliRunner().invoke(cli, ["service", "audit", "verify"], env=env)
    assert bad.exit_code == 3 and f"broken at row {broken.broken_at}" in bad.output


def test_rows_are_sealed_later_and_sealing_is_the_only_change_allowed(
    sessions: sessionmaker[Session], world: World
) -> None:
    """A request only inserts its row; the sealer chains it. The triggers refuse any change to
    an unsealed row's content, and any change at all to a sealed one."""
    with sessions() as s, s.begin():
        audit.record(s, world.actor("supervisor"), "read", "case", 41)
        audit.record(s, world.actor("supervisor"), "read", "case", 42)
    with sessions() as s:
        assert audit.verify(s).unsealed == 2
        for statement in (
            "UPDATE audit_log SET entity_id = '7' WHERE entity_id = '41'",
            "UPDATE audit_log SET entity_id = '7', seq = 99, prev_hash = '', hash = 'x' "
            "WHERE entity_id = '41'",
            "DELETE FROM audit_log WHERE entity_id = '41'",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                s.execute(text(statement))
            s.rollback()
        assert audit.seal(s) == 2
        assert audit.seal(s) == 0  # nothing left
        verdict = audit.verify(s)
        assert (verdict.rows, verdict.unsealed, verdict.broken_at) == (2, 0, None)
        first, second = s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert (first.seq, second.seq, second.prev_hash) == (1, 2, first.hash)
        with pytest.raises(DBAPIError, match="append-only"):
            s.execute(text("UPDATE audit_log SET hash = 'x', seq = 9 WHERE seq = 2"))
        s.rollback()


def test_the_service_seals_what_it_writes(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    assert client.get("/cases", headers=world.headers("supervisor")).status_code == 200
    deadline = time.monotonic() + 10 * audit.SEAL_EVERY
    while True:
        with sessions() as s:
            verdict = audit.verify(s)
        if (verdict.rows >= 1 and verdict.unsealed == 0) or time.monotonic() > deadline:
            break
        time.sleep(audit.SEAL_EVERY / 5)
    assert (verdict.rows, verdict.unsealed, verdict.broken_at) == (1, 0, None)
