"""Failed logins are cheap for the service (issue 23, the load target): a locked key is refused
before any password check, parallel guesses beyond the limit never reach one, the checks run
on a small pool of their own so route threads stay free, and an unknown name costs what a
known one does."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from argon2 import extract_parameters
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from safer77.config import Settings
from safer77.service import auth
from safer77.service.app import create_app
from safer77.service.models import User
from service.live import threaded_service
from service.support import PASSWORD, World

WRONG = "wrong password 1"


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str | None]]:
    """The password checks made (the stored hash each was made against; None: the dummy)."""
    made: list[str | None] = []
    real = auth.verify_password
    lock = threading.Lock()

    def counting(password_hash: str | None, password: str) -> bool:
        with lock:
            made.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    yield made


def login(c: TestClient | httpx.Client, who: str, password: str = WRONG) -> int:
    return c.post("/auth/token", json={"username": who, "password": password}).status_code


def test_a_locked_name_is_refused_before_any_check(
    client: TestClient, world: World, checks: list[str | None]
) -> None:
    assert [login(client, "auditor") for _ in range(5)] == [401] * 5
    assert len(checks) == 5
    assert [login(client, "auditor") for _ in range(20)] == [429] * 20
    assert login(client, "auditor", PASSWORD) == 429
    assert len(checks) == 5  # not one more


def test_unknown_and_inactive_names_cost_a_real_check(
    client: TestClient, world: World, engine: Engine, checks: list[str | None]
) -> None:
    with engine.begin() as con:
        con.execute(update(User).where(User.username == "analyst").values(active=False))
    assert login(client, "nobody-here") == 401
    assert login(client, "analyst", PASSWORD) == 401  # right password, inactive account
    assert login(client, "auditor") == 401
    # one argon2 check each: the dummy for the unknown name, the account's own hash otherwise
    assert len(checks) == 3 and checks[0] is None and None not in checks[1:]
    # the dummy is made with today's parameters, as every new (or renewed) password is
    assert extract_parameters(auth.dummy_hash()) == extract_parameters(
        auth.hash_password("some long password")
    )


def test_an_old_hash_is_renewed_at_the_next_good_login(
    client: TestClient, world: World, engine: Engine
) -> None:
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with engine.begin() as con:
        con.execute(update(User).where(User.username == "auditor").values(password_hash=cheap))
    assert login(client, "auditor", PASSWORD) == 200
    with engine.connect() as con:
        stored = (
            con.execute(User.__table__.select().where(User.username == "auditor"))
            .one()
            .password_hash
        )
    assert stored != cheap and not auth.needs_rehash(stored)
    assert login(client, "auditor", PASSWORD) == 200


async def _parallel(base: str, bodies: list[dict[str, str]]) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        answers = await asyncio.gather(*(c.post("/auth/token", json=b) for b in bodies))
    return [r.status_code for r in answers]


def test_parallel_guesses_beyond_the_limit_never_reach_a_check(
    engine: Engine, settings: Settings, world: World, checks: list[str | None]
) -> None:
    with threaded_service(create_app(settings, engine)) as base:
        codes = asyncio.run(_parallel(base, [{"username": "auditor", "password": WRONG}] * 30))
    assert Counter(codes)[401] <= settings.login_attempts
    assert set(codes) <= {401, 429}
    assert len(checks) == Counter(codes)[401] <= settings.login_attempts


def test_waiting_logins_hold_no_route_thread_and_a_long_queue_is_refused(
    engine: Engine, settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight slow logins at once (2 s a check): a signed-in read still answers at once (on
    the route threads, the logins would hold all four); past the queue's length a login
    answers 503 at once, unchecked."""

    def slow(password_hash: str | None, password: str) -> bool:
        time.sleep(2.0)
        return False

    monkeypatch.setattr(auth, "verify_password", slow)
    roomy = settings.model_copy(
        update={"login_queue": 6, "login_threads": 2, "login_address_attempts": 100}
    )
    with threaded_service(create_app(roomy, engine)) as base:
        bodies = [{"username": f"guess{i}", "password": WRONG} for i in range(8)]
        result: list[list[int]] = []
        sender = threading.Thread(
            target=lambda: result.append(asyncio.run(_parallel(base, bodies)))
        )
        sender.start()
        time.sleep(0.5)  # the logins are in: six checking or waiting, two refused
        t0 = time.perf_counter()
        read = httpx.get(f"{base}/cases", headers=world.headers("supervisor"), timeout=30)
        took = time.perf_counter() - t0
        sender.join()
    assert read.status_code == 200 and took < 0.8, took
    assert Counter(result[0]) == {401: 6, 503: 2}
