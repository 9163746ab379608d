"""Review queues (issue 9): a study's flagged groups published into the service with their
unsolved cases; who sees them; audited reads; optimistic locking."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safer77.errors import Conflict, InvalidInput
from safer77.service.auth import Forbidden
from safer77.service.models import AuditEntry, Case
from safer77.service.review import publish_queue
from safer77.solve.clusters import low_clearance_groups
from safer77.solve.linkage import ClearanceRecord, Linkage, LinkedCase
from safer77.solve.study import Study, outcomes
from service.support import World, flagged, study

AREAS = range(1, 21)
PER_AREA = 24
PLANTED = 7
MISSING = "JC07023"  # an unsolved case of the planted group that the service does not hold


def number(area: int, i: int) -> str:
    return f"JC{area:02d}{i:03d}"


def year(i: int) -> int:
    return 2015 + i % 4


def cleared(area: int, i: int) -> bool:
    """Two in three cases are cleared, except in the planted area: only its first."""
    return i == 0 if area == PLANTED else i % 3 != 0


def sex(i: int) -> str:
    return "F" if i % 2 else "M"


def linked_city() -> list[LinkedCase]:
    """20 areas x 24 homicides (2015-2018), linked to the portal for their area."""
    out = []
    for area in AREAS:
        for i in range(PER_AREA):
            rec = ClearanceRecord(
                rd_number=number(area, i),
                key=f"{area}-{i}",
                injury_at=datetime(year(i), 3, 1 + i),
                victim_sex=sex(i),
                victim_age=30,
                location="STREET",
                cleared_on=date(year(i), 6, 1) if cleared(area, i) else None,
                exceptional=None,
            )
            out.append(LinkedCase(rec, area, 7, 711, None, None, "STREET", 0))
    return out


def real_study(*, women: bool) -> Study:
    """A study run the way ``safer77 solve clusters --by area`` runs it."""
    linked = [c for c in linked_city() if not women or c.record.victim_sex == "F"]
    cases = outcomes(linked)
    groups = low_clearance_groups(cases, ["area"], min_n=10)
    return Study(Linkage(linked, [], []), groups, len(cases), by=("area",), women_only=women)


def seed_cases(sessions: sessionmaker[Session], world: World) -> dict[str, list[int]]:
    """The planted area's homicides as the service holds them (imported from CPD: no
    community area), all but ``MISSING``; its first six in the detective's unit; and a man
    killed in the same incident as the woman of case 3 (one case per victim, same number)."""
    unit = world.units["Area 1 Homicide"]
    ids: dict[str, list[int]] = {}
    with sessions() as s, s.begin():
        rows = [(number(PLANTED, i), i, sex(i)) for i in range(PER_AREA)]
        rows.append((number(PLANTED, 3), 3, "M"))
        for n, i, victim in rows:
            if n == MISSING:
                continue
            case = Case(
                case_number=n,
                source="cpd-homicides",
                source_key=f"{n}-{victim}",
                crime_type="HOMICIDE",
                offense_at=datetime(year(i), 3, 1 + i),
                victim_sex=victim,
                unit_id=unit if i < 6 else None,
                status="cleared_arrest" if cleared(PLANTED, i) else "open",
                opened_at=datetime(2024, 1, 1),
                last_activity_at=datetime(2024, 1, 1),
            )
            s.add(case)
            s.flush()
            ids.setdefault(n, []).append(case.id)
    return ids


def publish(sessions: sessionmaker[Session], world: World, who: str, s: Study, kind: str) -> int:
    with sessions() as session, session.begin():
        return publish_queue(session, world.actor(who), s, kind, f"{kind} by {who}").queue_id


def case_numbers(detail: dict) -> list[str]:  # type: ignore[type-arg]
    return [i["case_number"] for g in detail["group_list"] for i in g["items"]]


def test_a_planted_group_is_published_with_its_unsolved_cases(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ids = seed_cases(sessions, world)
    with sessions() as s, s.begin():
        done = publish_queue(
            s,
            world.actor("supervisor"),
            real_study(women=False),
            "low_clearance",
            "low-clearance 2015-2018 by area",
        )
    # the planted area only; cases 1..23 unsolved, 23 not in the service; 3 has two victims
    unsolved = [number(PLANTED, i) for i in range(1, PER_AREA)]
    assert (done.groups, done.items, done.missing) == (1, 23, [({"area": "7"}, [MISSING])])
    r = client.get(f"/review/queues/{done.queue_id}", headers=world.headers("supervisor"))
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["kind"] == "low_clearance" and detail["name"] == "low-clearance 2015-2018 by area"
    assert detail["parameters"]["grouping"] == ["area"] and detail["parameters"]["fdr"] == 0.05
    (group,) = detail["group_list"]
    assert group["key"] == {"area": "7"} and (group["cases"], group["cleared"]) == (24, 1)
    assert group["missing"] == [MISSING] and group["q_value"] < 0.05
    assert sorted(case_numbers(detail)) == sorted([*unsolved[:-1], number(PLANTED, 3)])
    assert sorted(i["case_id"] for i in group["items"]) == sorted(
        c for n in unsolved for c in ids.get(n, [])
    )
    # placed where the study placed them (the imported cases have no area), by area and year
    assert {i["community_area"] for i in group["items"]} == {PLANTED}
    years = [i["year"] for i in group["items"]]
    assert years == sorted(years) and set(years) == {2015, 2016, 2017, 2018}
    assert {(i["status"], i["version"], i["case_status"]) for i in group["items"]} == {
        ("pending", 1, "open")
    }
    (listed,) = client.get("/review/queues", headers=world.headers("supervisor")).json()
    assert (listed["groups"], listed["items"], listed["pending"]) == (1, 23, 23)


def test_women_victims_queue_holds_the_women_only(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    seed_cases(sessions, world)
    queue = publish(sessions, world, "task_force", real_study(women=True), "women_victims")
    detail = client.get(f"/review/queues/{queue}", headers=world.headers("task_force")).json()
    # the planted area's women: odd cases, all unsolved; the man of case 3 is not an item
    women = [number(PLANTED, i) for i in range(1, PER_AREA, 2)]
    assert detail["kind"] == "women_victims" and detail["parameters"]["women_only"] is True
    assert sorted(case_numbers(detail)) == sorted(n for n in women if n != MISSING)
    assert detail["group_list"][0]["missing"] == [MISSING]
    with sessions() as s, pytest.raises(InvalidInput, match="female victims"):
        publish_queue(s, world.actor("supervisor"), real_study(women=False), "women_victims", "x")


def test_who_may_publish(world: World, sessions: sessionmaker[Session]) -> None:
    s_all = study([flagged({"area": "7"}, ["JC07001"])])
    with sessions() as s:
        with pytest.raises(Forbidden, match="review:manage"):
            publish_queue(s, world.actor("analyst"), s_all, "low_clearance", "a")
        with pytest.raises(Forbidden, match="women-victims"):
            publish_queue(s, world.actor("task_force"), s_all, "low_clearance", "b")
        publish_queue(s, world.actor("supervisor"), s_all, "low_clearance", "c")
        with pytest.raises(Conflict, match="already exists"):
            publish_queue(s, world.actor("supervisor"), s_all, "low_clearance", "c")


def test_each_role_sees_its_own(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    seed_cases(sessions, world)
    low = publish(sessions, world, "supervisor", real_study(women=False), "low_clearance")
    women = publish(sessions, world, "supervisor", real_study(women=True), "women_victims")

    def listed(who: str) -> dict[int, int]:
        r = client.get("/review/queues", headers=world.headers(who))
        assert r.status_code == 200, r.text
        return {q["id"]: q["items"] for q in r.json()}

    assert listed("supervisor") == listed("auditor") == {low: 23, women: 11}
    assert listed("task_force") == {women: 11}
    # the detective's unit holds cases 0..5: unsolved 1..5 (and the man of case 3)
    assert listed("detective") == {low: 6, women: 3}
    assert listed("detective_b") == {}
    r = client.get(f"/review/queues/{low}", headers=world.headers("detective"))
    mine = [number(PLANTED, i) for i in (1, 2, 3, 3, 4, 5)]
    assert sorted(case_numbers(r.json())) == mine and r.json()["group_list"][0]["missing"] == []
    for who, queue in [("detective_b", low), ("task_force", low)]:
        assert client.get(f"/review/queues/{queue}", headers=world.headers(who)).status_code == 404
    for who in ("analyst", "community", "admin", "coordinator"):
        assert client.get("/review/queues", headers=world.headers(who)).status_code == 403
    item = client.get(f"/review/queues/{low}", headers=world.headers("supervisor")).json()
    item_id = item["group_list"][0]["items"][0]["id"]
    body = {"version": 1, "status": "under_review"}
    for who, status in [("auditor", 403), ("detective", 403), ("task_force", 404)]:
        r = client.patch(f"/review/items/{item_id}", json=body, headers=world.headers(who))
        assert r.status_code == status, (who, r.text)


def test_reads_are_audited_with_ids_only(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    seed_cases(sessions, world)
    queue = publish(sessions, world, "supervisor", real_study(women=False), "low_clearance")
    detail = client.get(f"/review/queues/{queue}", headers=world.headers("auditor")).json()
    client.get("/review/queues", headers=world.headers("detective"))
    with sessions() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.entity.like("review%")).order_by(AuditEntry.id)
        ).all()
    got = [(r.action, r.entity, r.entity_id, r.role) for r in rows]
    assert got == [
        ("create", "review_queue", str(queue), "supervisor"),
        ("read", "review_queue", str(queue), "auditor"),
        ("read", "review_queue_list", None, "detective"),
    ]
    assert rows[0].detail == {"kind": "low_clearance", "groups": 1, "items": 23, "missing": 1}
    items = sorted(i["id"] for g in detail["group_list"] for i in g["items"])
    assert sorted(rows[1].detail["items"]) == items and len(items) == 23  # type: ignore[index]
    assert rows[2].detail == {"ids": [queue]}
    assert all("JC" not in str(r.detail) for r in rows)  # no case numbers in the log


def test_stale_version_is_refused(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    seed_cases(sessions, world)
    queue = publish(sessions, world, "supervisor", real_study(women=False), "low_clearance")
    detail = client.get(f"/review/queues/{queue}", headers=world.headers("supervisor")).json()
    item = detail["group_list"][0]["items"][0]
    sup = world.headers("supervisor")
    first = {"version": item["version"], "status": "reopened", "note": "new witness"}
    r = client.patch(f"/review/items/{item['id']}", json=first, headers=sup)
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["note"], done["version"]) == ("reopened", "new witness", 2)
    assert done["reviewed_by"] == world.users["supervisor"].id and done["reviewed_at"]
    stale = {"version": item["version"], "status": "no_action"}
    r = client.patch(f"/review/items/{item['id']}", json=stale, headers=sup)
    assert r.status_code == 409 and r.json()["ok"] is False
    r = client.patch(f"/review/items/{item['id']}", json={"version": 2}, headers=sup)
    assert r.status_code == 422  # nothing to change
    after = client.get(f"/review/queues/{queue}", headers=sup).json()["group_list"][0]["items"]
    (now,) = [i for i in after if i["id"] == item["id"]]
    assert (now["status"], now["note"], now["version"]) == ("reopened", "new witness", 2)
