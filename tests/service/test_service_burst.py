"""The session lifecycle under a burst (issue 23, finding 1): a real service process on a
loopback port takes 200 concurrent unauthenticated requests, and then answers at once;
nothing is left idle in a transaction, and SIGTERM ends it within 10 s."""

from __future__ import annotations

import asyncio
import secrets
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from safer77.config import Settings
from safer77.service.app import create_app
from safer77.service.db import make_engine
from safer77.service.probe import burst
from service.conftest import Backend
from service.live import live_service
from service.support import World

BURST = 200


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
        statuses = asyncio.run(burst(live.base, BURST))
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
