"""Optimistic locking under real concurrency: 20 clients over HTTP against a real server on
PostgreSQL, all updating the same few cases.

Every acknowledged write must be in the database (versions form an unbroken chain, the last
acknowledged value is the stored one), every conflict must have been a 409, and the audit log
must hold exactly one update row per acknowledged write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from safer77.config import Settings
from safer77.service.app import create_app
from safer77.service.models import AuditEntry, Case
from service.live import threaded_service
from service.support import World

CLIENTS = 20
ROUNDS = 12


@pytest.fixture
def server(backend, engine: Engine, settings: Settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if backend.name != "postgresql":
        pytest.skip("the concurrency test runs on PostgreSQL (SQLite serialises writers)")
    with threaded_service(create_app(settings, engine)) as base:
        yield base


@pytest.mark.slow
def test_twenty_clients_on_the_same_cases(
    server: str, world: World, sessions: sessionmaker[Session]
) -> None:
    sup = world.headers("supervisor")
    with httpx.Client(base_url=server, headers=sup) as c:
        ids = [
            c.post(
                "/cases",
                json={
                    "case_number": f"JA10000{n}",
                    "crime_type": "HOMICIDE",
                    "offense_at": "2024-01-01T00:00:00",
                },
            ).json()["id"]
            for n in range(3)
        ]

    def client(k: int) -> list[tuple[int, int, int, str]]:
        seen = []
        with httpx.Client(base_url=server, headers=sup, timeout=30) as c:
            for i in range(ROUNDS):
                case_id = ids[(k + i) % len(ids)]
                version = c.get(f"/cases/{case_id}").json()["version"]
                value = f"client {k} round {i}"
                r = c.patch(f"/cases/{case_id}", json={"version": version, "summary": value})
                body = r.json()
                seen.append((r.status_code, case_id, body.get("version", 0), value))
        return seen

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [row for rows in pool.map(client, range(CLIENTS)) for row in rows]

    statuses = {s for s, *_ in results}
    assert statuses <= {200, 409}, statuses
    acks = [r for r in results if r[0] == 200]
    conflicts = [r for r in results if r[0] == 409]
    assert len(acks) + len(conflicts) == CLIENTS * ROUNDS
    assert conflicts, "no conflicts: the clients did not actually race"
    print(f"{len(results)} updates: {len(acks)} acknowledged, {len(conflicts)} got 409")
    by_case: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for _, case_id, version, value in acks:
        by_case[case_id].append((version, value))
    with sessions() as s:
        for case_id in ids:
            case = s.get_one(Case, case_id)
            versions = sorted(v for v, _ in by_case[case_id])
            # every acknowledged write produced one version: an unbroken chain 2..final
            assert versions == list(range(2, case.version + 1))
            assert case.summary == max(by_case[case_id])[1]
            audited = s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.action == "update",
                    AuditEntry.entity == "case",
                    AuditEntry.entity_id == str(case_id),
                )
            )
            assert audited == len(by_case[case_id])
        total = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "update")
        )
    assert total == len(acks)
