"""The audit log: one row per write, per read of a restricted record and per refusal (a
failed login, a 401 or 403 on a restricted route), ids only; each row hash-chained to the
previous one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from safer77.service.auth import Actor
from safer77.service.models import AuditEntry

CHAIN_LOCK = 7_702_023  # PostgreSQL advisory lock: one audit writer at a time, until commit
GENESIS = ""  # the previous hash of the first chained row


def now() -> datetime:
    """Naive UTC, the service's clock for system timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


def chain_hash(prev: str, row: dict[str, Any]) -> str:
    """SHA-256 of a row's content and the previous row's hash."""
    at = row["at"]
    content = [
        prev,
        at.isoformat(timespec="microseconds") if isinstance(at, datetime) else str(at),
        row["user_id"],
        row["role"],
        row["action"],
        row["entity"],
        row["entity_id"],
        row["detail"],
    ]
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: object = None,
    **detail: Any,
) -> None:
    """Append an audit row in the caller's transaction (so it exists iff the write does),
    chained to the last row.

    A plain INSERT, not an ORM object: nothing reads it back in the request, and it skips the
    unit-of-work bookkeeping on every request. On PostgreSQL a transaction-scoped advisory
    lock makes audit writers take turns until they commit, so the chain never forks (SQLite
    has one writer at a time anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    prev = session.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    row: dict[str, Any] = {
        "at": now(),
        "user_id": actor.user_id if actor else None,
        "role": actor.role.value if actor else None,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id)[:64],
        "detail": detail or None,
    }
    row["prev_hash"] = prev or GENESIS
    row["hash"] = chain_hash(row["prev_hash"], row)
    session.execute(insert(AuditEntry).values(**row))


@dataclass(frozen=True)
class Verdict:
    rows: int  # chained rows checked
    unchained: int  # rows written before the chain began (migration 0008)
    broken_at: int | None  # id of the first row that does not hold
    reason: str = ""


def _rows(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    )


def verify(session: Session) -> Verdict:
    """Recompute the chain: an edited row changes its own hash, a removed or inserted one
    breaks the next row's link."""
    checked = unchained = 0
    prev: str | None = None
    for r in _rows(session):
        if r.hash is None:
            if prev is None:
                unchained += 1
                continue
            return Verdict(checked, unchained, r.id, "row has no hash inside the chain")
        if (r.prev_hash or GENESIS) != (GENESIS if prev is None else prev):
            return Verdict(checked, unchained, r.id, "does not link to the previous row")
        row = {c: getattr(r, c) for c in ("at", "user_id", "role", "action", "entity")}
        row.update(entity_id=r.entity_id, detail=r.detail)
        if chain_hash(r.prev_hash or GENESIS, row) != r.hash:
            return Verdict(checked, unchained, r.id, "content does not match its hash")
        prev = r.hash
        checked += 1
    return Verdict(checked, unchained, None)
