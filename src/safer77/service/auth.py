"""Passwords (argon2), signed login tokens with expiry (throttling: ``throttle``)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVarTuple

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import ColumnElement, Select, exists, false, select
from sqlalchemy.orm import QueryableAttribute, Session

from safer77.config import INSECURE_SECRET, Settings
from safer77.errors import Conflict, InvalidInput, Safer77Error
from safer77.service.common_passwords import COMMON
from safer77.service.models import BlockClub, Unit, User
from safer77.service.permissions import UNIT_SCOPED, Role

# argon2id, t=3, m=64 MiB, p=4 (RFC 9106's second recommendation): ~0.16 s of CPU per check
_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
ALGORITHM = "HS256"
MIN_PASSWORD = 10
# verified against when the user name is unknown (or the account inactive), so timing does
# not reveal which names exist: made with the same hasher, so it costs what a real check does
_dummy: list[str] = []
_dummy_lock = threading.Lock()


def dummy_hash() -> str:
    with _dummy_lock:
        if not _dummy:
            _dummy.append(_hasher.hash(secrets.token_hex(16)))
        return _dummy[0]


class Unauthorized(Safer77Error):
    """No valid credentials (HTTP 401)."""


class Forbidden(Safer77Error):
    """Signed in, but the role does not allow it (HTTP 403)."""


class Busy(Safer77Error):
    """Too much waiting already (HTTP 503 with Retry-After)."""


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


LOOK_ALIKES = str.maketrans("013457@$!|", "oleastasii")
RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm", "qazwsxedcrfv")
MIN_DISTINCT = 5


def weak_password(password: str, username: str | None = None) -> str | None:
    """Why ``password`` is too weak, or ``None``: shorter than 10, fewer than 5 different
    characters (``aaaaaaaaaa``), a common password (``common_passwords``) as it is, with digits
    and symbols around it (``password12``, ``Chicago2024!``) or with look-alike digits
    (``P@ssw0rd1``), a run of the alphabet, the digits or the keyboard (``qwertyuiop``), or the
    user's own name in it."""
    if len(password) < MIN_PASSWORD:
        return f"password must have at least {MIN_PASSWORD} characters"
    lowered = password.lower()
    if len(set(lowered)) < MIN_DISTINCT:
        return f"password must hold at least {MIN_DISTINCT} different characters"
    squeezed = "".join(lowered.split())
    core = squeezed.strip("0123456789!@#$%^&*()_+-=.,;:?~'\"")
    for candidate in {lowered, squeezed, core, core.translate(LOOK_ALIKES)}:
        if _common_words(candidate) or any(candidate and candidate in run for run in _RUNS):
            return "password is too common (well-known passwords and words, digits added)"
    if username and len(username) >= 3 and username.lower() in squeezed:
        return "password must not contain the user name"
    return None


_RUNS = [*RUNS, *(run[::-1] for run in RUNS)]
FILLERS = frozenset({"i", "my", "the", "a", "we", "u", "you", "is"})
MAX_WORDS = 3


def _common_words(text: str, words: int = MAX_WORDS) -> bool:
    """Whether ``text`` is made of at most ``words`` common passwords and short fillers
    (``ilovechicago``, ``policeofficer``)."""
    if text in COMMON:
        return True
    if words <= 1 or not text:
        return False
    return any(
        (text[:i] in COMMON or text[:i] in FILLERS) and _common_words(text[i:], words - 1)
        for i in range(1, len(text))
    )


def hash_password(password: str, username: str | None = None) -> str:
    """An argon2 hash of an acceptable password (:func:`weak_password`); :class:`InvalidInput`
    otherwise."""
    reason = weak_password(password, username)
    if reason is not None:
        raise InvalidInput(reason, field="password")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; ``None`` (no such user) checks against the dummy hash, at
    the same cost, and is always false."""
    try:
        return _hasher.verify(password_hash or dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Made with other parameters than today's (it is replaced at the next good login, so every
    stored hash comes to cost what the dummy does)."""
    return _hasher.check_needs_rehash(password_hash)


VERIFY_NICE = 10  # the checking threads run below the route threads' CPU priority


def _lower_priority() -> None:
    """Lower this thread's CPU priority (Linux: niceness is per thread), so a run of password
    checks takes the CPU the routes leave rather than theirs."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not permitted
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), VERIFY_NICE)


class Verifier:
    """Password checks on a small thread pool of their own (issue 23): a check is ~0.16 s of
    CPU, so a run of logins used to take every route thread. Here at most ``threads`` checks
    run at once per process, on threads of lower CPU priority, and at most ``queue`` wait;
    another login is refused at once (:class:`Busy`, 503) without touching the hash."""

    def __init__(self, threads: int, queue: int) -> None:
        self.queue = queue
        self._pool = ThreadPoolExecutor(
            threads, thread_name_prefix="safer77-verify", initializer=_lower_priority
        )
        self._waiting = 0
        self._lock = threading.Lock()
        # made now, on the pool, so the first unknown name does not pay for it (a timing tell)
        self._pool.submit(dummy_hash)

    async def run(self, fn: Any, *args: Any) -> Any:
        with self._lock:
            if self._waiting >= self.queue:
                raise Busy("too many sign-ins at once; try again")
            self._waiting += 1
        try:
            return await asyncio.wrap_future(self._pool.submit(fn, *args))
        finally:
            with self._lock:
                self._waiting -= 1

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return bool(await self.run(verify_password, password_hash, password))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


ACCESS, REFRESH = "access", "refresh"
MAX_USER_ID = 2**31 - 1


@dataclass(frozen=True)
class Claims:
    """What a valid token says: whose it is, its own id, its sign-in session's id (shared by
    the access and refresh tokens of one login, through every refresh), when it was issued
    (seconds since the epoch) and expires, and whether it is an access or a refresh token."""

    user_id: int
    jti: str
    sid: str
    iat: float
    exp: int
    kind: str


def issue_token(
    settings: Settings,
    user_id: int,
    role: str,
    now: datetime | None = None,
    *,
    kind: str = ACCESS,
    sid: str | None = None,
) -> tuple[str, int]:
    """A signed token for the user and its lifetime in seconds: an access token
    (``token_minutes``, 15) or a refresh token (``refresh_minutes``) of session ``sid`` (a new
    session when none is given)."""
    now = now or datetime.now(UTC)
    minutes = settings.token_minutes if kind == ACCESS else settings.refresh_minutes
    ttl = minutes * 60
    claims = {
        "sub": str(user_id),
        "role": role,
        "typ": kind,
        "iat": round(now.timestamp(), 6),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": secrets.token_hex(12),
        "sid": sid or secrets.token_hex(12),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), ttl


VERIFIED_MAX = 10_000


def read_token(settings: Settings, token: str, verified: dict[str, Claims] | None = None) -> Claims:
    """The claims of a valid, unexpired token; :class:`Unauthorized` otherwise (whether it was
    revoked is the caller's to check, in the database).

    ``verified`` (an app's memo: token -> claims) lets repeated requests skip the signature
    check; the expiry is still checked on every request.
    """
    hit = verified.get(token) if verified is not None else None
    if hit is not None:
        if hit.exp > time.time():
            return hit
        raise Unauthorized("token expired; log in again")
    claims = _decode(settings, token)
    if verified is not None:
        if len(verified) >= VERIFIED_MAX:
            verified.clear()
        verified[token] = claims
    return claims


def _decode(settings: Settings, token: str) -> Claims:
    if len(token) > 2048:
        raise Unauthorized("invalid token")
    try:
        raw = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "iat", "jti", "sid", "typ"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired; log in again") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("invalid token") from None
    sub, jti, sid, kind = raw["sub"], raw["jti"], raw["sid"], raw["typ"]
    # a signed token is still checked field by field: a huge or odd `sub` is refused, not a 500
    fields = (sub, jti, sid, kind)
    if not all(isinstance(f, str) for f in fields) or not (
        sub.isascii()
        and sub.isdigit()
        and len(sub) <= 10
        and 1 <= int(sub) <= MAX_USER_ID
        and 1 <= len(jti) <= 32
        and 1 <= len(sid) <= 32
        and kind in (ACCESS, REFRESH)
        and isinstance(raw["iat"], int | float)
        and isinstance(raw["exp"], int)
    ):
        raise Unauthorized("invalid token")
    return Claims(int(sub), jti, sid, float(raw["iat"]), int(raw["exp"]), kind)


@dataclass(frozen=True)
class Account:
    """What a login needs of a user, read before the password is checked."""

    id: int
    role: str
    password_hash: str
    active: bool


def retired_club() -> ColumnElement[bool]:
    """True for a user whose organisation is a retired block club (its members lose access)."""
    return exists().where(BlockClub.unit_id == User.unit_id, BlockClub.active.is_(False))


def find_account(session: Session, username: str) -> Account | None:
    """The account, inactive when deactivated or its block club retired."""
    row = session.execute(
        select(User.id, User.role, User.password_hash, User.active, retired_club()).where(
            User.username == username
        )
    ).first()
    if row is None:
        return None
    return Account(row.id, row.role, row.password_hash, bool(row.active) and not row[4])


async def authenticate(verifier: Verifier, account: Account | None, password: str) -> Account:
    """The account if it is active and ``password`` is its password; :class:`Unauthorized`
    otherwise. An unknown name and an inactive account are checked like any other (against
    the dummy hash, or their own), so the time taken tells nothing about which exist."""
    ok = await verifier.verify(account.password_hash if account else None, password)
    if account is None or not ok or not account.active:
        raise Unauthorized("wrong user name or password")
    return account


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
    unit_id = unit_for(session, role, unit)
    user = User(
        username=username,
        password_hash=hash_password(password, username),
        role=role.value,
        unit_id=unit_id,
        active=True,
        created_at=datetime.now(UTC).replace(tzinfo=None),
    )
    session.add(user)
    session.flush()
    return user


POLICE, COMMUNITY = "police", "community"
UNIT_KIND = {Role.detective: POLICE, Role.community: COMMUNITY}


def unit_for(session: Session, role: Role, unit: str | None) -> int | None:
    """The unit a user of ``role`` sits in (made if new): detectives sit in a police unit,
    community users in a community organisation, other roles in none."""
    kind = UNIT_KIND.get(role)
    if kind is None:
        if unit:
            raise InvalidInput(f"a {role} user belongs to no unit", field="unit")
        return None
    if not unit:
        what = "a unit" if role is Role.detective else "an organisation (its unit)"
        raise InvalidInput(f"a {role} user belongs to {what}", field="unit")
    return ensure_unit(session, unit, kind)


def ensure_unit(session: Session, name: str, kind: str = POLICE) -> int:
    """The id of the unit called ``name`` (made, of ``kind``, if new); :class:`Conflict` if it
    is of the other kind (a detective in a block club, a case in a community organisation)."""
    unit = session.scalars(select(Unit).where(Unit.name == name)).first()
    if unit is None:
        unit = Unit(name=name, kind=kind)
        session.add(unit)
        session.flush()
    elif unit.kind != kind:
        raise Conflict(f"{name!r} is a {unit.kind} unit, not a {kind} one")
    return unit.id
