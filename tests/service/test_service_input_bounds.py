"""Safer defaults (issue 23, finding 6): common passwords refused, SQLite files 0600, dates
from 1900 to a year from now and bounded field lengths, unit kinds kept apart, and a retired
block club's members without access."""

from __future__ import annotations

import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from typer.testing import CliRunner

from safer77.cli import app as cli
from safer77.service.auth import weak_password
from safer77.service.db import make_engine, upgrade
from service.support import PASSWORD, World
from service.test_service_clubs import register

WEAK = [
    "aaaaaaaaaa",  # the two
    "password12",
    "Password123!",
    "P@ssw0rd2024",
    "qwertyuiop",
    "1234567890",
    "Chicago2024!",
    "ilovechicago",
    "policeofficer1",
    "Zaq12wsx2024",
    "short1!",
]
STRONG = [PASSWORD, "a brand new passphrase 42", "violet kettle under rain", "Tx9!mQ2#vLp4"]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused(password: str) -> None:
    assert weak_password(password) is not None


@pytest.mark.parametrize("password", STRONG)
def test_strong_passwords_pass(password: str) -> None:
    assert weak_password(password) is None
    assert weak_password(password, "someone") is None


def test_a_password_holding_the_user_name_is_refused() -> None:
    assert weak_password("marquez on duty 7", "marquez") is not None


def test_the_api_and_the_cli_refuse_weak_passwords(
    client: TestClient, world: World, engine
) -> None:  # type: ignore[no-untyped-def]
    admin = world.headers("admin")
    for password in ("aaaaaaaaaa", "password12"):
        body = {"username": "newbie", "password": password, "role": "analyst"}
        r = client.post("/users", json=body, headers=admin)
        assert r.status_code == 422 and "password" in r.json()["error"], r.text
        r = client.put(
            f"/users/{world.users['analyst'].id}/password",
            json={"password": password},
            headers=admin,
        )
        assert r.status_code == 422
    env = {"SAFER77_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    r = CliRunner().invoke(
        cli,
        ["service", "user", "add", "newbie", "--role", "analyst", "--password-stdin"],
        env=env,
        input="password12\n",
    )
    assert r.exit_code == 2 and "too common" in r.output


def test_a_new_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, which made it 0644
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'service.db'}")
        upgrade(engine)
        with engine.connect():
            made = [p for p in tmp_path.iterdir() if p.name.startswith("service.db")]
            assert {p.name for p in made} >= {"service.db", "service.db-wal", "service.db-shm"}
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in made}
        engine.dispose()
    finally:
        os.umask(old)
    assert set(modes.values()) == {0o600}, modes


FUTURE = (date.today() + timedelta(days=400)).isoformat()


def post_case(client: TestClient, world: World, **over: str) -> Response:
    body = {"case_number": "JA100009", "crime_type": "THEFT", "offense_at": "2024-01-01T00:00:00"}
    return client.post("/cases", json=body | over, headers=world.headers("supervisor"))


@pytest.mark.parametrize("day", ["9999-01-01", "0001-01-01", "2099-06-01", "1899-12-31", FUTURE])
def test_dates_outside_1900_to_a_year_ahead_are_refused(
    client: TestClient, world: World, day: str
) -> None:
    sup, coord = world.headers("supervisor"), world.headers("coordinator")
    answers = [
        post_case(client, world, offense_at=f"{day}T10:00:00"),
        post_case(client, world, offense_at=f"{day}T23:00:00-05:00"),
        client.post("/releases", json={"kind": "use_of_force", "incident_date": day}, headers=sup),
        client.post(
            "/town-halls",
            json={"district": 7, "held_on": day, "title": "t", "agenda": "a"},
            headers=coord,
        ),
        client.get("/releases/overdue", params={"as_of": day}, headers=sup),
    ]
    assert [r.status_code for r in answers] == [422] * len(answers), [r.text for r in answers]


def test_dates_inside_the_range_are_taken(client: TestClient, world: World) -> None:
    sup = world.headers("supervisor")
    r = post_case(client, world, offense_at="1900-01-01T00:00:00")
    assert r.status_code == 201, r.text
    assert (
        client.post(
            "/releases", json={"kind": "use_of_force", "incident_date": "2024-02-29"}, headers=sup
        ).status_code
        == 201
    )


def test_fields_longer_than_their_columns_are_refused_by_the_schema(
    client: TestClient, world: World
) -> None:
    r = post_case(client, world, crime_type="X" * 65)
    assert r.status_code == 422 and "crime_type" in r.json()["error"]
    r = client.post("/auth/token", json={"username": "u" * 65, "password": "whatever it is"})
    assert r.status_code == 422 and "username" in r.json()["error"]


def test_unit_kinds_are_kept_apart(client: TestClient, world: World, engine) -> None:  # type: ignore[no-untyped-def]
    admin = world.headers("admin")

    def add(role: str, unit: str | None) -> int:
        body = {"username": f"u{role}", "password": PASSWORD, "role": role, "unit": unit}
        return client.post("/users", json=body, headers=admin).status_code

    assert add("detective", "Englewood Block Club") == 409  # a block club is no police unit
    assert add("community", "Area 1 Homicide") == 409  # nor a police unit an organisation
    assert add("analyst", "Area 1 Homicide") == 422  # city-wide roles sit in no unit
    assert add("detective", "Area 9 Homicide") == 201
    community = world.users["community"].id
    r = client.put(
        f"/users/{community}/role",
        json={"role": "detective", "unit": "Englewood Block Club"},
        headers=admin,
    )
    assert r.status_code == 409
    case = post_case(client, world, unit="Austin Block Club")
    assert case.status_code == 409
    r = client.post(
        "/clubs",
        json={"name": "Area 1 Homicide", "community_area": 1, "contact_role": "president"},
        headers=world.headers("coordinator"),
    )
    assert r.status_code == 409
    env = {"SAFER77_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    r = CliRunner().invoke(
        cli,
        [
            "service",
            "user",
            "role",
            "community",
            "--role",
            "detective",
            "--unit",
            "Englewood Block Club",
        ],
        env=env,
    )
    assert r.exit_code == 3 and "community unit" in r.output


def test_a_retired_clubs_members_lose_access_at_once(client: TestClient, world: World) -> None:
    coord = world.headers("coordinator")
    club = register(client, world, "Englewood Block Club", 68)
    member = world.headers("community")
    need = {"community_area": 68, "need": "litter", "description": "lot on 63rd"}
    assert client.post("/requests", json=need, headers=member).status_code == 201
    assert client.get("/requests", headers=member).status_code == 200
    r = client.patch(f"/clubs/{club['id']}", json={"version": 1, "active": False}, headers=coord)
    assert r.status_code == 200
    assert client.post("/requests", json=need, headers=member).status_code == 401
    assert client.get("/requests", headers=member).status_code == 401
    login = {"username": "community", "password": PASSWORD}
    assert client.post("/auth/token", json=login).status_code == 401
    # the other club's members are untouched
    assert client.get("/requests", headers=world.headers("community_b")).status_code == 200
    r = client.patch(f"/clubs/{club['id']}", json={"version": 2, "active": True}, headers=coord)
    assert r.status_code == 200
    assert client.post("/auth/token", json=login).status_code == 200
