"""Helpers shared by the service tests (fixtures live in conftest.py)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from safer77.service.auth import Actor, hash_password
from safer77.service.models import ReviewItem, User
from safer77.service.permissions import Role
from safer77.service.review import publish_queue
from safer77.solve.clusters import Group
from safer77.solve.linkage import Linkage, LinkedCase
from safer77.solve.study import Study
from safer77.sources.cpd_homicides import COLUMNS

PASSWORD = "correct horse battery staple"

_HASH: list[str] = []


def password_hash() -> str:
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@dataclass
class World:
    """One user per role (two detectives in different units) and their tokens."""

    users: dict[str, User]
    tokens: dict[str, str]
    units: dict[str, int]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who != "anonymous" else {}

    def actor(self, who: str) -> Actor:
        u = self.users[who]
        return Actor(user_id=u.id, role=Role(u.role), unit_id=u.unit_id)


PEOPLE = {
    "admin": (Role.admin, None),
    "supervisor": (Role.supervisor, None),
    "detective": (Role.detective, "Area 1 Homicide"),
    "detective_b": (Role.detective, "Area 4 Homicide"),
    "analyst": (Role.analyst, None),
    "auditor": (Role.auditor, None),
    "coordinator": (Role.coordinator, None),
    "community": (Role.community, "Englewood Block Club"),
    "community_b": (Role.community, "Austin Block Club"),
    "task_force": (Role.task_force, None),
    "intake": (Role.intake, None),
    "dispatcher": (Role.dispatcher, None),
}


def flagged(key: dict[str, str], unsolved: list[str], n: int = 12, cleared: int = 1) -> Group:
    """A flagged group as a study reports it (the test's numbers are made up)."""
    rate = cleared / n
    return Group(
        key=key,
        n=n,
        cleared=cleared,
        arrest=cleared,
        exceptional=0,
        rate=rate,
        low=0.0,
        high=0.4,
        arrest_rate=rate,
        arrest_low=0.0,
        arrest_high=0.4,
        exceptional_rate=0.0,
        exceptional_low=0.0,
        exceptional_high=0.2,
        expected_rate=0.6,
        p_value=1e-4,
        q_value=1e-3,
        flagged=True,
        unsolved=tuple(unsolved),
    )


def study(
    groups: list[Group], linked: list[LinkedCase] | None = None, *, women_only: bool = False
) -> Study:
    cases = linked or []
    return Study(Linkage(cases, [], []), groups, len(cases), women_only=women_only)


HEADER = [*COLUMNS[:4], "CompStat Date", *COLUMNS[4:]]


def homicide(**over: str) -> dict[str, str]:
    row = {
        "RD#": "JA100001",
        "Homicide #": "22010001",
        "Injury Date": "2022-01-02T03:04:00",
        "Death Date": "2022-01-02T04:00:00",
        "CompStat Date": "2022-01-02T04:00:00",
        "Address (Block Level)": "1XX N STATE ST",
        "Homicide Location Descr": "STREET",
        "Victim Sex": "M",
        "Victim Age": "30",
        "Cleared I": "N",
        "Cleared Exceptionally By": "",
        "Date Cleared": "",
    }
    row.update(over)
    return row


def write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return path


ROWS = [
    homicide(),  # line 2: open
    homicide(
        **{
            "Homicide #": "22010002",
            "RD#": "JA100002",
            "Cleared I": "Y",
            "Date Cleared": "2022-01-20T00:00:00",
        }
    ),  # line 3: arrest
    homicide(
        **{
            "Homicide #": "22010003",
            "RD#": "JA100002",
            "Cleared I": "Y",
            "Cleared Exceptionally By": "DEATH OF OFFENDER",
            "Date Cleared": "2022-03-01T00:00:00",
        }
    ),  # line 4: exceptional A, same RD
    homicide(**{"Homicide #": "22010004", "Cleared I": "maybe"}),  # line 5: bad
    homicide(**{"Homicide #": "22010005", "Injury Date": "yesterday"}),  # line 6: bad
    homicide(
        **{
            "Homicide #": "22010006",
            "Cleared I": "Y",
            "Cleared Exceptionally By": "ALIENS",
            "Date Cleared": "2022-03-01T00:00:00",
        }
    ),  # line 7: bad reason
    homicide(
        **{
            "Homicide #": "22010002",
            "RD#": "JA100002",
            "Cleared I": "Y",
            "Date Cleared": "2022-01-20T00:00:00",
        }
    ),  # line 8: repeated in the file
    homicide(
        **{
            "Homicide #": "21-120772",
            "Death Date": "2021-12-01T00:00:00",
            "Injury Date": "2021-12-05T00:00:00",
        }
    ),  # line 9: loaded, flagged
    homicide(
        **{
            "Homicide #": "19990001",
            "Injury Date": "1999-05-05T00:00:00",
            "Cleared I": "Y",
            "Cleared Exceptionally By": "BAR TO PROSECUTE",
            "Date Cleared": "2022-02-10T00:00:00",
        }
    ),  # line 10: old case cleared in 2022
]


def seed_records(client: Any, world: World) -> dict[str, int]:
    """One case (unit 'Area 1 Homicide'), one evidence item and one release record made by the
    supervisor, one resource request filed by the Englewood block club, that club registered,
    a town hall held by the coordinator, a review queue (the supervisor's) holding the case,
    and an intake call (a text); their ids by path parameter name."""
    sup = world.headers("supervisor")
    case = client.post(
        "/cases",
        json={
            "case_number": "JA100001",
            "crime_type": "HOMICIDE",
            "offense_at": "2024-01-01T00:00:00",
            "unit": "Area 1 Homicide",
        },
        headers=sup,
    ).json()
    item = client.post(
        f"/cases/{case['id']}/evidence",
        json={
            "item_number": "1",
            "kind": "x",
            "collected_at": "2024-01-01T01:00:00",
            "holder": "a",
            "location": "b",
        },
        headers=sup,
    ).json()
    rel = client.post(
        "/releases", json={"kind": "use_of_force", "incident_date": "2024-01-01"}, headers=sup
    ).json()
    need = client.post(
        "/requests",
        json={"community_area": 68, "need": "street_light", "description": "light out at 63rd"},
        headers=world.headers("community"),
    ).json()
    coord = world.headers("coordinator")
    club = client.post(
        "/clubs",
        json={"name": "Englewood Block Club", "community_area": 68, "contact_role": "president"},
        headers=coord,
    ).json()
    meeting = client.post(
        "/town-halls",
        json={
            "district": 7,
            "held_on": "2024-01-10",
            "title": "7th",
            "agenda": "a",
            "status": "held",
        },
        headers=coord,
    ).json()
    with client.app.state.sessions() as s, s.begin():
        queue = publish_queue(
            s,
            world.actor("supervisor"),
            study([flagged({"area": "25"}, ["JA100001"])]),
            "low_clearance",
            "seeded queue",
        ).queue_id
        (review_item,) = s.scalars(select(ReviewItem.id))
    call = client.post(
        "/intake/text",
        json={"sender": "gw-seed-0001", "route": "Red", "text": "someone is hurt on the train"},
        headers=world.headers("intake"),
    ).json()
    return {
        "call_id": call["id"],
        "queue_id": queue,
        "item_id": review_item,
        "club_id": club["id"],
        "town_hall_id": meeting["id"],
        "case_id": case["id"],
        "evidence_id": item["id"],
        "release_id": rel["id"],
        "request_id": need["id"],
    }
