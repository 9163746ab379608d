"""Cases, evidence and caseload through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from safer77.service.models import AuditEntry, Case
from service.support import World


def open_case(client: TestClient, world: World, who: str = "detective", **over: object) -> dict:
    body = {
        "case_number": "JA100001",
        "crime_type": "homicide",
        "offense_at": "2024-02-28T23:30:00",
        "block": "001XX N STATE ST",
        "district": 1,
        "community_area": 32,
        **over,
    }
    r = client.post("/cases", json=body, headers=world.headers(who))
    assert r.status_code == 201, r.text
    return r.json()


def move(
    client: TestClient, world: World, case: dict, to: str, who: str = "detective", **extra: object
):
    body = {"version": case["version"], "to_status": to, "reason": "test", **extra}
    return client.post(f"/cases/{case['id']}/transitions", json=body, headers=world.headers(who))


def audit_count(sessions: sessionmaker[Session], **where: str) -> int:
    with sessions() as s:
        stmt = select(func.count()).select_from(AuditEntry)
        for k, v in where.items():
            stmt = stmt.where(getattr(AuditEntry, k) == v)
        return int(s.scalar(stmt) or 0)


def test_case_lifecycle_records_who_when_why(client: TestClient, world: World) -> None:
    case = open_case(client, world)
    assert case["status"] == "open" and case["lead_detective_id"] == world.users["detective"].id
    assert case["crime_type"] == "HOMICIDE"
    for to in ("investigating", "suspect_identified", "charged"):
        r = move(client, world, case, to)
        assert r.status_code == 200, r.text
        case = r.json()
    r = move(client, world, case, "cleared_arrest", effective_on="2024-03-15")
    case = r.json()
    assert case["status"] == "cleared_arrest" and case["cleared_on"] == "2024-03-15"
    detail = client.get(f"/cases/{case['id']}", headers=world.headers("detective")).json()
    kinds = [(e["kind"], e["from_status"], e["to_status"]) for e in detail["events"]]
    assert kinds == [
        ("opened", None, "open"),
        ("transition", "open", "investigating"),
        ("transition", "investigating", "suspect_identified"),
        ("transition", "suspect_identified", "charged"),
        ("transition", "charged", "cleared_arrest"),
    ]
    assert all(e["user_id"] == world.users["detective"].id for e in detail["events"])
    assert all(e["reason"] for e in detail["events"][1:])
    # reopen withdraws the clearance
    case = move(client, world, case, "investigating").json()
    assert case["status"] == "investigating" and case["cleared_on"] is None


def test_workflow_refuses_illegal_moves(client: TestClient, world: World) -> None:
    case = open_case(client, world)
    r = move(client, world, case, "charged")
    assert r.status_code == 409 and "cannot become charged" in r.json()["error"]
    r = move(client, world, case, "cleared_exceptional")
    assert r.status_code == 422 and "NIBRS code" in r.json()["error"]
    r = move(client, world, case, "cleared_exceptional", exceptional_code="F")
    assert r.status_code == 422
    r = move(client, world, case, "cleared_exceptional", exceptional_code="A")
    assert r.status_code == 200 and r.json()["exceptional_code"] == "A"
    r = move(client, world, case, "investigating", effective_on="2023-01-01")
    assert r.status_code == 409  # stale version: the case moved on
    case = r = client.get(f"/cases/{case['id']}", headers=world.headers("detective")).json()
    r = move(client, world, case, "investigating", effective_on="2023-01-01")
    assert r.status_code == 422 and "precede the offense" in r.json()["error"]
    tomorrow = (datetime.now() + timedelta(days=2)).date().isoformat()
    r = move(client, world, case, "investigating", effective_on=tomorrow)
    assert r.status_code == 422 and "future" in r.json()["error"]


def test_stale_update_gets_409_and_overwrites_nothing(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    case = open_case(client, world)
    url, h = f"/cases/{case['id']}", world.headers("detective")
    first = client.patch(url, json={"version": case["version"], "summary": "first"}, headers=h)
    assert first.status_code == 200 and first.json()["version"] == case["version"] + 1
    second = client.patch(url, json={"version": case["version"], "summary": "second"}, headers=h)
    assert second.status_code == 409
    assert second.json() == {"ok": False, "error": second.json()["error"], "status": 409}
    assert client.get(url, headers=h).json()["summary"] == "first"
    assert audit_count(sessions, action="update", entity="case") == 1


def test_detectives_see_their_own_unit_only(client: TestClient, world: World) -> None:
    mine = open_case(client, world, "detective")
    theirs = open_case(client, world, "detective_b", case_number="JA100002")
    listed = client.get("/cases", headers=world.headers("detective")).json()
    assert [c["id"] for c in listed] == [mine["id"]]
    assert (
        client.get(f"/cases/{theirs['id']}", headers=world.headers("detective")).status_code == 404
    )
    r = client.patch(
        f"/cases/{theirs['id']}",
        json={"version": 1, "summary": "x"},
        headers=world.headers("detective"),
    )
    assert r.status_code == 404
    r = client.post(
        "/cases",
        json={
            "case_number": "JA1",
            "crime_type": "x",
            "offense_at": "2024-01-01T00:00:00",
            "unit": "Area 4 Homicide",
        },
        headers=world.headers("detective"),
    )
    assert r.status_code == 422  # case number pattern, before the unit check
    r = client.post(
        "/cases",
        json={
            "case_number": "JA100009",
            "crime_type": "x",
            "offense_at": "2024-01-01T00:00:00",
            "unit": "Area 4 Homicide",
        },
        headers=world.headers("detective"),
    )
    assert r.status_code == 403
    sup = client.get("/cases", headers=world.headers("supervisor")).json()
    assert {c["id"] for c in sup} == {mine["id"], theirs["id"]}


def test_assignment_history(client: TestClient, world: World) -> None:
    case = open_case(client, world, "supervisor", unit="Area 1 Homicide")
    assert case["lead_detective_id"] is None
    det = world.users["detective"].id
    r = client.post(
        f"/cases/{case['id']}/assignments",
        json={"version": case["version"], "detective_id": det, "reason": "on call"},
        headers=world.headers("supervisor"),
    )
    assert r.status_code == 200, r.text
    case = r.json()
    r = client.post(
        f"/cases/{case['id']}/assignments",
        json={
            "version": case["version"],
            "detective_id": world.users["detective_b"].id,
            "reason": "moved",
        },
        headers=world.headers("supervisor"),
    )
    case = r.json()
    assert case["unit_id"] == world.units["Area 4 Homicide"]
    detail = client.get(f"/cases/{case['id']}", headers=world.headers("supervisor")).json()
    hist = detail["assignments"]
    assert [a["detective_id"] for a in hist] == [det, world.users["detective_b"].id]
    assert hist[0]["ended_at"] is not None and hist[1]["ended_at"] is None
    # the first detective lost sight of it with the move to another unit
    assert client.get(f"/cases/{case['id']}", headers=world.headers("detective")).status_code == 404
    r = client.post(
        f"/cases/{case['id']}/assignments",
        json={"version": case["version"], "detective_id": world.users["analyst"].id, "reason": "x"},
        headers=world.headers("supervisor"),
    )
    assert r.status_code == 422


def test_audit_log_has_writes_and_restricted_reads_and_is_append_only(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    case = open_case(client, world)
    client.get(f"/cases/{case['id']}", headers=world.headers("detective"))
    rows = client.get("/audit", headers=world.headers("auditor")).json()
    triples = [(r["action"], r["entity"], r["entity_id"]) for r in rows]
    assert ("create", "case", str(case["id"])) in triples
    assert ("read", "case", str(case["id"])) in triples
    assert all(r["user_id"] == world.users["detective"].id for r in rows if r["entity"] == "case")
    assert "JA100001" not in str(rows) and "STATE" not in str(rows)  # ids only, no case content
    with sessions() as s, pytest.raises(DBAPIError, match="append-only"):
        s.execute(update(AuditEntry).values(action="x"))
        s.commit()
    with sessions() as s, pytest.raises(DBAPIError, match="append-only"):
        s.execute(text("DELETE FROM audit_log"))
        s.commit()
    assert audit_count(sessions) >= 3


def test_evidence_chain_of_custody_files_and_backlog(client: TestClient, world: World) -> None:
    case = open_case(client, world)
    h = world.headers("detective")
    item = client.post(
        f"/cases/{case['id']}/evidence",
        json={
            "item_number": "1",
            "kind": "firearm",
            "collected_at": "2024-03-01T01:00:00",
            "holder": "P.O. Smith #1234",
            "location": "scene",
        },
        headers=h,
    )
    assert item.status_code == 201, item.text
    item = item.json()
    dup = client.post(
        f"/cases/{case['id']}/evidence",
        json={
            "item_number": "1",
            "kind": "x",
            "collected_at": "2024-03-01T01:00:00",
            "holder": "a",
            "location": "b",
        },
        headers=h,
    )
    assert dup.status_code == 409
    version = item["version"]
    for holder, where in (("Evidence Section", "ERPS"), ("ISP Lab", "ISP Forensic Science")):
        r = client.post(
            f"/evidence/{item['id']}/custody",
            json={"version": version, "to_holder": holder, "location": where, "purpose": "t"},
            headers=h,
        )
        assert r.status_code == 201, r.text
        assert r.json()["version"] == version + 1
        version = r.json()["version"]
    stale = client.post(
        f"/evidence/{item['id']}/custody",
        json={"version": item["version"], "to_holder": "someone", "location": "x"},
        headers=h,
    )
    assert stale.status_code == 409  # a hand-off from a holder that is no longer current
    payload = b"photo bytes \x00\x01" * 1000
    r = client.put(
        f"/evidence/{item['id']}/files/photo1.jpg",
        content=payload,
        headers={**h, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(payload).hexdigest() and r.json()["size"] == len(
        payload
    )
    detail = client.get(f"/evidence/{item['id']}", headers=h).json()
    chain = [(c["from_holder"], c["to_holder"]) for c in detail["custody"]]
    assert chain == [
        (None, "P.O. Smith #1234"),
        ("P.O. Smith #1234", "Evidence Section"),
        ("Evidence Section", "ISP Lab"),
    ]
    assert detail["holder"] == "ISP Lab"
    # lab dates must follow collection; a result needs a request
    bad = client.patch(
        f"/evidence/{item['id']}",
        json={"version": detail["version"], "lab_requested_at": "2024-02-01T00:00:00"},
        headers=h,
    )
    assert bad.status_code == 422 and "before collected_at" in bad.json()["error"]
    bad = client.patch(
        f"/evidence/{item['id']}",
        json={"version": detail["version"], "lab_result_at": "2024-04-01T00:00:00"},
        headers=h,
    )
    assert bad.status_code == 422
    ok = client.patch(
        f"/evidence/{item['id']}",
        json={
            "version": detail["version"],
            "submitted_at": "2024-03-02T00:00:00",
            "lab_requested_at": "2024-03-02T00:00:00",
        },
        headers=h,
    )
    assert ok.status_code == 200, ok.text
    backlog = client.get("/evidence/backlog?days=30", headers=h).json()
    assert [b["id"] for b in backlog] == [item["id"]] and backlog[0]["days_at_lab"] > 30
    assert client.get("/evidence/backlog?days=100000", headers=h).status_code == 422
    assert client.get("/evidence/backlog", headers=world.headers("detective_b")).json() == []


def test_inactivity_alerts_cold_queue_and_gauge(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    stale = open_case(client, world)
    fresh = open_case(client, world, case_number="JA100003")
    with sessions() as s, s.begin():
        s.get_one(Case, stale["id"]).last_activity_at = datetime.now() - timedelta(days=45)
    h = world.headers("detective")
    alerts = client.get("/caseload/alerts", headers=h).json()
    assert [(a["id"], a["days_inactive"] >= 44) for a in alerts] == [(stale["id"], True)]
    assert client.get("/caseload/alerts?days=60", headers=h).json() == []
    # a note is activity
    client.post(f"/cases/{stale['id']}/notes", json={"text": "canvass done"}, headers=h)
    assert client.get("/caseload/alerts", headers=h).json() == []
    stale = client.get(f"/cases/{stale['id']}", headers=h).json()
    move(client, world, stale, "suspended_cold")
    cold = client.get("/caseload/cold", headers=h).json()
    assert [c["id"] for c in cold] == [stale["id"]]
    load = client.get("/caseload/detectives", headers=world.headers("supervisor")).json()
    assert load == [
        {
            "detective_id": world.users["detective"].id,
            "unit_id": world.units["Area 1 Homicide"],
            "open_cases": 1,
            "open_homicides": 1,
            "homicide_gauge": "ok",
        }
    ]
    for n in range(9):
        open_case(client, world, case_number=f"JB2000{n:02d}")
    load = client.get("/caseload/detectives", headers=world.headers("supervisor")).json()
    assert load[0]["open_homicides"] == 10 and load[0]["homicide_gauge"] == "over"
    assert fresh["id"] in {c["id"] for c in client.get("/cases?status=open", headers=h).json()}


def test_login_tokens_and_rate_limit(client: TestClient, world: World) -> None:
    from service.support import PASSWORD

    r = client.post("/auth/token", json={"username": "analyst", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["expires_in"] == 15 * 60  # issue 23: 15 minutes
    assert r.json()["refresh_expires_in"] == 12 * 3600
    token = r.json()["access_token"]
    me = client.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "analyst" and "password_hash" not in me
    assert client.get("/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/me").status_code == 401
    for _ in range(5):
        r = client.post("/auth/token", json={"username": "auditor", "password": "wrong password"})
        assert r.status_code == 401
    r = client.post("/auth/token", json={"username": "auditor", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    # another account from the same client is not locked out
    assert (
        client.post("/auth/token", json={"username": "admin", "password": PASSWORD}).status_code
        == 200
    )


def test_expired_token_is_refused(client: TestClient, world: World, settings) -> None:
    from safer77.service.auth import issue_token

    analyst = world.users["analyst"]
    old, _ = issue_token(
        settings, analyst.id, analyst.role, now=datetime.now().astimezone() - timedelta(hours=2)
    )
    r = client.get("/me", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401 and "expired" in r.json()["error"]


def test_notes_and_evidence_do_not_make_an_open_edit_stale(
    client: TestClient, world: World
) -> None:
    case = open_case(client, world)
    h = world.headers("detective")
    client.post(f"/cases/{case['id']}/notes", json={"text": "called the witness"}, headers=h)
    client.post(
        f"/cases/{case['id']}/evidence",
        json={
            "item_number": "7",
            "kind": "phone",
            "collected_at": "2024-03-01T00:00:00",
            "holder": "a",
            "location": "b",
        },
        headers=h,
    )
    r = client.patch(
        f"/cases/{case['id']}", json={"version": case["version"], "summary": "s"}, headers=h
    )
    assert r.status_code == 200, r.text
    detail = client.get(f"/cases/{case['id']}", headers=h).json()
    assert detail["summary"] == "s" and detail["last_activity_at"] > case["last_activity_at"]
    assert [e["kind"] for e in detail["events"]] == ["opened", "note", "update"]


def test_open_a_case_from_a_warehouse_incident(
    client: TestClient, world: World, settings, write_csv
) -> None:
    from conftest import portal_row
    from safer77.warehouse import connect, load_incidents

    con = connect(settings.db)
    try:
        load_incidents(con, write_csv("one.csv", [portal_row(id="4242", case_number="JB123456")]))
    finally:
        con.close()
    h = world.headers("detective")
    r = client.post("/cases/from-incident", json={"incident_id": 4242}, headers=h)
    assert r.status_code == 201, r.text
    case = r.json()
    assert (case["case_number"], case["source"], case["unit_id"]) == (
        "JB123456",
        "portal",
        world.units["Area 1 Homicide"],
    )
    assert case["offense_at"] == "2022-05-31T23:59:00" and case["crime_type"] == "BATTERY"
    again = client.post("/cases/from-incident", json={"incident_id": 4242}, headers=h)
    assert again.status_code == 409
    missing = client.post("/cases/from-incident", json={"incident_id": 1}, headers=h)
    assert missing.status_code == 404
