"""Service load benchmark (run by hand; not part of the tests).

Starts the service in its own process(es) on loopback against PostgreSQL (a fresh schema in
database ``test``) or a SQLite file (``--backend sqlite``), seeds it (2,000 cases; plus the CPD
homicide file when ../shared/data is there), then

1. offers an open-loop load of mixed requests at a fixed rate (default 200 requests/s for
   60 s) from this process: reads and writes of a signed-in supervisor, and 10% failed logins,
   10% unknown cases (404) and /health. Latency is measured from each request's *scheduled*
   send time, so a slow server cannot hide behind fewer requests (no coordinated omission).
   An error is a status the request should not get (a failed login answers 401, or 429 once
   throttled; an unknown case 404);
2. sends a burst of 200 concurrent unauthenticated requests, then times /health and a
   signed-in read, and (PostgreSQL) counts the service's connections idle in a transaction.

Prints all of it (targets: p99 < 100 ms on PostgreSQL, < 250 ms on SQLite, 0 errors; after the
burst /health within 1 s, a signed-in read within 2 s, nothing idle in a transaction).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import httpx
from sqlalchemy import text

from safer77.config import get_settings
from safer77.service.auth import create_user
from safer77.service.db import make_engine, session_factory, transaction, upgrade
from safer77.service.imports import import_cpd_homicides
from safer77.service.models import Case
from safer77.service.permissions import Role
from safer77.service.probe import burst

PG = os.environ.get("SAFER77_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SHARED = get_settings().shared_data  # $SAFER77_SHARED_DATA, or ../shared/data
PASSWORD = "load generator passphrase 1234"

# (share, name): what a busy day of detectives and supervisors looks like, roughly
MIX = [
    (0.25, "read_case"),
    (0.10, "list_cases"),
    (0.05, "caseload"),
    (0.05, "alerts"),
    (0.02, "clearance"),
    (0.15, "update_case"),
    (0.07, "add_note"),
    (0.03, "open_case"),
    (0.10, "failed_login"),
    (0.10, "missing_case"),
    (0.08, "health"),
]
# what each kind may answer (anything else is an error)
EXPECTED = {"failed_login": {401, 429}, "missing_case": {404}}
TARGET_P99 = {"postgresql": 100.0, "sqlite": 250.0}


def seed(url: str, cases: int) -> list[int]:
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as s:
        create_user(s, username="bench", password=PASSWORD, role=Role.supervisor)
        for n in range(cases):
            s.add(
                Case(
                    case_number=f"JB{n:06d}",
                    source="bench",
                    source_key=str(n),
                    crime_type="HOMICIDE" if n % 5 == 0 else "ROBBERY",
                    offense_at=datetime(2024, 1 + n % 12, 1 + n % 28),
                    unit_id=None,
                    status="investigating",
                    opened_at=datetime(2024, 1, 1),
                    last_activity_at=datetime(2024, 6, 1),
                )
            )
    homicides = SHARED / "clearance" / "cpd_homicide_clearance_status_P744333.csv"
    if homicides.exists():
        with transaction(sessions) as s:
            import_cpd_homicides(s, None, homicides)
    with sessions() as s:
        ids = [i for (i,) in s.execute(text("SELECT id FROM cases WHERE source = 'bench'"))]
    # a running system has planner statistics and no pending vacuum: measure that state
    with engine.connect() as con:
        analyze = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        con.execution_options(isolation_level="AUTOCOMMIT").execute(text(analyze))
    engine.dispose()
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign_in(base: str) -> str:
    """The bench user's token, got once: the failed logins of the mix soon lock this address."""
    r = httpx.post(f"{base}/auth/token", json={"username": "bench", "password": PASSWORD})
    r.raise_for_status()
    return str(r.json()["access_token"])


async def run_load(
    base: str,
    token: str,
    ids: list[int],
    rate: float,
    seconds: float,
    rng: random.Random,
    versions: dict[int, int],
) -> dict[str, Any]:
    """Offer ``rate`` requests/s for ``seconds``; latency from each scheduled send time."""
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(base, connector=connector) as c:
        auth = {"Authorization": f"Bearer {token}"}
        writable = list(ids)
        rng.shuffle(writable)
        cursor = 0
        latencies: list[float] = []
        by_window: dict[int, list[float]] = {}  # latencies per 10 s of the run
        by_kind: dict[str, list[float]] = {n: [] for _, n in MIX}
        errors: dict[str, int] = {}
        names = [n for _, n in MIX]
        weights = [w for w, _ in MIX]

        def request(kind: str) -> tuple[str, str, dict[str, Any]]:
            nonlocal cursor
            if kind == "read_case":
                return "GET", f"/cases/{rng.choice(ids)}", {}
            if kind == "list_cases":
                return "GET", "/cases", {"params": {"limit": 50, "offset": rng.randrange(1500)}}
            if kind == "caseload":
                return "GET", "/caseload/units", {}
            if kind == "alerts":
                return "GET", "/evidence/backlog", {}
            if kind == "clearance":
                return "GET", "/clearance/cleared", {"params": {"grain": "year"}}
            if kind == "update_case":
                # writers walk a shuffled list, so two writes to one case never overlap
                case_id = writable[cursor % len(writable)]
                cursor += 1
                body = {"version": versions[case_id], "summary": secrets.token_hex(8)}
                return "PATCH", f"/cases/{case_id}", {"json": body}
            if kind == "add_note":
                return "POST", f"/cases/{rng.choice(ids)}/notes", {"json": {"text": "visit"}}
            if kind == "failed_login":
                body = {"username": f"guess{rng.randrange(10**6)}", "password": "not it 12345"}
                return "POST", "/auth/token", {"json": body, "headers": {}}
            if kind == "missing_case":
                return "GET", f"/cases/{10**8 + rng.randrange(10**6)}", {}
            if kind == "health":
                return "GET", "/health", {"headers": {}}
            body = {
                "case_number": f"JC{rng.randrange(10**6):06d}",
                "crime_type": "BURGLARY",
                "offense_at": "2024-05-01T10:00:00",
            }
            return "POST", "/cases", {"json": body}

        async def one(kind: str, scheduled: float) -> None:
            method, path, extra = request(kind)
            extra.setdefault("headers", auth)
            try:
                async with c.request(method, path, **extra) as resp:
                    payload = await resp.read()
                    if resp.status not in EXPECTED.get(kind, range(200, 300)):
                        key = f"{kind} {resp.status}"
                        errors[key] = errors.get(key, 0) + 1
                    elif kind == "update_case":
                        answer = json.loads(payload)
                        versions[answer["id"]] = answer["version"]
            except aiohttp.ClientError as exc:
                key = f"{kind} {type(exc).__name__}"
                errors[key] = errors.get(key, 0) + 1
            latencies.append(time.perf_counter() - scheduled)
            by_kind[kind].append(latencies[-1])
            by_window.setdefault(int((scheduled - start) // 10), []).append(latencies[-1])

        tasks = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(rng.choices(names, weights)[0], scheduled)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float, values: list[float] = latencies) -> float:
        return values[min(len(values) - 1, int(p * len(values)))] * 1000 if values else 0.0

    return {
        "requests": n,
        "seconds": round(elapsed, 1),
        "achieved_rate": round(n / elapsed, 1),
        "p50_ms": round(pct(0.50), 1),
        "p95_ms": round(pct(0.95), 1),
        "p99_ms": round(pct(0.99), 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "p99_ms_by_kind": {k: round(pct(0.99, sorted(v)), 1) for k, v in by_kind.items()},
        # when the slow ones came: clustered (a pause) or spread (too little CPU throughout)
        "p99_ms_by_10s": [round(pct(0.99, sorted(by_window[w])), 1) for w in sorted(by_window)],
    }


def after_burst(base: str, token: str, url: str, app_name: str | None) -> dict[str, Any]:
    """Send the burst, then time /health and a signed-in read; count idle transactions."""
    t0 = time.perf_counter()
    answers = dict(sorted(asyncio.run(burst(base)).items()))
    took = time.perf_counter() - t0
    t1 = time.perf_counter()
    health = httpx.get(f"{base}/health", timeout=10).status_code
    health_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    auth = {"Authorization": f"Bearer {token}"}
    read = httpx.get(f"{base}/cases", params={"limit": 5}, headers=auth, timeout=10).status_code
    read_s = time.perf_counter() - t2
    out: dict[str, Any] = {
        "burst_answers": answers,
        "burst_s": round(took, 2),
        "health_after_s": round(health_s, 3),
        "health_status": health,
        "signed_in_read_after_s": round(read_s, 3),
        "signed_in_read_status": read,
    }
    if app_name is not None:
        engine = make_engine(url)
        with engine.connect() as con:
            out["idle_in_transaction"] = con.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n "
                    "AND state LIKE 'idle in transaction%'"
                ),
                {"n": app_name},
            ).scalar_one()
        engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    schema = f"bench_service_{secrets.token_hex(3)}"
    admin = make_engine(PG) if args.backend == "postgresql" else None
    folder = tempfile.TemporaryDirectory(prefix="bench-service-")
    app_name: str | None = None
    if admin is not None:
        with admin.begin() as con:
            con.execute(text(f"CREATE SCHEMA {schema}"))
        app_name = schema
        url = f"{PG}?options={quote(f'-csearch_path={schema}')}&application_name={app_name}"
    else:
        url = f"sqlite:///{Path(folder.name) / 'service.db'}"
    port = free_port()
    server = None
    try:
        t0 = time.perf_counter()
        ids = seed(url, args.cases)
        print(
            f"seeded {len(ids):,} cases (+ CPD homicides if present) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        env = {
            **os.environ,
            "SAFER77_DATABASE_URL": url,
            "SAFER77_ENVIRONMENT": "production",
            "SAFER77_SECRET_KEY": secrets.token_urlsafe(48),
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "safer77.service.asgi:build",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
                "--no-proxy-headers",
                "--timeout-graceful-shutdown",
                "8",
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = sign_in(base)
        # a short warm-up (connection pools, first queries) is not measured
        versions = dict.fromkeys(ids, 1)  # what this client last saw of each case
        asyncio.run(
            run_load(
                base, token, ids, min(args.rate, 50), 2, random.Random(args.seed + 1), versions
            )
        )
        result = asyncio.run(
            run_load(base, token, ids, args.rate, args.seconds, random.Random(args.seed), versions)
        )
        target = TARGET_P99[args.backend]
        result.update(rate_target=args.rate, workers=args.workers, backend=args.backend)
        result.update(after_burst(base, token, url, app_name))
        print(json.dumps(result, indent=2))
        verdict = "meets" if result["p99_ms"] < target and result["errors"] == 0 else "misses"
        print(
            f"load: p99 {result['p99_ms']} ms, {result['errors']} errors: {verdict} the target "
            f"(p99 < {target:.0f} ms, 0 errors)"
        )
        recovered = (
            result["health_after_s"] < 1
            and result["signed_in_read_after_s"] < 2
            and result["signed_in_read_status"] == 200
            and result.get("idle_in_transaction", 0) == 0
        )
        print(
            f"burst of 200: /health after {result['health_after_s']} s, signed-in read after "
            f"{result['signed_in_read_after_s']} s, idle in transaction "
            f"{result.get('idle_in_transaction', 'n/a')}: "
            f"{'meets' if recovered else 'misses'} the target (< 1 s, < 2 s, 0)"
        )
        t_stop = time.perf_counter()
        server.terminate()
        server.wait(15)
        print(f"SIGTERM: server gone in {time.perf_counter() - t_stop:.1f} s")
        server = None
    finally:
        if server is not None:
            server.terminate()
            server.wait(15)
        if admin is not None:
            with admin.begin() as con:
                con.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
        folder.cleanup()


if __name__ == "__main__":
    main()
