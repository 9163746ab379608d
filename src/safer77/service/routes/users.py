"""Sign-in, the current user, and user management (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from safer77.service import audit, throttle
from safer77.service.auth import (
    Account,
    Busy,
    TooManyAttempts,
    Unauthorized,
    Verifier,
    authenticate,
    create_user,
    find_account,
    hash_password,
    issue_token,
    needs_rehash,
)
from safer77.service.deps import PUBLIC, Me, SessionDep, UsersManage
from safer77.service.models import Heartbeat, User
from safer77.service.permissions import Role
from safer77.service.schemas import Login, TokenOut, UserCreate, UserPublic

router = APIRouter(tags=["users"])


@router.get("/health", dependencies=[PUBLIC])
async def health() -> dict[str, bool]:
    """Liveness: the process answers. No database work, no worker thread, no slot."""
    return {"ok": True}


@router.get(
    "/health/ready",
    dependencies=[PUBLIC],
    responses={503: {"description": "The database cannot be written"}},
)
def ready(session: SessionDep) -> dict[str, bool]:
    """Readiness: a committed write to the database works (503 when it is read-only, full,
    busy beyond the pool time-out, or down)."""
    session.execute(update(Heartbeat).where(Heartbeat.id == 1).values(at=audit.now()))
    session.commit()
    return {"ok": True}


@router.post(
    "/auth/token",
    dependencies=[PUBLIC],
    responses={
        401: {"description": "Wrong credentials"},
        429: {"description": "Rate limited"},
        503: {"description": "Too many sign-ins at once"},
    },
)
async def login(body: Login, request: Request) -> TokenOut:
    """Exchange a user name and password for a bearer token (throttled per name, per source
    address and in all; see ``throttle``).

    Async: its database work runs in short transactions on route threads, the password check
    (~0.16 s of CPU) on the verifier's own small pool, so logins never hold a route thread or
    a connection while a hash is computed, and a locked key is refused before any hashing."""
    state = request.app.state
    limits: throttle.Limits = state.throttle
    peer = request.client.host if request.client else None
    address = throttle.client_address(peer, request.headers.get("x-forwarded-for"), limits.trusted)
    request.state.audited = True  # a refusal here is recorded below, with the user's id
    sessions: sessionmaker[Session] = state.sessions
    attempt_id, account = await run_in_threadpool(_admit, sessions, limits, body.username, address)
    verifier: Verifier = state.verifier
    try:
        account = await authenticate(verifier, account, body.password)
    except Busy:
        await run_in_threadpool(_forget, sessions, attempt_id)
        raise
    except Unauthorized:
        await run_in_threadpool(
            _refused, sessions, body.username, address, "wrong user name or password", {}
        )
        raise
    rehashed = None
    if needs_rehash(account.password_hash):  # made with older parameters: renewed now
        rehashed = await verifier.run(hash_password, body.password)
    token, ttl = issue_token(state.settings, account.id, account.role)
    await run_in_threadpool(_signed_in, sessions, body.username, account.id, rehashed)
    return TokenOut(access_token=token, expires_in=ttl)


def _admit(
    sessions: sessionmaker[Session], limits: throttle.Limits, username: str, address: str
) -> tuple[int, Account | None]:
    """Refuse a locked key; else record the attempt (committed, so every worker counts it),
    check again with every attempt committed by then, and read the account."""
    now = audit.now()
    with sessions() as session:
        try:
            throttle.check(session, limits, username, address, now)
            attempt_id = throttle.attempt(session, limits, username, address, now)
            session.commit()
            try:
                throttle.check(session, limits, username, address, now, exclude=attempt_id)
            except TooManyAttempts:
                throttle.forget(session, attempt_id)  # never checked: as if made while locked
                raise
        except TooManyAttempts as exc:
            _record_refusal(session, username, address, "locked", {"retry_after": exc.retry_after})
            raise
        account = find_account(session, username)
        session.rollback()
    return attempt_id, account


def _forget(sessions: sessionmaker[Session], attempt_id: int) -> None:
    with sessions() as session, session.begin():
        throttle.forget(session, attempt_id)


def _refused(
    sessions: sessionmaker[Session],
    username: str,
    address: str,
    reason: str,
    detail: dict[str, object],
) -> None:
    with sessions() as session:
        _record_refusal(session, username, address, reason, detail)


def _record_refusal(
    session: Session, username: str, address: str, reason: str, detail: dict[str, object]
) -> None:
    """An audit row for a refused login: the account's id when the name exists (no names in
    the log), the source address and why."""
    user_id = session.scalars(select(User.id).where(User.username == username)).first()
    audit.record(
        session,
        None,
        "login_failed",
        "user",
        user_id,
        address=address,
        reason=reason,
        known_user=user_id is not None,
        **detail,
    )
    session.commit()


def _signed_in(
    sessions: sessionmaker[Session], username: str, user_id: int, rehashed: str | None
) -> None:
    with sessions() as session, session.begin():
        throttle.succeeded(session, username)
        if rehashed is not None:
            session.execute(update(User).where(User.id == user_id).values(password_hash=rehashed))
        audit.record(session, None, "login", "user", user_id)


@router.get("/me")
def me(actor: Me, session: SessionDep) -> UserPublic:
    return UserPublic.model_validate(session.get_one(User, actor.user_id))


@router.get("/users")
def list_users(actor: UsersManage, session: SessionDep) -> list[UserPublic]:
    users = session.scalars(select(User).order_by(User.id)).all()
    audit.record(session, actor, "read", "user_list", None, ids=[u.id for u in users])
    session.commit()
    return [UserPublic.model_validate(u) for u in users]


@router.post("/users", status_code=201, responses={409: {"description": "Name taken"}})
def add_user(body: UserCreate, actor: UsersManage, session: SessionDep) -> UserPublic:
    user = create_user(
        session,
        username=body.username,
        password=body.password,
        role=Role(body.role),
        unit=body.unit,
    )
    audit.record(session, actor, "create", "user", user.id, role=user.role)
    session.commit()
    return UserPublic.model_validate(user)
