"""The service's front door, an ASGI middleware in front of every route: at most
``limit`` requests of a process work at once (a slot is waited for at most ``wait`` seconds,
then 503 with Retry-After), so a burst queues briefly and is then refused instead of
piling up behind the database. ``/health`` passes without a slot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EXEMPT = frozenset({"/health"})


async def answer(
    send: Send, status: int, message: str, headers: dict[str, str] | None = None
) -> None:
    """The service's one error shape, sent from outside the app."""
    body = json.dumps({"ok": False, "error": message, "status": status}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app: ASGIApp, *, limit: int, wait: float) -> None:
        self.app = app
        self.limit = limit
        self.wait = wait
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
        slots = self._semaphore()
        acquired = False
        with anyio.move_on_after(self.wait):
            await slots.acquire()
            acquired = True
        if not acquired:
            await answer(send, 503, "the service is busy; try again", {"Retry-After": "1"})
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()
