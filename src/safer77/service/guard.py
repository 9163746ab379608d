"""The service's front door, an ASGI middleware in front of every route:

- at most ``limit`` requests of a process work at once (a slot is waited for at most ``wait``
  seconds, then 503 with Retry-After), so a burst queues briefly and is then refused instead
  of piling up behind the database; ``/health`` passes without a slot;
- a body larger than ``max_body`` bytes (``LARGE`` for the upload routes) is refused with 413:
  at once when its Content-Length says so, else as soon as that many bytes have arrived, so
  it is never read whole;
- each request is written to the ``safer77.service.access`` log as one JSON line (method,
  route, status, milliseconds, peer address, user id): a structured access log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EXEMPT = frozenset({"/health"})
access = logging.getLogger("safer77.service.access")
MAX_BODY = 1 << 20  # 1 MB
# the upload routes (evidence files stream in, hashed, never held whole) and their limit
LARGE = [(re.compile(r"^/evidence/[^/]+/files/[^/]+$"), 2**31 - 1)]


def body_limit(path: str, default: int = MAX_BODY) -> int:
    for pattern, limit in LARGE:
        if pattern.match(path):
            return limit
    return default


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"request body larger than {limit:,} bytes")


def declared_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def capped(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses (413) once more than ``limit`` body bytes have arrived."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit)
        return message

    return wrapped


async def answer(
    send: Send, status: int, message: str, headers: dict[str, str] | None = None
) -> None:
    """The service's one error shape, sent from outside the app."""
    body = json.dumps({"ok": False, "error": message, "status": status}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def access_log_to_stderr() -> None:
    """Write the access log, one JSON line per request, to stderr."""
    if access.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False


def log_access(scope: Scope, status: int, seconds: float) -> None:
    route = scope.get("route")
    actor = scope.get("state", {}).get("actor")
    client = scope.get("client")
    entry = {
        "method": scope["method"],
        "route": getattr(route, "path", scope["path"]),
        "status": status,
        "ms": round(seconds * 1000, 1),
        "address": client[0] if client else None,
        "user_id": getattr(actor, "user_id", None),
    }
    access.info(json.dumps(entry))


class Guard:
    def __init__(self, app: ASGIApp, *, limit: int, wait: float, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit
        self.wait = wait
        self.max_body = max_body
        # one semaphore per event loop (a test client runs its own loop)
        self._slots: dict[int, anyio.Semaphore] = {}

    def _semaphore(self) -> anyio.Semaphore:
        loop = id(asyncio.get_running_loop())
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = anyio.Semaphore(self.limit)
        return slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        most = body_limit(scope["path"], self.max_body)
        length = declared_length(scope)
        if length is not None and length > most:
            await answer(send, 413, str(too_large(most).detail), {"Connection": "close"})
            return
        receive = capped(receive, most)
        slots = self._semaphore()
        acquired = False
        with anyio.move_on_after(self.wait):
            await slots.acquire()
            acquired = True
        if not acquired:
            await answer(send, 503, "the service is busy; try again", {"Retry-After": "1"})
            return
        status = 0
        started = time.perf_counter()

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            slots.release()
            if access.isEnabledFor(logging.INFO):
                log_access(scope, status, time.perf_counter() - started)
