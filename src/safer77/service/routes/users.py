"""Sign-in, the current user, and user management (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from safer77.service import audit, throttle
from safer77.service.auth import (
    TooManyAttempts,
    Unauthorized,
    authenticate,
    create_user,
    issue_token,
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
    responses={401: {"description": "Wrong credentials"}, 429: {"description": "Rate limited"}},
)
def login(body: Login, request: Request, session: SessionDep) -> TokenOut:
    """Exchange a user name and password for a bearer token (throttled per name, per source
    address and in all; see ``throttle``)."""
    limits: throttle.Limits = request.app.state.throttle
    peer = request.client.host if request.client else None
    address = throttle.client_address(peer, request.headers.get("x-forwarded-for"), limits.trusted)
    now = audit.now()
    request.state.audited = True  # a refusal here is recorded below, with the user's id
    try:
        throttle.check(session, limits, body.username, address, now)
    except TooManyAttempts as exc:
        _login_refused(session, body.username, address, "locked", retry_after=exc.retry_after)
        raise
    throttle.attempt(session, limits, body.username, address, now)
    session.commit()  # counted before the password is checked, by every worker
    try:
        user = authenticate(session, body.username, body.password)
    except Unauthorized:
        _login_refused(session, body.username, address, "wrong user name or password")
        raise
    throttle.succeeded(session, body.username)
    token, ttl = issue_token(request.app.state.settings, user)
    audit.record(session, None, "login", "user", user.id)
    session.commit()
    return TokenOut(access_token=token, expires_in=ttl)


def _login_refused(
    session: Session, username: str, address: str, reason: str, **detail: object
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
