"""Request dependencies: the database session and the permission every route declares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from safer77.config import Settings
from safer77.service.auth import Actor, Forbidden, Unauthorized, read_token
from safer77.service.models import User
from safer77.service.permissions import Permission, Role, allows

bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token")


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; routes commit explicitly before answering, so an acknowledged
    write is a committed one. Anything uncommitted is rolled back on close."""
    with request.app.state.sessions() as session:
        yield session


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

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Actor | None:
        if self.permission is None:
            return None
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized("sign in: send Authorization: Bearer <token from /auth/token>")
        user = session.get(User, read_token(request.app.state.settings, credentials.credentials))
        if user is None or not user.active:
            raise Unauthorized("invalid token")
        role = Role(user.role)
        if not allows(role, self.permission):
            raise Forbidden(f"role {role} may not {self.permission}")
        return Actor(user_id=user.id, role=role, unit_id=user.unit_id)


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

PUBLIC = Depends(Require(None))
Responses = dict[int | str, dict[str, Any]]
