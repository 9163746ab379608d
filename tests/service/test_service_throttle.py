"""Login throttling kept in the database (issue 23, finding 3): shared by two app instances
(two workers), kept across a restart, per name, per address and in all, with an exponential
back-off, and blind to X-Forwarded-For unless the proxy is trusted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from safer77.config import Settings
from safer77.service.app import create_app
from safer77.service.models import LoginFailure
from safer77.service.throttle import BASE, backoff, client_address
from service.conftest import Backend
from service.live import live_service
from service.support import PASSWORD, World

WRONG = "wrong password 1"


@contextmanager
def instance(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as c:
        yield c


def login(c: TestClient | httpx.Client, who: str, password: str = WRONG, **headers: str) -> int:
    r = c.post("/auth/token", json={"username": who, "password": password}, headers=headers)
    return r.status_code


def age(engine: Engine, seconds: int) -> None:
    """Move every recorded failure ``seconds`` into the past (in Python: SQLite has no
    datetime arithmetic)."""
    with engine.begin() as con:
        rows = con.execute(select(LoginFailure.id, LoginFailure.at)).all()
        for row_id, at in rows:
            con.execute(
                update(LoginFailure)
                .where(LoginFailure.id == row_id)
                .values(at=at - timedelta(seconds=seconds))
            )


def test_two_workers_and_a_restart_share_the_count(
    engine: Engine, settings: Settings, world: World
) -> None:
    with instance(engine, settings) as a, instance(engine, settings) as b:
        # five wrong passwords, alternating between the two workers
        assert [login((a, b)[i % 2], "auditor") for i in range(5)] == [401] * 5
        assert login(a, "auditor") == 429 and login(b, "auditor") == 429
        assert login(b, "auditor", PASSWORD) == 429  # the right one too, while locked
        assert login(a, "analyst", PASSWORD) == 200  # another account is not locked
    with instance(engine, settings) as restarted:
        r = restarted.post("/auth/token", json={"username": "auditor", "password": PASSWORD})
        assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= BASE


def test_the_lock_doubles_and_a_success_clears_it(
    engine: Engine, settings: Settings, world: World
) -> None:
    with instance(engine, settings) as c:
        for _ in range(5):
            login(c, "auditor")
        waits = []
        for _ in range(3):
            r = c.post("/auth/token", json={"username": "auditor", "password": WRONG})
            waits.append(int(r.headers["Retry-After"]))
            # let the lock pass (every failure moved back past it), then fail once more
            age(engine, waits[-1] + 1)
            assert login(c, "auditor") == 401
        # counted from the last failure, recorded before its (slow, low-priority) password
        # check: a loaded machine takes a few seconds off each
        assert all(b - 5 < w <= b for w, b in zip(waits, [BASE, 2 * BASE, 4 * BASE], strict=True))
        # the lock has passed again: the right password gets in and clears the count
        age(engine, 200)
        assert login(c, "auditor", PASSWORD) == 200
        assert login(c, "auditor") == 401


def test_one_password_across_many_names_is_limited_per_address_and_in_all(
    engine: Engine, settings: Settings
) -> None:
    per_address = settings.model_copy(update={"login_address_attempts": 3})
    with instance(engine, per_address) as c:
        assert [login(c, f"name{i}") for i in range(4)] == [401, 401, 401, 429]
    overall = settings.model_copy(
        update={"login_global_attempts": 4, "trusted_proxies": "testclient"}
    )
    with instance(engine, overall) as c:
        # each from its own address (through a trusted proxy): only the total stops them
        codes = [login(c, f"other{i}", **{"X-Forwarded-For": f"10.0.0.{i}"}) for i in range(2)]
        assert codes == [401, 429]  # 3 failures above + 1 = 4 in all


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    assert client_address("127.0.0.1", "6.6.6.6", frozenset()) == "127.0.0.1"
    trusted = frozenset({"127.0.0.1", "10.0.0.2"})
    # a client's own X-Forwarded-For sits left of what the proxies appended: not believed
    assert client_address("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", trusted) == ("203.0.113.9")
    assert client_address("192.0.2.1", "6.6.6.6", trusted) == "192.0.2.1"


def test_backoff_is_capped_by_the_window() -> None:
    assert [backoff(n, 900) for n in (0, 1, 2, 6, 500)] == [15, 30, 60, 900, 900]


def test_a_real_server_ignores_forwarded_for(
    backend: Backend, engine: Engine, world: World
) -> None:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default; `service serve` must not."""
    if backend.name == "postgresql":
        url = backend.url
    else:
        url = engine.url.render_as_string(hide_password=False)
    few = {"SAFER77_LOGIN_ADDRESS_ATTEMPTS": "3"}
    with live_service(url, **few) as live, httpx.Client(base_url=live.base, timeout=10) as c:
        # a new name and a new forwarded address each time: only the peer's count can stop it
        codes = [login(c, f"n{i}", **{"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(5)]
    assert codes == [401] * 3 + [429] * 2


def test_throttle_counts_the_peer_by_default(engine: Engine, settings: Settings) -> None:
    few = settings.model_copy(update={"login_address_attempts": 2})
    with instance(engine, few) as c:
        codes = [login(c, f"n{i}", **{"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(3)]
    assert codes == [401, 401, 429]
