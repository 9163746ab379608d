"""Evidence items, their chain of custody, attached files' SHA-256, and the lab backlog."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from safer77.errors import Conflict, InvalidInput, NotFound
from safer77.service import audit, clock
from safer77.service.auth import Actor
from safer77.service.cases import check_version, scoped, touch, visible_case
from safer77.service.models import Case, CustodyEvent, Evidence, EvidenceFile

DATES = ("submitted_at", "lab_requested_at", "lab_result_at")


def visible_item(session: Session, actor: Actor, evidence_id: int) -> Evidence:
    item = session.get(Evidence, evidence_id)
    if item is None:
        raise NotFound(f"evidence {evidence_id} not found")
    visible_case(session, actor, item.case_id)  # NotFound outside the actor's unit
    return item


def _check_dates(collected: datetime, dates: dict[str, datetime | None]) -> None:
    last_name, last = "collected_at", collected
    for name, value in ((k, dates.get(k)) for k in DATES):
        if value is None:
            continue
        if value < last:
            raise InvalidInput(f"{name} is before {last_name}", field=name)
        last_name, last = name, value
    if dates.get("lab_result_at") and not dates.get("lab_requested_at"):
        raise InvalidInput("a lab result needs a lab request", field="lab_result_at")


def add_item(
    session: Session,
    actor: Actor,
    *,
    case_id: int,
    item_number: str,
    kind: str,
    collected_at: datetime,
    holder: str,
    location: str,
    description: str | None = None,
) -> Evidence:
    case = visible_case(session, actor, case_id)
    clash = select(Evidence.id).where(
        Evidence.case_id == case.id, Evidence.item_number == item_number
    )
    if session.scalars(clash).first() is not None:
        raise Conflict(f"case {case.id} already has an item {item_number!r}")
    item = Evidence(
        case_id=case.id,
        item_number=item_number,
        kind=kind,
        description=description,
        collected_at=collected_at,
        holder=holder,
        location=location,
    )
    session.add(item)
    session.flush()
    session.add(
        CustodyEvent(
            evidence_id=item.id,
            at=collected_at,
            from_holder=None,
            to_holder=holder,
            location=location,
            purpose="collected",
            recorded_by=actor.user_id,
        )
    )
    touch(session, case.id)
    audit.record(session, actor, "create", "evidence", item.id, case_id=case.id)
    return item


def update_item(
    session: Session, actor: Actor, *, evidence_id: int, version: int, changes: dict[str, Any]
) -> Evidence:
    item = visible_item(session, actor, evidence_id)
    check_version(item, version, "evidence")
    merged = {k: changes.get(k, getattr(item, k)) for k in DATES}
    _check_dates(item.collected_at, merged)
    changed = sorted(
        k for k in (*DATES, "description") if k in changes and getattr(item, k) != changes[k]
    )
    for name in changed:
        setattr(item, name, changes[name])
    touch(session, item.case_id)
    session.flush()
    audit.record(session, actor, "update", "evidence", item.id, fields=changed)
    return item


def hand_off(
    session: Session,
    actor: Actor,
    *,
    evidence_id: int,
    version: int,
    to_holder: str,
    location: str,
    purpose: str | None = None,
    at: datetime | None = None,
) -> Evidence:
    """Record a hand-off: the chain always continues from the current holder, and the item's
    version moves with every hand-off, so two people handing on the same item at once cannot
    both continue the chain from the same holder (the second gets a conflict)."""
    item = visible_item(session, actor, evidence_id)
    check_version(item, version, "evidence")
    when = at or clock.local_now(session)
    last = session.scalars(
        select(CustodyEvent)
        .where(CustodyEvent.evidence_id == item.id)
        .order_by(CustodyEvent.at.desc(), CustodyEvent.id.desc())
    ).first()
    if last is not None and when < last.at:
        raise InvalidInput("a hand-off cannot precede the previous one", field="at")
    session.add(
        CustodyEvent(
            evidence_id=item.id,
            at=when,
            from_holder=item.holder,
            to_holder=to_holder,
            location=location,
            purpose=purpose,
            recorded_by=actor.user_id,
        )
    )
    item.holder = to_holder
    item.location = location
    flag_modified(item, "holder")  # an UPDATE (and a new version) even if nothing changed
    session.flush()
    audit.record(session, actor, "update", "evidence", item.id, custody=True)
    return item


def sha256_of(chunks: Iterable[bytes]) -> tuple[str, int]:
    """SHA-256 (hex) and size of a stream of bytes."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def attach_file(
    session: Session, actor: Actor, *, evidence_id: int, filename: str, sha256: str, size: int
) -> EvidenceFile:
    """Record an attached file by its SHA-256 (computed as it streamed in) and size."""
    item = visible_item(session, actor, evidence_id)
    record = EvidenceFile(
        evidence_id=item.id,
        filename=filename,
        sha256=sha256,
        size=size,
        uploaded_at=audit.now(),
        uploaded_by=actor.user_id,
    )
    session.add(record)
    session.flush()
    audit.record(session, actor, "create", "evidence_file", record.id, evidence_id=item.id)
    return record


def read_item(
    session: Session, actor: Actor, evidence_id: int
) -> tuple[Evidence, Sequence[CustodyEvent], Sequence[EvidenceFile]]:
    item = visible_item(session, actor, evidence_id)
    chain = session.scalars(
        select(CustodyEvent).where(CustodyEvent.evidence_id == item.id).order_by(CustodyEvent.id)
    ).all()
    files = session.scalars(
        select(EvidenceFile).where(EvidenceFile.evidence_id == item.id).order_by(EvidenceFile.id)
    ).all()
    audit.record(session, actor, "read", "evidence", item.id)
    return item, chain, files


def case_items(session: Session, actor: Actor, case_id: int) -> Sequence[Evidence]:
    case = visible_case(session, actor, case_id)
    items = session.scalars(
        select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.id)
    ).all()
    audit.record(session, actor, "read", "evidence_list", case.id, ids=[i.id for i in items])
    return items


def lab_backlog(
    session: Session, actor: Actor, *, days: int, now: datetime | None = None
) -> list[tuple[Evidence, int]]:
    """Items sent to the lab more than ``days`` ago with no result yet, oldest first."""
    now = now or clock.local_now(session)
    visible = scoped(select(Case.id), actor).subquery()
    stmt = (
        select(Evidence)
        .where(
            Evidence.lab_requested_at.is_not(None),
            Evidence.lab_result_at.is_(None),
            # more than `days` whole days waited
            Evidence.lab_requested_at <= now - timedelta(days=days + 1),
            Evidence.case_id.in_(select(visible.c.id)),
        )
        .order_by(Evidence.lab_requested_at)
    )
    out = [
        (item, (now - item.lab_requested_at).days)
        for item in session.scalars(stmt)
        if item.lab_requested_at is not None
    ]
    audit.record(session, actor, "read", "evidence_backlog", None, ids=[i.id for i, _ in out])
    return out
