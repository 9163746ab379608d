"""The audit log, for auditors (reading it is itself audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from safer77.service import audit
from safer77.service.deps import AuditRead, SessionDep
from safer77.service.models import AuditEntry
from safer77.service.schemas import ONE_LINE, AuditOut

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("")
def read_log(
    actor: AuditRead,
    session: SessionDep,
    entity: Annotated[str | None, Query(max_length=32, pattern=ONE_LINE)] = None,
    entity_id: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    user_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[AuditOut]:
    """Audit rows in order, ``limit`` at a time after ``after_id``."""
    stmt = select(AuditEntry).where(AuditEntry.id > after_id)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if user_id:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    rows = session.scalars(stmt.order_by(AuditEntry.id).limit(limit)).all()
    out = [AuditOut.model_validate(r) for r in rows]
    audit.record(session, actor, "read", "audit_log", None, count=len(out))
    session.commit()
    return out
