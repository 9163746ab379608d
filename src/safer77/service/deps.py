"""Request dependencies: the database session and the permission every route declares."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from safer77.config import Settings
from safer77.service.accounts import check_token
from safer77.service.auth import ACCESS, Actor, Claims, Forbidden, Unauthorized, read_token
from safer77.service.permissions import Permission, allows

bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request; routes commit explicitly before answering, so an acknowledged
    write is a committed one. Anything uncommitted is rolled back on close.

    Async on purpose: making a session touches no database, so it needs no worker thread.
    Its connection is given back when the request ends, whatever the outcome (an error, a
    404, a client gone): by :func:`release`, which never waits for a busy worker thread.
    """
    session: Session = request.app.state.sessions()
    session.info["tz"] = request.app.state.settings.timezone
    try:
        yield session
    finally:
        await release(session, request.app.state.closers)


async def release(session: Session, closers: anyio.CapacityLimiter) -> None:
    """Close ``session``. A session still holding a connection rolls back on a thread of
    ``closers``, threads kept for that alone, so a connection is never held while requests
    queue for the route workers (the burst that froze the service, issue 23); shielded, so a
    cancelled request still gives its connection back."""
    if not session.in_transaction():
        session.close()
        return
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(session.close, limiter=closers)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


class Require:
    """The permission a route needs (``None``: public). The authorization-matrix test reads
    these from the app's routes, so a route without one fails it."""

    def __init__(self, permission: Permission | None) -> None:
        self.permission = permission

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Actor | None:
        if self.permission is None:
            return None
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized("sign in: send Authorization: Bearer <token from /auth/token>")
        state = request.app.state
        claims = read_token(state.settings, credentials.credentials, state.verified_tokens)
        if claims.kind != ACCESS:
            raise Unauthorized("invalid token: a refresh token is for POST /auth/refresh")
        request.state.claims = claims
        # on threads of its own: a request does not queue twice for the route threads
        actor = await anyio.to_thread.run_sync(
            load_actor, state.sessions, claims, limiter=state.checkers
        )
        if not allows(actor.role, self.permission):
            request.state.denied_actor = actor  # for the audit row of the refusal
            raise Forbidden(f"role {actor.role} may not {self.permission}")
        # kept on the request's state, for error handlers that record who sent a refused body
        request.state.actor = actor
        return actor


def load_actor(sessions: sessionmaker[Session], claims: Claims) -> Actor:
    """The token's actor, read on every request (account state and revocation list, one
    query), in a session of its own so no connection stays checked out while the request
    waits for a worker thread. Nothing is cached: a revoked token or a deactivated user is
    refused on the very next request, by every worker."""
    with sessions() as session:
        return check_token(session, claims)


P = Permission
# ``actor: CasesRead`` in a route signature: the signed-in actor, once the permission holds.
Me = Annotated[Actor, Depends(Require(P.me))]
UsersManage = Annotated[Actor, Depends(Require(P.users_manage))]
CasesRead = Annotated[Actor, Depends(Require(P.cases_read))]
CasesWrite = Annotated[Actor, Depends(Require(P.cases_write))]
CasesAssign = Annotated[Actor, Depends(Require(P.cases_assign))]
EvidenceRead = Annotated[Actor, Depends(Require(P.evidence_read))]
EvidenceWrite = Annotated[Actor, Depends(Require(P.evidence_write))]
CaseloadRead = Annotated[Actor, Depends(Require(P.caseload_read))]
ClearanceRead = Annotated[Actor, Depends(Require(P.clearance_read))]
AccountabilityRead = Annotated[Actor, Depends(Require(P.accountability_read))]
AccountabilityWrite = Annotated[Actor, Depends(Require(P.accountability_write))]
AuditRead = Annotated[Actor, Depends(Require(P.audit_read))]
RequestsCreate = Annotated[Actor, Depends(Require(P.requests_create))]
RequestsRead = Annotated[Actor, Depends(Require(P.requests_read))]
RequestsManage = Annotated[Actor, Depends(Require(P.requests_manage))]
ClubsRead = Annotated[Actor, Depends(Require(P.clubs_read))]
ClubsManage = Annotated[Actor, Depends(Require(P.clubs_manage))]
TownHallsRead = Annotated[Actor, Depends(Require(P.town_halls_read))]
TownHallsManage = Annotated[Actor, Depends(Require(P.town_halls_manage))]
ReviewRead = Annotated[Actor, Depends(Require(P.review_read))]
ReviewManage = Annotated[Actor, Depends(Require(P.review_manage))]
IntakeSubmit = Annotated[Actor, Depends(Require(P.intake_submit))]
IntakeRead = Annotated[Actor, Depends(Require(P.intake_read))]
IntakeManage = Annotated[Actor, Depends(Require(P.intake_manage))]

PUBLIC = Depends(Require(None))
Responses = dict[int | str, dict[str, Any]]
