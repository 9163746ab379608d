"""The block-club registry: a club is its community users' organisation (their unit), names a
contact role and never a person, and each club reads only its own entry."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safer77.service.models import AuditEntry, Unit
from service.support import PASSWORD, World


def register(client: TestClient, world: World, name: str, area: int, **over: object) -> dict:
    body = {"name": name, "community_area": area, "contact_role": "president", **over}
    r = client.post("/clubs", json=body, headers=world.headers("coordinator"))
    assert r.status_code == 201, r.text
    return r.json()


def test_a_club_is_the_organisation_of_its_members(client: TestClient, world: World) -> None:
    englewood = register(client, world, "Englewood Block Club", 68)
    # the community user already in that unit is its member: its requests are the club's
    assert englewood["organisation_id"] == world.units["Englewood Block Club"]
    assert (englewood["active"], englewood["version"]) == (True, 1)
    need = client.post(
        "/requests",
        json={"community_area": 68, "need": "litter", "description": "lot on 63rd"},
        headers=world.headers("community"),
    ).json()
    assert need["organisation_id"] == englewood["organisation_id"]
    mine = client.get("/clubs", headers=world.headers("community")).json()
    assert [c["id"] for c in mine] == [englewood["id"]]

    # a new club's unit is made; a user added to it later is its member
    chatham = register(client, world, "Chatham Block Club", 44, contact_role="secretary")
    assert chatham["organisation_id"] not in world.units.values()
    user = client.post(
        "/users",
        json={
            "username": "chatham",
            "password": PASSWORD,
            "role": "community",
            "unit": "Chatham Block Club",
        },
        headers=world.headers("admin"),
    ).json()
    assert user["unit_id"] == chatham["organisation_id"]
    token = client.post("/auth/token", json={"username": "chatham", "password": PASSWORD}).json()[
        "access_token"
    ]
    theirs = client.get("/clubs", headers={"Authorization": f"Bearer {token}"}).json()
    assert [(c["name"], c["contact_role"]) for c in theirs] == [("Chatham Block Club", "secretary")]


def test_registration_refuses_people_police_units_and_repeats(
    client: TestClient, world: World
) -> None:
    coord = world.headers("coordinator")
    base = {"name": "Pullman Block Club", "community_area": 50, "contact_role": "president"}
    refused = [
        {**base, "contact_role": "Jane Doe"},  # a person is not a role
        {**base, "contact_phone": "773-555-0100"},  # no field for personal data
        {**base, "community_area": 78},
    ]
    assert [client.post("/clubs", json=b, headers=coord).status_code for b in refused] == [422] * 3
    register(client, world, "Pullman Block Club", 50)
    again = client.post("/clubs", json=base, headers=coord)
    assert again.status_code == 409 and "already registered" in again.json()["error"]
    police = client.post("/clubs", json={**base, "name": "Area 1 Homicide"}, headers=coord)
    assert police.status_code == 409 and "police unit" in police.json()["error"]
    # the registry is kept by coordinators and admins only
    for who in ("community", "supervisor", "analyst"):
        r = client.post("/clubs", json={**base, "name": "X"}, headers=world.headers(who))
        assert r.status_code == 403, who


def test_a_block_club_reads_only_its_own_club(client: TestClient, world: World) -> None:
    englewood = register(client, world, "Englewood Block Club", 68)
    austin = register(client, world, "Austin Block Club", 25)
    community = world.headers("community")
    assert client.get(f"/clubs/{englewood['id']}", headers=community).json() == englewood
    assert client.get(f"/clubs/{austin['id']}", headers=community).status_code == 404
    assert [c["id"] for c in client.get("/clubs", headers=community).json()] == [englewood["id"]]
    r = client.patch(f"/clubs/{englewood['id']}", json={"version": 1}, headers=community)
    assert r.status_code == 403  # members cannot edit the registry, not even their own entry
    assert client.get("/clubs", headers=world.headers("detective")).status_code == 403
    everything = client.get("/clubs", headers=world.headers("analyst")).json()
    assert [c["name"] for c in everything] == ["Austin Block Club", "Englewood Block Club"]
    in_68 = client.get("/clubs?community_area=68", headers=world.headers("supervisor")).json()
    assert [c["id"] for c in in_68] == [englewood["id"]]


def test_updates_carry_the_version_and_rename_the_unit(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    club = register(client, world, "Englewood Block Club", 68)
    url, coord = f"/clubs/{club['id']}", world.headers("coordinator")
    renamed = client.patch(
        url, json={"version": 1, "name": "West Englewood Block Club"}, headers=coord
    ).json()
    assert (renamed["name"], renamed["version"]) == ("West Englewood Block Club", 2)
    with sessions() as s:
        unit = s.get_one(Unit, club["organisation_id"])
        assert unit.name == "West Englewood Block Club"  # members follow the rename
    # an edit made from before the rename is stale, even though only the unit's row changed
    stale = client.patch(url, json={"version": 1, "contact_role": "treasurer"}, headers=coord)
    assert stale.status_code == 409
    register(client, world, "Austin Block Club", 25)
    taken = client.patch(url, json={"version": 2, "name": "Austin Block Club"}, headers=coord)
    assert taken.status_code == 409
    done = client.patch(
        url, json={"version": 2, "active": False, "contact_role": "block_captain"}, headers=coord
    ).json()
    assert (done["active"], done["contact_role"], done["version"]) == (False, "block_captain", 3)
    active = client.get("/clubs?active=true", headers=coord).json()
    assert [c["name"] for c in active] == ["Austin Block Club"]
    # a retired club's members lose access (issue 23): even to its own entry
    assert client.get(url, headers=world.headers("community")).status_code == 401
    assert client.get(url, headers=coord).json()["active"] is False
    with sessions() as s:
        writes = s.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity == "block_club", AuditEntry.action != "read")
            .order_by(AuditEntry.id)
        ).all()
    assert writes == ["create", "update", "create", "update"]
