"""Revocable access (issue 23, finding 4): logout and a revocation list checked on every
request, deactivation, role changes and password resets by API and CLI (each audited),
15-minute access tokens with refresh. "Refused within one request": the very next request
after the change is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from safer77.cli import app as cli
from safer77.config import Settings
from safer77.service.auth import REFRESH, issue_token
from safer77.service.models import AuditEntry
from service.support import PASSWORD, World

NEW_PASSWORD = "a brand new passphrase 42"


def sign_in(client: TestClient, who: str, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/auth/token", json={"username": who, "password": password})
    assert r.status_code == 200, r.text
    return dict(r.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def changes(sessions: sessionmaker[Session], user_id: int) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    with sessions() as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "user", AuditEntry.entity_id == str(user_id))
            .order_by(AuditEntry.id)
        ).all()
    return [(r.action, r.detail or {}) for r in rows]


def test_logout_revokes_the_token_and_its_refresh_token_at_once(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    pair = sign_in(client, "supervisor")
    h = bearer(pair["access_token"])
    assert client.get("/cases", headers=h).status_code == 200
    assert client.post("/auth/logout", headers=h).status_code == 200
    r = client.get("/cases", headers=h)
    assert r.status_code == 401 and "revoked" in r.json()["error"]
    refused = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refused.status_code == 401
    # another sign-in of the same user is not affected
    assert client.get("/cases", headers=world.headers("supervisor")).status_code == 200
    actions = [a for a, _ in changes(sessions, world.users["supervisor"].id)]
    assert actions == ["login", "logout"]


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    first = sign_in(client, "analyst")
    r = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["access_token"] != first["access_token"]
    assert client.get("/me", headers=bearer(second["access_token"])).status_code == 200
    # the first refresh token again: a copy is in use; the whole session ends
    again = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401 and "already used" in again.json()["error"]
    assert client.get("/me", headers=bearer(second["access_token"])).status_code == 401
    assert (
        client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code
        == 401
    )
    actions = [a for a, _ in changes(sessions, world.users["analyst"].id)]
    assert actions == ["login", "refresh", "refresh_reused"]


def test_tokens_are_for_their_own_use(client: TestClient, world: World) -> None:
    pair = sign_in(client, "analyst")
    assert client.get("/me", headers=bearer(pair["refresh_token"])).status_code == 401
    r = client.post("/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert r.status_code == 401
    assert pair["expires_in"] == 15 * 60


@pytest.mark.parametrize(
    ("path", "body", "change"),
    [
        ("deactivate", None, {"change": "deactivated"}),
        ("role", {"role": "analyst"}, {"change": "role", "role": "analyst"}),
        ("password", {"password": NEW_PASSWORD}, {"change": "password"}),
    ],
)
def test_an_account_change_refuses_the_users_tokens_on_the_next_request(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    path: str,
    body: dict[str, str] | None,
    change: dict[str, str],
) -> None:
    detective = world.users["detective"].id
    pair = sign_in(client, "detective")
    h = bearer(pair["access_token"])
    assert client.get("/cases", headers=h).status_code == 200
    method = client.post if body is None else client.put
    kwargs = {} if body is None else {"json": body}
    r = method(f"/users/{detective}/{path}", headers=world.headers("admin"), **kwargs)  # type: ignore[operator]
    assert r.status_code == 200, r.text
    assert client.get("/cases", headers=h).status_code == 401
    assert client.get("/cases", headers=world.headers("detective")).status_code == 401
    assert client.post("/auth/refresh", json=pair).status_code in (401, 422)
    assert (
        client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code
        == 401
    )
    action, detail = changes(sessions, detective)[-1]
    assert action == "update" and detail.items() >= change.items() and detail["via"] == "api"
    with sessions() as s:
        by = s.scalars(select(AuditEntry.user_id).where(AuditEntry.action == "update")).all()
    assert by == [world.users["admin"].id]
    if path == "deactivate":
        r = client.post("/auth/token", json={"username": "detective", "password": PASSWORD})
        assert r.status_code == 401
        back = client.post(f"/users/{detective}/reactivate", headers=world.headers("admin"))
        assert back.status_code == 200 and back.json()["active"] is True
        assert client.get("/cases", headers=h).status_code == 401  # old tokens stay refused
        assert (
            client.get(
                "/cases", headers=bearer(sign_in(client, "detective")["access_token"])
            ).status_code
            == 200
        )
    elif path == "role":
        fresh = bearer(sign_in(client, "detective")["access_token"])
        assert client.get("/cases", headers=fresh).status_code == 403  # an analyst now
        assert client.get("/clearance/cleared", headers=fresh).status_code == 200
    else:
        r = client.post("/auth/token", json={"username": "detective", "password": PASSWORD})
        assert r.status_code == 401
        sign_in(client, "detective", NEW_PASSWORD)


def test_an_admin_cannot_lock_out_itself(client: TestClient, world: World) -> None:
    admin = world.users["admin"].id
    h = world.headers("admin")
    assert client.post(f"/users/{admin}/deactivate", headers=h).status_code == 409
    assert (
        client.put(f"/users/{admin}/role", json={"role": "analyst"}, headers=h).status_code == 409
    )
    assert client.post("/users/999999/deactivate", headers=h).status_code == 404
    r = client.put(
        f"/users/{world.users['analyst'].id}/role", json={"role": "detective"}, headers=h
    )
    assert r.status_code == 422  # a detective needs a unit


def test_the_cli_changes_accounts_and_the_running_service_sees_it_at_once(
    client: TestClient, world: World, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    env = {"SAFER77_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    h = world.headers("auditor")
    assert client.get("/audit", headers=h).status_code == 200
    r = runner.invoke(cli, ["service", "user", "deactivate", "auditor"], env=env)
    assert r.exit_code == 0, r.output
    assert client.get("/audit", headers=h).status_code == 401
    r = runner.invoke(cli, ["service", "user", "reactivate", "auditor"], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        cli,
        ["service", "user", "password", "auditor", "--password-stdin"],
        env=env,
        input=NEW_PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.output
    sign_in(client, "auditor", NEW_PASSWORD)
    r = runner.invoke(
        cli,
        ["service", "user", "role", "auditor", "--role", "detective", "--unit", "Area 1 Homicide"],
        env=env,
    )
    assert r.exit_code == 0, r.output
    fresh = bearer(sign_in(client, "auditor", NEW_PASSWORD)["access_token"])
    assert client.get("/cases", headers=fresh).status_code == 200
    r = runner.invoke(cli, ["service", "user", "deactivate", "nobody"], env=env)
    assert r.exit_code == 2 and "no user" in r.output
    cli_changes = [d for a, d in changes(sessions, world.users["auditor"].id) if a == "update"]
    assert [d["change"] for d in cli_changes] == ["deactivated", "reactivated", "password", "role"]
    assert all(d["via"] == "cli" for d in cli_changes)


@pytest.mark.parametrize("sub", ["9" * 400, "-1", "0", "2147483648", "1e3", " 1", "\u0661"])
def test_a_signed_token_with_an_odd_subject_is_refused_not_a_500(
    client: TestClient, settings: Settings, sub: str
) -> None:
    import jwt

    token, _ = issue_token(settings, 1, "admin")
    claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"]) | {"sub": sub}
    forged = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    r = client.get("/me", headers=bearer(forged))
    assert r.status_code == 401 and r.json()["error"] == "invalid token"


def test_a_refresh_token_signed_for_a_removed_user_is_refused(
    client: TestClient, settings: Settings
) -> None:
    token, _ = issue_token(settings, 424242, "admin", kind=REFRESH)
    assert client.post("/auth/refresh", json={"refresh_token": token}).status_code == 401
