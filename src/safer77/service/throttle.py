"""Login throttling kept in the database, so every worker and every restart sees the same
counts (issue 23, finding 3).

An attempt is recorded *before* its password is checked and removed only when it succeeds,
so parallel guesses count against each other: the login route checks the keys, records the
attempt and commits, then checks again counting every other attempt committed by then, so of
any number of parallel guesses at most the limit reach the (costly) password check; the
others are refused before it and forgotten, like any attempt made while locked. Failures
within ``window`` seconds are counted per user name, per source address and in all; a count
at its limit locks that key from its last failure for ``BASE`` seconds, doubling with each
failure beyond the limit (at most ``window``). The source address is the connection's peer;
``X-Forwarded-For`` is believed only from the proxies named in ``SAFER77_TRUSTED_PROXIES``
(none by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, insert, select, true
from sqlalchemy.orm import Session

from safer77.config import Settings
from safer77.service.auth import TooManyAttempts
from safer77.service.models import LoginFailure

BASE = 15  # seconds of the first lock


@dataclass(frozen=True)
class Limits:
    account: int
    address: int
    overall: int
    window: int
    trusted: frozenset[str]

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        trusted = frozenset(p.strip() for p in settings.trusted_proxies.split(",") if p.strip())
        return cls(
            settings.login_attempts,
            settings.login_address_attempts,
            settings.login_global_attempts,
            settings.login_window,
            trusted,
        )


def backoff(excess: int, window: int) -> int:
    """Seconds a key stays locked after its last failure, ``excess`` failures past its limit."""
    return int(min(BASE * 2 ** min(excess, 20), window))


def client_address(peer: str | None, forwarded: str | None, trusted: frozenset[str]) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy; then the nearest
    address in ``X-Forwarded-For`` that is not one (a client can write anything to the left
    of what the proxies appended, so the list is read from the right)."""
    address = peer or "-"
    if address in trusted and forwarded:
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            address = hop
            if hop not in trusted:
                break
    return address[:64]


def check(
    session: Session,
    limits: Limits,
    username: str,
    address: str,
    now: datetime,
    exclude: int | None = None,
) -> None:
    """:class:`TooManyAttempts` (with the seconds to wait) if any key is locked, counting the
    recorded attempts other than ``exclude`` (the caller's own)."""
    since = now - timedelta(seconds=limits.window)
    keys: list[tuple[ColumnElement[bool], int]] = [
        (LoginFailure.username == username[:64], limits.account),
        (LoginFailure.address == address, limits.address),
        (true(), limits.overall),
    ]
    others = LoginFailure.id != exclude if exclude is not None else true()
    wait = 0
    for where, limit in keys:
        n, last = session.execute(
            select(func.count(), func.max(LoginFailure.at)).where(
                LoginFailure.at >= since, where, others
            )
        ).one()
        if n >= limit and last is not None:
            until = last + timedelta(seconds=backoff(n - limit, limits.window))
            wait = max(wait, math.ceil((until - now).total_seconds()))
    if wait > 0:
        raise TooManyAttempts(f"too many failed logins; try again in {wait} s", retry_after=wait)


def attempt(session: Session, limits: Limits, username: str, address: str, now: datetime) -> int:
    """Record an attempt as failed until it succeeds (and forget failures older than the
    window); its id."""
    cutoff = now - timedelta(seconds=limits.window)
    session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
    return int(
        session.execute(
            insert(LoginFailure)
            .values(at=now, username=username[:64], address=address)
            .returning(LoginFailure.id)
        ).scalar_one()
    )


def forget(session: Session, attempt_id: int) -> None:
    """Remove an attempt whose password was never checked (refused before it)."""
    session.execute(delete(LoginFailure).where(LoginFailure.id == attempt_id))


def succeeded(session: Session, username: str) -> None:
    """A right password clears the name's failures (not its address's, nor the total)."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username[:64]))
