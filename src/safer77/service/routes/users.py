"""Sign-in, the current user, and user management (admins)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from fastapi import APIRouter, Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from safer77.config import Settings
from safer77.service import accounts, audit, throttle
from safer77.service.auth import (
    REFRESH,
    Account,
    Busy,
    Claims,
    TooManyAttempts,
    Unauthorized,
    Verifier,
    authenticate,
    create_user,
    find_account,
    hash_password,
    issue_token,
    needs_rehash,
    read_token,
)
from safer77.service.deps import PUBLIC, Me, Responses, SessionDep, UsersManage
from safer77.service.models import Heartbeat, User
from safer77.service.permissions import Role
from safer77.service.schemas import (
    Login,
    PasswordReset,
    PathId,
    Refresh,
    RoleChange,
    TokenOut,
    UserCreate,
    UserPublic,
)

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
    out = tokens(state.settings, account.id, account.role)
    await run_in_threadpool(_signed_in, sessions, body.username, account.id, rehashed)
    return out


def tokens(settings: Settings, user_id: int, role: str, sid: str | None = None) -> TokenOut:
    """An access token and a refresh token of one sign-in session (a new one by default)."""
    sid = sid or secrets.token_hex(12)
    access, ttl = issue_token(settings, user_id, role, sid=sid)
    refresh, refresh_ttl = issue_token(settings, user_id, role, kind=REFRESH, sid=sid)
    return TokenOut(
        access_token=access,
        expires_in=ttl,
        refresh_token=refresh,
        refresh_expires_in=refresh_ttl,
    )


@router.post(
    "/auth/refresh",
    dependencies=[PUBLIC],
    responses={401: {"description": "Invalid, expired, revoked or reused refresh token"}},
)
def refresh(body: Refresh, request: Request, session: SessionDep) -> TokenOut:
    """A new access token and a new refresh token for a refresh token, which is used up. A
    refresh token used a second time ends its whole sign-in session (it was copied)."""
    settings: Settings = request.app.state.settings
    claims = read_token(settings, body.refresh_token)
    request.state.claims = claims
    if claims.kind != REFRESH:
        raise Unauthorized("invalid token: not a refresh token")
    ends = accounts.after(settings.refresh_minutes)
    if accounts.revoked(session, claims.jti) and not accounts.revoked(session, claims.sid):
        accounts.revoke(session, claims.sid, claims.user_id, ends)
        audit.record(session, None, "refresh_reused", "user", claims.user_id, sid=claims.sid)
        session.commit()
        request.state.audited = True
        raise Unauthorized("refresh token already used: its sign-in session is ended")
    actor = accounts.check_token(session, claims)
    accounts.revoke(session, claims.jti, claims.user_id, accounts.until(claims.exp))
    out = tokens(settings, actor.user_id, actor.role.value, sid=claims.sid)
    audit.record(session, actor, "refresh", "user", actor.user_id)
    session.commit()
    return out


@router.post("/auth/logout")
def logout(actor: Me, request: Request, session: SessionDep) -> dict[str, bool]:
    """End this sign-in session: its access token and its refresh token are refused from the
    next request on."""
    claims: Claims = request.state.claims
    settings: Settings = request.app.state.settings
    accounts.revoke(session, claims.sid, actor.user_id, accounts.after(settings.refresh_minutes))
    accounts.revoke(session, claims.jti, actor.user_id, accounts.until(claims.exp))
    audit.record(session, actor, "logout", "user", actor.user_id)
    session.commit()
    return {"ok": True}


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


def _change(session: Session, user_id: int, change: Callable[[User], None]) -> UserPublic:
    user = accounts.find_user(session, user_id=user_id)
    change(user)
    session.commit()
    return UserPublic.model_validate(user)


NOT_YOURS: Responses = {
    404: {"description": "No such user"},
    409: {"description": "Your own account"},
}


@router.post("/users/{user_id}/deactivate", responses=NOT_YOURS)
def deactivate_user(user_id: PathId, actor: UsersManage, session: SessionDep) -> UserPublic:
    """No more logins; every token the user holds is refused from the next request."""
    return _change(session, user_id, lambda u: accounts.deactivate(session, actor, u))


@router.post("/users/{user_id}/reactivate", responses=NOT_YOURS)
def reactivate_user(user_id: PathId, actor: UsersManage, session: SessionDep) -> UserPublic:
    return _change(session, user_id, lambda u: accounts.reactivate(session, actor, u))


@router.put("/users/{user_id}/role", responses=NOT_YOURS)
def change_role(
    user_id: PathId, body: RoleChange, actor: UsersManage, session: SessionDep
) -> UserPublic:
    """A new role (and unit); the user signs in again to use it."""
    role = Role(body.role)
    return _change(
        session, user_id, lambda u: accounts.set_role(session, actor, u, role, body.unit)
    )


@router.put("/users/{user_id}/password", responses=NOT_YOURS)
def reset_password(
    user_id: PathId, body: PasswordReset, actor: UsersManage, session: SessionDep
) -> UserPublic:
    """A new password; the old one and the user's tokens stop working."""
    new = body.password
    return _change(session, user_id, lambda u: accounts.reset_password(session, actor, u, new))
