"""The session lifecycle under a burst (issue 23, finding 1): a real service process on a
loopback port takes 200 concurrent unauthenticated requests, and then answers at once;
nothing is left idle in a transaction, and SIGTERM ends it within 10 s."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from safer77.config import Settings
from safer77.service.app import create_app
from safer77.service.db import make_engine
from service.conftest import Backend
from service.live import live_service
from service.support import World

BURST = 200


async def _burst(base: str) -> Counter[str]:
    """200 requests at once: /health, restricted reads without a token, unknown paths and
    failed logins; each answer's status (or the client's error name)."""
    limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def one(i: int) -> str:
            try:
                match i % 4:
                    case 0:
                        r = await client.get("/health")
                    case 1:
                        r = await client.get("/cases")
                    case 2:
                        r = await client.get(f"/no-such-page/{i}")
                    case _:
                        body = {"username": f"nobody{i}", "password": "wrong password 1"}
                        r = await client.post("/auth/token", json=body)
                return str(r.status_code)
            except httpx.HTTPError as exc:
                return type(exc).__name__

        return Counter(await asyncio.gather(*(one(i) for i in range(BURST))))


def _timed_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, float]:
    t0 = time.perf_counter()
    r = httpx.get(url, headers=headers, timeout=10)
    return r.status_code, time.perf_counter() - t0


def test_a_burst_leaves_the_service_answering(
    backend: Backend, engine: Engine, world: World
) -> None:
    name = f"s77burst_{secrets.token_hex(3)}"
    url = (
        f"{backend.url}&application_name={name}"
        if backend.name == "postgresql"
        else engine.url.render_as_string(hide_password=False)
    )
    with live_service(url) as live:
        statuses = asyncio.run(_burst(live.base))
        # every request got an answer: a refusal under load is a 503, never a hang
        assert set(statuses) <= {"200", "401", "404", "429", "503"}, statuses
        assert statuses["200"] >= BURST // 4  # every /health, which needs no slot
        status, took = _timed_get(f"{live.base}/health")
        assert status == 200 and took < 1.0, (status, took)
        status, took = _timed_get(f"{live.base}/cases", world.headers("supervisor"))
        assert status == 200 and took < 2.0, (status, took)
        if backend.name == "postgresql":
            with engine.connect() as con:
                stuck = con.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n "
                        "AND state LIKE 'idle in transaction%'"
                    ),
                    {"n": name},
                ).scalar_one()
                assert stuck == 0
                seen = con.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                    {"n": name},
                ).scalar_one()
                assert seen > 0  # the check looked at the service's own connections
        assert live.stop() < 10


def test_health_needs_no_database_and_ready_needs_a_write(
    backend: Backend, engine: Engine, client: TestClient, settings: Settings
) -> None:
    assert client.get("/health/ready").json() == {"ok": True}
    if backend.name != "sqlite":
        pytest.skip("a read-only database file is a SQLite case")
    # the same database opened read-only: alive, not ready, and not reported as "busy"
    readonly = make_engine(f"sqlite:///file:{engine.url.database}?mode=ro&uri=true")
    with TestClient(create_app(settings, readonly), raise_server_exceptions=False) as c:
        assert c.get("/health").status_code == 200
        r = c.get("/health/ready")
        assert r.status_code == 503 and "cannot be written" in r.json()["error"], r.json()
    readonly.dispose()
