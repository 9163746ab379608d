"""A load probe of a running service, shared by ``bench/service.py`` and the burst test: a
burst of concurrent unauthenticated requests (needs ``httpx``, a development dependency)."""

from __future__ import annotations

import asyncio
from collections import Counter


async def burst(base: str, n: int = 200) -> Counter[str]:
    """``n`` requests at once, a quarter each: /health, a restricted read without a token
    (401), an unknown path (404) and a failed login; each answer's status (or the client's
    error name)."""
    import httpx

    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
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

        return Counter(await asyncio.gather(*(one(i) for i in range(n))))
