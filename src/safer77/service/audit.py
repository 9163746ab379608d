"""The audit log: one row per write, per read of a restricted record and per refusal (a
failed login, a 401 or 403 on a restricted route), ids only; each row hash-chained to the
previous one.

A request only inserts its row, in its own transaction. :func:`seal` chains the rows not yet
chained, in one short transaction, a batch at a time: each service process runs it every
``SEAL_EVERY`` seconds (and ``service audit verify`` before it checks). Chaining inside each
request needed one audit writer at a time until its commit, a lock held across the commit's
disk flush: on PostgreSQL that capped audited requests at ~240 a second (measured: 8 writers,
~4 ms per flush) against ~2,000 without it, as PostgreSQL then flushes many commits at once.

A row is therefore unchained for up to a second or so; the triggers refuse any change to its
content meanwhile (they allow one UPDATE: setting an unsealed row's place and hashes).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from safer77.service.auth import Actor
from safer77.service.models import AuditEntry

SEAL_LOCK = 7_702_023  # PostgreSQL advisory lock: one sealer at a time
GENESIS = ""  # the previous hash of the first chained row
SEAL_EVERY = 0.5  # seconds between a service process's seals
SEAL_BATCH = 5000  # rows chained per transaction at most


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
    """Append an audit row in the caller's transaction (so it exists iff the write does); it
    is chained by the next :func:`seal`.

    A plain INSERT, not an ORM object: nothing reads it back in the request, and it skips the
    unit-of-work bookkeeping on every request."""
    session.execute(
        insert(AuditEntry).values(
            at=now(),
            user_id=actor.user_id if actor else None,
            role=actor.role.value if actor else None,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id)[:64],
            detail=detail or None,
        )
    )


CONTENT = ("at", "user_id", "role", "action", "entity", "entity_id", "detail")


def seal(session: Session, batch: int = SEAL_BATCH) -> int:
    """Chain the committed rows not yet chained (in id order), after the chain's last row;
    commit; how many. On PostgreSQL one sealer works at a time (others return 0 at once);
    anywhere, the unique ``seq`` makes a second sealer racing with stale reads fail rather
    than fork the chain."""
    if session.get_bind().dialect.name == "postgresql":
        got = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEAL_LOCK})
        if not got.scalar_one():
            session.rollback()
            return 0
    else:
        if session.execute(select(AuditEntry.id).where(AuditEntry.hash.is_(None)).limit(1)).first():
            # SQLite: begin writing (a write that changes nothing) before reading the chain's
            # head, so two sealers take turns instead of reading the same head
            session.execute(text("UPDATE audit_log SET seq = seq WHERE 0 = 1"))
        else:
            session.rollback()
            return 0
    head = session.execute(
        select(AuditEntry.seq, AuditEntry.hash)
        .where(AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (int(head.seq), str(head.hash)) if head is not None else (0, GENESIS)
    columns = [getattr(AuditEntry, c) for c in CONTENT]
    pending = session.execute(
        select(AuditEntry.id, *columns)
        .where(AuditEntry.hash.is_(None))
        .order_by(AuditEntry.id)
        .limit(batch)
    ).all()
    if not pending:
        session.rollback()
        return 0
    sealed = []
    for row in pending:
        seq += 1
        digest = chain_hash(prev, row._asdict())
        sealed.append({"row_id": row.id, "s": seq, "p": prev, "h": digest})
        prev = digest
    table = AuditEntry.__table__
    assert isinstance(table, Table)
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.hash.is_(None))
        .values(seq=bindparam("s"), prev_hash=bindparam("p"), hash=bindparam("h")),
        sealed,
    )
    session.commit()
    return len(sealed)


def unsealed(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.hash.is_(None))
        ).scalar_one()
    )


@dataclass(frozen=True)
class Verdict:
    rows: int  # chained rows checked
    unsealed: int  # rows not chained yet (the sealer's next batch)
    broken_at: int | None  # id of the first row that does not hold
    reason: str = ""


def _chained(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(
        select(AuditEntry)
        .where(AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=1000)
    )


def verify(session: Session) -> Verdict:
    """Recompute the chain in its order: an edited row changes its own hash, a removed or
    inserted one breaks the next row's link (or its place)."""
    checked = 0
    prev = GENESIS
    waiting = unsealed(session)
    for r in _chained(session):
        if r.seq != checked + 1:
            return Verdict(checked, waiting, r.id, "a row before it is missing from the chain")
        if (r.prev_hash or GENESIS) != prev:
            return Verdict(checked, waiting, r.id, "does not link to the previous row")
        row = {c: getattr(r, c) for c in CONTENT}
        if r.hash is None or chain_hash(prev, row) != r.hash:
            return Verdict(checked, waiting, r.id, "content does not match its hash")
        prev = r.hash
        checked += 1
    return Verdict(checked, waiting, None)
