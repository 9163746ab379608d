"""Passwords (argon2), signed login tokens with expiry (throttling: ``throttle``)."""

from __future__ import annotations

import math
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVarTuple

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, false, select
from sqlalchemy.orm import QueryableAttribute, Session

from safer77.config import INSECURE_SECRET, Settings
from safer77.errors import Conflict, InvalidInput, Safer77Error
from safer77.service.models import Unit, User
from safer77.service.permissions import UNIT_SCOPED, Role

_hasher = PasswordHasher()
ALGORITHM = "HS256"
MIN_PASSWORD = 10
# verified against when the user name is unknown, so timing does not reveal which names exist
_dummy: list[str] = []  # made on first use, not at import (hashing takes ~50 ms)


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_hex(16)))
    return _dummy[0]


class Unauthorized(Safer77Error):
    """No valid credentials (HTTP 401)."""


class Forbidden(Safer77Error):
    """Signed in, but the role does not allow it (HTTP 403)."""


class TooManyAttempts(Safer77Error):
    """Login rate limit hit (HTTP 429)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Actor:
    """Who is acting: what the service functions need to authorise and audit."""

    user_id: int
    role: Role
    unit_id: int | None


Ts = TypeVarTuple("Ts")


def own_unit(stmt: Select[*Ts], actor: Actor, unit_column: QueryableAttribute[Any]) -> Select[*Ts]:
    """Limit a query to the actor's own unit when its role is unit-scoped (a detective's
    unit, a community user's organisation); everyone else's queries are unchanged."""
    if actor.role in UNIT_SCOPED:
        if actor.unit_id is None:  # fail closed: "no unit" must not match unit-less records
            return stmt.where(false())
        return stmt.where(unit_column == actor.unit_id)
    return stmt


MIN_SECRET = 32
MIN_SECRET_BITS = 96
MIN_SECRET_SYMBOLS = 12


def secret_bits(key: str) -> float:
    """A rough strength of ``key``: its length times the Shannon entropy of its characters
    (32 times 'a' scores 0; a ``secrets.token_urlsafe(48)`` key about 330)."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


def weak_secret(key: str) -> bool:
    """Short, made of few symbols, a repeated piece (``password`` five times), or of low
    entropy."""
    periodic = any(
        len(key) % n == 0 and key == key[:n] * (len(key) // n) for n in range(1, len(key) // 2 + 1)
    )
    return (
        len(key) < MIN_SECRET
        or len(set(key)) < MIN_SECRET_SYMBOLS
        or periodic
        or secret_bits(key) < MIN_SECRET_BITS
    )


def check_secret(settings: Settings) -> None:
    """Refuse, outside development, the insecure default, a short or a low-entropy key."""
    if settings.environment == "development":
        return
    if settings.secret_key == INSECURE_SECRET or weak_secret(settings.secret_key):
        raise Safer77Error(
            f"refusing to start: SAFER77_SECRET_KEY is the insecure default, shorter than "
            f"{MIN_SECRET} characters or too regular (few distinct characters, a repeated "
            "piece); set a random one, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"password must have at least {MIN_PASSWORD} characters", field="password"
        )
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def issue_token(settings: Settings, user: User, now: datetime | None = None) -> tuple[str, int]:
    """A signed token for ``user`` and its lifetime in seconds."""
    now = now or datetime.now(UTC)
    ttl = settings.token_minutes * 60
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), ttl


VERIFIED_MAX = 10_000


def read_token(
    settings: Settings, token: str, verified: dict[str, tuple[int, int]] | None = None
) -> int:
    """The user id in a valid, unexpired token; :class:`Unauthorized` otherwise.

    ``verified`` (an app's memo: token -> (expiry, user id)) lets repeated requests skip the
    signature check; the expiry is still checked on every request.
    """
    hit = verified.get(token) if verified is not None else None
    if hit is not None:
        exp, user_id = hit
        if exp > time.time():
            return user_id
        raise Unauthorized("token expired; log in again")
    user_id, exp = _decode(settings, token)
    if verified is not None:
        if len(verified) >= VERIFIED_MAX:
            verified.clear()
        verified[token] = (exp, user_id)
    return user_id


def _decode(settings: Settings, token: str) -> tuple[int, int]:
    try:
        claims = jwt.decode(
            token, settings.secret_key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
        return int(claims["sub"]), int(claims["exp"])
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired; log in again") from None
    except (jwt.InvalidTokenError, ValueError):
        raise Unauthorized("invalid token") from None


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this name and password; :class:`Unauthorized` otherwise. The
    connection is given back before the hash is checked (~0.1 s of CPU), so a burst of
    logins does not hold the pool."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is not None:
        session.expunge(user)
    session.rollback()
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise Unauthorized("wrong user name or password")
    return user


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    unit: str | None = None,
) -> User:
    """Add a user (the unit is created if new); :class:`Conflict` if the name is taken."""
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"user {username!r} already exists")
    if role in (Role.detective, Role.community) and not unit:
        what = "a unit" if role is Role.detective else "an organisation (its unit)"
        raise InvalidInput(f"a {role} user belongs to {what}", field="unit")
    unit_id = ensure_unit(session, unit) if unit else None
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role.value,
        unit_id=unit_id,
        active=True,
        created_at=datetime.now(UTC).replace(tzinfo=None),
    )
    session.add(user)
    session.flush()
    return user


def ensure_unit(session: Session, name: str) -> int:
    unit = session.scalars(select(Unit).where(Unit.name == name)).first()
    if unit is None:
        unit = Unit(name=name)
        session.add(unit)
        session.flush()
    return unit.id
