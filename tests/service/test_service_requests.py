"""Resource requests: routing, SLA clock, status history, and a block club sees only its own."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from safer77.service.models import AuditEntry, ResourceRequest
from safer77.service.requests import due_on
from service.support import World


def file(client: TestClient, world: World, who: str = "community", **over: object) -> dict:
    body = {"community_area": 68, "need": "street_light", "description": "out on 63rd & Halsted"}
    r = client.post("/requests", json={**body, **over}, headers=world.headers(who))
    assert r.status_code == 201, r.text
    return r.json()


def test_due_dates_by_need() -> None:
    assert due_on(date(2024, 2, 25), "street_light") == date(2024, 3, 3)  # 7 days, leap year
    assert due_on(date(2024, 12, 10), "vacant_lot") == date(2025, 1, 9)  # 30 days


def test_filing_routes_to_a_department_with_an_sla(client: TestClient, world: World) -> None:
    item = file(client, world)
    assert item["department"] == "Transportation" and item["status"] == "routed"
    filed = date.fromisoformat(item["filed_on"])
    assert date.fromisoformat(item["due_on"]) - filed == timedelta(days=7)
    assert item["organisation_id"] == world.units["Englewood Block Club"]
    other = file(client, world, need="abandoned_building")
    assert other["department"] == "Buildings"
    r = client.post(
        "/requests",
        json={"community_area": 68, "need": "ufo", "description": "x"},
        headers=world.headers("community"),
    )
    assert r.status_code == 422


def test_a_block_club_sees_only_its_own_requests(client: TestClient, world: World) -> None:
    mine = file(client, world, "community")
    theirs = file(client, world, "community_b", community_area=25)
    ids = [r["id"] for r in client.get("/requests", headers=world.headers("community")).json()]
    assert ids == [mine["id"]]
    assert (
        client.get(f"/requests/{theirs['id']}", headers=world.headers("community")).status_code
        == 404
    )
    everything = client.get("/requests", headers=world.headers("coordinator")).json()
    assert {r["id"] for r in everything} == {mine["id"], theirs["id"]}
    # a community user cannot work requests, not even its own
    r = client.post(
        f"/requests/{mine['id']}/status",
        json={"version": 1, "to_status": "resolved", "outcome": "x"},
        headers=world.headers("community"),
    )
    assert r.status_code == 403
    summary = client.get("/requests/summary", headers=world.headers("community")).json()
    assert [(s["community_area"], s["filed"]) for s in summary] == [(68, 1)]


def test_status_history_outcome_and_overdue(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    item = file(client, world)
    coord = world.headers("coordinator")
    url = f"/requests/{item['id']}/status"
    r = client.post(url, json={"version": item["version"], "to_status": "resolved"}, headers=coord)
    assert r.status_code == 422 and "outcome" in r.json()["error"]
    item = client.post(
        url,
        json={"version": item["version"], "to_status": "in_progress", "note": "crew scheduled"},
        headers=coord,
    ).json()
    stale = client.post(
        url, json={"version": 1, "to_status": "declined", "outcome": "x"}, headers=coord
    )
    assert stale.status_code == 409
    # pretend it was filed 10 days ago: past its 7-day SLA
    with sessions() as s, s.begin():
        row = s.get_one(ResourceRequest, item["id"])
        row.filed_on = row.filed_on - timedelta(days=10)
        row.due_on = due_on(row.filed_on, "street_light")
    late = client.get("/requests?overdue=true", headers=coord).json()
    assert [r["id"] for r in late] == [item["id"]] and late[0]["overdue"] is True
    summary = client.get("/requests/summary", headers=coord).json()
    assert summary == [
        {
            "department": "Transportation",
            "community_area": 68,
            "filed": 1,
            "open": 1,
            "open_overdue": 1,
            "closed": 0,
            "closed_on_time": 0,
            "median_days_to_close": None,
        }
    ]
    item = client.get(f"/requests/{item['id']}", headers=coord).json()
    done = client.post(
        url,
        json={"version": item["version"], "to_status": "resolved", "outcome": "light replaced"},
        headers=coord,
    ).json()
    assert done["status"] == "resolved" and done["outcome"] == "light replaced"
    assert done["overdue"] is True  # closed after its due date
    detail = client.get(f"/requests/{item['id']}", headers=world.headers("community")).json()
    assert [(e["from_status"], e["to_status"]) for e in detail["events"]] == [
        (None, "routed"),
        ("routed", "in_progress"),
        ("in_progress", "resolved"),
    ]
    s = client.get("/requests/summary", headers=coord).json()[0]
    assert (s["open"], s["closed"], s["closed_on_time"], s["median_days_to_close"]) == (
        0,
        1,
        0,
        10.0,
    )
    reopened = client.post(
        url, json={"version": done["version"], "to_status": "in_progress"}, headers=coord
    ).json()
    assert reopened["closed_on"] is None
    with sessions() as ses:
        writes = ses.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "request", AuditEntry.action.in_(["create", "update"]))
        )
    assert writes == 4


def test_public_export_counts_requests_without_their_words(
    client: TestClient, world: World, engine, tmp_path
) -> None:
    from safer77.service.export import export_to_warehouse
    from safer77.warehouse import connect

    file(client, world)
    file(client, world, "community_b", community_area=25, need="vacant_lot")
    export_to_warehouse(engine, tmp_path / "w.duckdb")
    con = connect(tmp_path / "w.duckdb", read_only=True)
    try:
        rows = con.execute(
            "SELECT department, community_area, filed, open FROM service_requests_summary "
            "ORDER BY 1, 2"
        ).fetchall()
        dump = str(con.execute("SELECT * FROM service_requests_summary").fetchall())
    finally:
        con.close()
    assert rows == [("Streets and Sanitation", 25, 1, 1), ("Transportation", 68, 1, 1)]
    assert "63rd" not in dump
