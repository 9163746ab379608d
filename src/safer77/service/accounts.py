"""Account lifecycle (issue 23, finding 4): deactivate and reactivate a user, change a role,
reset a password, and revoke tokens; each change audited. The routes and the CLI both call
these.

A token is refused on the next request after any of these: every request reads its user's
state and the revocation list (:func:`check_token`), in one query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from safer77.errors import Conflict, NotFound
from safer77.service import audit
from safer77.service.auth import (
    Actor,
    Claims,
    Unauthorized,
    hash_password,
    retired_club,
    unit_for,
)
from safer77.service.models import RevokedToken, User
from safer77.service.permissions import Role


def check_token(session: Session, claims: Claims) -> Actor:
    """The actor a token stands for, if the account is active, the token and its session are
    not revoked and it was issued after the account's last change; :class:`Unauthorized`
    otherwise."""
    revoked = (
        select(func.count())
        .select_from(RevokedToken)
        .where(RevokedToken.jti.in_((claims.jti, claims.sid)))
        .scalar_subquery()
    )
    row = session.execute(
        select(
            User.role,
            User.unit_id,
            User.active,
            User.tokens_after,
            revoked.label("revoked"),
            retired_club().label("retired"),
        ).where(User.id == claims.user_id)
    ).first()
    if row is None or not row.active:
        raise Unauthorized("account unknown or deactivated")
    if row.retired:
        raise Unauthorized("your block club is retired: its members have no access")
    if row.revoked:
        raise Unauthorized("token revoked (signed out); sign in again")
    if row.tokens_after is not None and claims.iat < stamp(row.tokens_after):
        raise Unauthorized("token revoked by a change to the account; sign in again")
    return Actor(user_id=claims.user_id, role=Role(row.role), unit_id=row.unit_id)


def stamp(naive_utc: datetime) -> float:
    return naive_utc.replace(tzinfo=UTC).timestamp()


def revoked(session: Session, token_id: str) -> bool:
    return session.get(RevokedToken, token_id) is not None


def revoke(session: Session, token_id: str, user_id: int, until: datetime) -> None:
    """Put a token's or a session's id on the revocation list until ``until`` (naive UTC),
    when what it revokes has expired anyway (expired entries are dropped here)."""
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < audit.now()))
    if not revoked(session, token_id):
        session.add(RevokedToken(jti=token_id, user_id=user_id, expires_at=until))
        session.flush()


def until(exp: int) -> datetime:
    """A token's expiry (seconds since the epoch) as naive UTC."""
    return datetime.fromtimestamp(exp, UTC).replace(tzinfo=None)


def after(minutes: int) -> datetime:
    return audit.now() + timedelta(minutes=minutes)


def find_user(session: Session, *, user_id: int | None = None, username: str | None = None) -> User:
    user = (
        session.get(User, user_id)
        if user_id is not None
        else session.scalars(select(User).where(User.username == username)).first()
    )
    if user is None:
        raise NotFound(f"no user {user_id if user_id is not None else username!r}")
    return user


def _not_yourself(actor: Actor | None, user: User, what: str) -> None:
    if actor is not None and actor.user_id == user.id:
        raise Conflict(f"you cannot {what} your own account (ask another administrator)")


def _changed(session: Session, actor: Actor | None, user: User, via: str, **detail: object) -> None:
    audit.record(session, actor, "update", "user", user.id, via=via, **detail)
    session.flush()


def deactivate(session: Session, actor: Actor | None, user: User, via: str = "api") -> None:
    """No more logins, and every token the user holds is refused from the next request."""
    _not_yourself(actor, user, "deactivate")
    user.active = False
    user.tokens_after = audit.now()
    _changed(session, actor, user, via, change="deactivated")


def reactivate(session: Session, actor: Actor | None, user: User, via: str = "api") -> None:
    """Logins work again (tokens from before the deactivation stay refused)."""
    user.active = True
    _changed(session, actor, user, via, change="reactivated")


def set_role(
    session: Session,
    actor: Actor | None,
    user: User,
    role: Role,
    unit: str | None,
    via: str = "api",
) -> None:
    """A new role (and unit, where the role needs one); the user's tokens are refused from
    the next request, so the new role holds from the next login."""
    _not_yourself(actor, user, "change the role of")
    before = user.role
    user.unit_id = unit_for(session, role, unit)
    user.role = role.value
    user.tokens_after = audit.now()
    _changed(session, actor, user, via, change="role", role_before=before, role=role.value)


def reset_password(
    session: Session, actor: Actor | None, user: User, password: str, via: str = "api"
) -> None:
    """A new password; the old one and every token the user holds stop working."""
    user.password_hash = hash_password(password, user.username)
    user.tokens_after = audit.now()
    _changed(session, actor, user, via, change="password")
