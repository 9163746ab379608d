"""Town halls per district: a calendar of meetings whose follow-ups are resource requests, so
each item's status is its request's; and the public export holds counts only."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from safer77.service.clock import local_today
from safer77.service.export import TABLES, export_to_warehouse
from safer77.service.models import AuditEntry, ResourceRequest
from safer77.warehouse import connect
from service.support import World

TODAY = local_today()  # the service's default zone, America/Chicago


def meeting(client: TestClient, world: World, district: int, held_on: date, **over: object) -> dict:
    body = {
        "district": district,
        "held_on": held_on.isoformat(),
        "title": f"District {district} town hall",
        "agenda": "1. Street lights on Halsted\n2. Summer programmes",
        **over,
    }
    r = client.post("/town-halls", json=body, headers=world.headers("coordinator"))
    assert r.status_code == 201, r.text
    return r.json()


def follow_up(client: TestClient, world: World, town_hall_id: int, **over: object) -> dict:
    body = {"community_area": 68, "need": "street_light", "description": "lights on Halsted"}
    r = client.post(
        f"/town-halls/{town_hall_id}/follow-ups",
        json={**body, **over},
        headers=world.headers("coordinator"),
    )
    assert r.status_code == 201, r.text
    return r.json()


def move(client: TestClient, world: World, request: dict, to: str, **over: object) -> dict:
    r = client.post(
        f"/requests/{request['id']}/status",
        json={"version": request["version"], "to_status": to, **over},
        headers=world.headers("coordinator"),
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_a_meeting_is_scheduled_held_or_cancelled(client: TestClient, world: World) -> None:
    coord = world.headers("coordinator")
    later = meeting(client, world, 7, TODAY + timedelta(days=30))
    assert (later["status"], later["version"], later["created_by"]) == (
        "scheduled",
        1,
        world.users["coordinator"].id,
    )
    url = f"/town-halls/{later['id']}"
    early = client.patch(url, json={"version": 1, "status": "held"}, headers=coord)
    assert early.status_code == 422 and "held_on" in early.json()["error"]
    r = client.post(
        f"{url}/follow-ups",
        json={"community_area": 68, "need": "litter", "description": "x"},
        headers=coord,
    )
    assert r.status_code == 409  # no follow-ups before the meeting
    moved = client.patch(
        url, json={"version": 1, "held_on": (TODAY - timedelta(days=1)).isoformat()}, headers=coord
    ).json()
    held = client.patch(url, json={"version": moved["version"], "status": "held"}, headers=coord)
    assert held.status_code == 200 and held.json()["version"] == 3
    final = client.patch(url, json={"version": 3, "status": "cancelled"}, headers=coord)
    assert final.status_code == 409  # a meeting that was held stays held
    stale = client.patch(url, json={"version": 2, "title": "x"}, headers=coord)
    assert stale.status_code == 409
    other = meeting(client, world, 11, TODAY + timedelta(days=7))
    off = client.patch(
        f"/town-halls/{other['id']}", json={"version": 1, "status": "cancelled"}, headers=coord
    ).json()
    back = client.patch(
        f"/town-halls/{other['id']}",
        json={"version": off["version"], "status": "scheduled"},
        headers=coord,
    )
    assert back.status_code == 200 and back.json()["status"] == "scheduled"
    # community members read the calendar (public meetings) but cannot keep it
    community = world.headers("community")
    listed = client.get("/town-halls?district=7", headers=community).json()
    assert [(m["id"], m["status"]) for m in listed] == [(later["id"], "held")]
    assert client.patch(url, json={"version": 3}, headers=community).status_code == 403
    assert client.get("/town-halls", headers=world.headers("detective")).status_code == 403


def test_follow_ups_are_requests_and_follow_their_status(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    club = client.post(
        "/clubs",
        json={"name": "Englewood Block Club", "community_area": 68, "contact_role": "secretary"},
        headers=world.headers("coordinator"),
    ).json()
    held = meeting(client, world, 7, TODAY - timedelta(days=2), status="held")
    lights = follow_up(client, world, held["id"], club_id=club["id"])
    lot = follow_up(client, world, held["id"], need="vacant_lot", description="lot at 63rd & Green")
    # routed with the request's SLA: street lights 7 days to Transportation, lots 30 to Streets
    assert (lights["department"], lights["status"]) == ("Transportation", "routed")
    assert date.fromisoformat(lights["due_on"]) == TODAY + timedelta(days=7)
    assert (lot["department"], date.fromisoformat(lot["due_on"])) == (
        "Streets and Sanitation",
        TODAY + timedelta(days=30),
    )
    # the one raised by the club is the club's request; the other belongs to no club
    with sessions() as s:
        orgs = dict(s.execute(select(ResourceRequest.id, ResourceRequest.organisation_id)).all())
    assert orgs == {lights["id"]: club["organisation_id"], lot["id"]: None}
    own = client.get("/requests", headers=world.headers("community")).json()
    assert [r["id"] for r in own] == [lights["id"]]
    assert client.get("/requests", headers=world.headers("community_b")).json() == []

    # worked through the request workflow; the item's status is the request's
    lights = move(client, world, lights, "in_progress", note="crew booked")
    move(client, world, lights, "resolved", outcome="three lights replaced")
    url = f"/town-halls/{held['id']}"
    detail = client.get(url, headers=world.headers("community_b")).json()
    assert [(f["id"], f["status"], f["outcome"]) for f in detail["follow_ups"]] == [
        (lights["id"], "resolved", "three lights replaced"),
        (lot["id"], "routed", None),
    ]
    assert (detail["follow_ups_open"], detail["follow_ups_closed"]) == (1, 1)
    history = client.get(f"/requests/{lights['id']}", headers=world.headers("coordinator"))
    assert [e["to_status"] for e in history.json()["events"]] == [
        "routed",
        "in_progress",
        "resolved",
    ]
    listed = client.get("/town-halls", headers=world.headers("analyst")).json()
    assert [(m["follow_ups_open"], m["follow_ups_closed"]) for m in listed] == [(1, 1)]

    missing_club = client.post(
        f"{url}/follow-ups",
        json={"community_area": 68, "need": "litter", "description": "x", "club_id": 999},
        headers=world.headers("coordinator"),
    )
    assert missing_club.status_code == 404
    with sessions() as s:
        writes = s.scalars(
            select(AuditEntry.entity)
            .where(AuditEntry.action == "create", AuditEntry.entity != "block_club")
            .order_by(AuditEntry.id)
        ).all()
    assert writes == ["town_hall", "request", "town_hall_item", "request", "town_hall_item"]


def test_public_export_counts_clubs_and_meetings_without_their_words(
    client: TestClient, world: World, engine: Engine, tmp_path: Path
) -> None:
    coord = world.headers("coordinator")
    clubs = [
        ("Englewood Block Club", 68, "president"),
        ("Hamilton Park Neighbors", 68, "secretary"),
        ("Austin Block Club", 25, "treasurer"),
        ("Galewood Watch", 25, "block_captain"),
    ]
    ids = [
        client.post(
            "/clubs",
            json={"name": n, "community_area": a, "contact_role": r},
            headers=coord,
        ).json()["id"]
        for n, a, r in clubs
    ]
    client.patch(f"/clubs/{ids[3]}", json={"version": 1, "active": False}, headers=coord)
    held = meeting(client, world, 7, TODAY - timedelta(days=1), status="held")
    meeting(client, world, 7, TODAY + timedelta(days=10))
    off = meeting(client, world, 11, TODAY + timedelta(days=3))
    client.patch(
        f"/town-halls/{off['id']}", json={"version": 1, "status": "cancelled"}, headers=coord
    )
    done = follow_up(client, world, held["id"], description="Halsted lights", club_id=ids[0])
    follow_up(client, world, held["id"], need="graffiti", description="viaduct on Racine")
    move(client, world, done, "declined", outcome="ComEd owns these")

    warehouse = tmp_path / "w.duckdb"
    export_to_warehouse(engine, warehouse)
    con = connect(warehouse, read_only=True)
    try:
        per_area = con.execute("SELECT * FROM service_block_clubs ORDER BY 1").fetchall()
        per_district = con.execute("SELECT * FROM service_town_halls ORDER BY 1").fetchall()
        columns = {
            c
            for t in ("service_block_clubs", "service_town_halls")
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [t]
            ).fetchall()
        }
        dump = "".join(str(con.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES)
    finally:
        con.close()
    # active clubs only: Galewood was deactivated
    assert per_area == [(25, 1), (68, 2)]
    # district, held, scheduled, cancelled, follow-ups open, follow-ups closed
    assert per_district == [(7, 1, 1, 0, 1, 1), (11, 0, 0, 1, 0, 0)]
    assert columns == {
        "community_area",
        "clubs",
        "district",
        "held",
        "scheduled",
        "cancelled",
        "follow_ups_open",
        "follow_ups_closed",
    }
    words = ["Englewood", "Hamilton", "Galewood", "president", "secretary", "treasurer"]
    words += ["block_captain", "town hall", "Halsted", "Racine", "ComEd", "Summer"]
    assert [w for w in words if w.lower() in dump.lower()] == []
