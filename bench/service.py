"""Service load benchmark (run by hand; not part of the tests).

Starts the service in its own process(es) on loopback against PostgreSQL (a fresh schema in
database ``test``), seeds it (2,000 cases; plus the CPD homicide file when ../shared/data is
there), then offers an open-loop load of mixed reads and writes at a fixed rate (default 200
requests/s for 60 s) from this process. Latency is measured from each request's *scheduled*
send time, so a slow server cannot hide behind fewer requests (no coordinated omission).

Prints requests sent, achieved rate, p50/p95/p99/max latency in ms, and errors
(target: p99 < 100 ms, 0 errors).
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
import time
from datetime import datetime
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

PG = os.environ.get("SAFER77_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SHARED = get_settings().shared_data  # $SAFER77_SHARED_DATA, or ../shared/data
PASSWORD = "bench password 1234"

# (share, name): what a busy day of detectives and supervisors looks like, roughly
MIX = [
    (0.35, "read_case"),
    (0.15, "list_cases"),
    (0.08, "caseload"),
    (0.07, "alerts"),
    (0.02, "clearance"),
    (0.20, "update_case"),
    (0.10, "add_note"),
    (0.03, "open_case"),
]


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
        con.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run_load(
    base: str,
    ids: list[int],
    rate: float,
    seconds: float,
    rng: random.Random,
    versions: dict[int, int],
) -> dict[str, Any]:
    """Offer ``rate`` requests/s for ``seconds``; latency from each scheduled send time."""
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(base, connector=connector) as c:
        async with c.post("/auth/token", json={"username": "bench", "password": PASSWORD}) as r:
            r.raise_for_status()
            token = (await r.json())["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        writable = list(ids)
        rng.shuffle(writable)
        cursor = 0
        latencies: list[float] = []
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
            body = {
                "case_number": f"JC{rng.randrange(10**6):06d}",
                "crime_type": "BURGLARY",
                "offense_at": "2024-05-01T10:00:00",
            }
            return "POST", "/cases", {"json": body}

        async def one(kind: str, scheduled: float) -> None:
            method, path, extra = request(kind)
            try:
                async with c.request(method, path, headers=auth, **extra) as resp:
                    payload = await resp.read()
                    if resp.status >= 300:
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
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    schema = f"bench_service_{secrets.token_hex(3)}"
    admin = make_engine(PG)
    with admin.begin() as con:
        con.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG}?options={quote(f'-csearch_path={schema}')}"
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
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        # a short warm-up (connection pools, first queries) is not measured
        versions = dict.fromkeys(ids, 1)  # what this client last saw of each case
        asyncio.run(
            run_load(base, ids, min(args.rate, 50), 2, random.Random(args.seed + 1), versions)
        )
        result = asyncio.run(
            run_load(base, ids, args.rate, args.seconds, random.Random(args.seed), versions)
        )
        result.update(rate_target=args.rate, workers=args.workers, backend="postgresql")
        print(json.dumps(result, indent=2))
        verdict = "meets" if result["p99_ms"] < 100 and result["errors"] == 0 else "misses"
        print(
            f"p99 {result['p99_ms']} ms, {result['errors']} errors: {verdict} the target "
            "(p99 < 100 ms, 0 errors)"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        with admin.begin() as con:
            con.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
