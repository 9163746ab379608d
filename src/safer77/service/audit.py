"""The audit log: one row per write and per read of a restricted record, ids only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from safer77.service.auth import Actor
from safer77.service.models import AuditEntry


def now() -> datetime:
    """Naive UTC, the service's clock for system timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: object = None,
    **detail: Any,
) -> None:
    """Append an audit row in the caller's transaction (so it exists iff the write does).

    A plain INSERT, not an ORM object: nothing reads it back in the request, and it skips the
    unit-of-work bookkeeping on every request."""
    session.execute(
        insert(AuditEntry).values(
            at=now(),
            user_id=actor.user_id if actor else None,
            role=actor.role.value if actor else None,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail or None,
        )
    )
