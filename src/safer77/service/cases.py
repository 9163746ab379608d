"""Cases: opening, updates, the status workflow, assignments and notes.

Every function takes the session and the acting user, checks what the actor may see (detectives
see their own unit's cases only), writes a case event and an audit row in the same transaction,
and leaves committing to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from safer77.errors import Conflict, InvalidInput, NotFound
from safer77.service import audit, clock
from safer77.service.auth import Actor, Forbidden, ensure_unit, own_unit
from safer77.service.models import Assignment, Case, CaseEvent, User
from safer77.service.permissions import UNIT_SCOPED, Role
from safer77.service.workflow import (
    CLEARED,
    CLOSED,
    CaseStatus,
    ExceptionalCode,
    check_transition,
    is_reopen,
)

T = TypeVar("T")

EDITABLE = (
    "crime_type",
    "block",
    "location_description",
    "district",
    "beat",
    "community_area",
    "summary",
)


def scoped(stmt: Select[T], actor: Actor) -> Select[T]:
    """Limit a case query to what ``actor`` may see (a detective: its own unit's)."""
    return own_unit(stmt, actor, Case.unit_id)


def visible_case(session: Session, actor: Actor, case_id: int) -> Case:
    """The case, or :class:`NotFound` when it does not exist or is outside the actor's unit."""
    case = session.scalars(scoped(select(Case).where(Case.id == case_id), actor)).first()
    if case is None:
        raise NotFound(f"case {case_id} not found")
    return case


def check_version(case: Case | Any, version: int, what: str = "case") -> None:
    if case.version != version:
        raise Conflict(
            f"{what} {case.id} was changed by someone else (now version {case.version}, "
            f"you sent {version}); reload it and try again"
        )


def _event(session: Session, actor: Actor | None, case: Case, kind: str, **fields: Any) -> None:
    at = fields.pop("at", None) or clock.local_now(session)
    session.add(
        CaseEvent(
            case_id=case.id, at=at, user_id=actor.user_id if actor else None, kind=kind, **fields
        )
    )


def _unit_for(session: Session, actor: Actor, unit: str | None) -> int | None:
    if actor.role in UNIT_SCOPED:
        if unit is not None:
            own = session.get_one(User, actor.user_id).unit_id
            if own is None or ensure_unit(session, unit) != own:
                raise Forbidden("detectives open cases in their own unit only")
        return actor.unit_id
    return ensure_unit(session, unit) if unit else None


def open_case(
    session: Session,
    actor: Actor,
    *,
    case_number: str,
    crime_type: str,
    offense_at: datetime,
    unit: str | None = None,
    source: str = "manual",
    source_key: str | None = None,
    **fields: Any,
) -> Case:
    """Open a case (by hand, or from an incident with ``source``/``source_key``)."""
    now = audit.now()
    key = source_key or f"{case_number}:{now.isoformat()}"
    clash = select(Case.id).where(Case.source == source, Case.source_key == key)
    if session.scalars(clash).first() is not None:
        raise Conflict(f"a case for {source} {key} is already open")
    case = Case(
        case_number=case_number,
        source=source,
        source_key=key,
        crime_type=crime_type,
        offense_at=offense_at,
        unit_id=_unit_for(session, actor, unit),
        lead_detective_id=actor.user_id if actor.role is Role.detective else None,
        status=CaseStatus.open.value,
        opened_at=now,
        last_activity_at=now,
        **fields,
    )
    session.add(case)
    session.flush()
    _event(session, actor, case, "opened", to_status=CaseStatus.open.value)
    if case.lead_detective_id is not None:
        session.add(
            Assignment(
                case_id=case.id,
                detective_id=case.lead_detective_id,
                unit_id=case.unit_id,
                assigned_at=now,
                assigned_by=actor.user_id,
                reason="opened the case",
            )
        )
    audit.record(session, actor, "create", "case", case.id, source=source)
    return case


def open_from_incident(
    session: Session, actor: Actor, *, warehouse: Path, incident_id: int, unit: str | None
) -> Case:
    """Open a case from a warehouse incident; its case number is the portal's Case Number."""
    from safer77.warehouse import connect

    if not Path(warehouse).exists():
        raise NotFound(f"warehouse {warehouse} not found; load incidents first")
    con = connect(warehouse, read_only=True)
    try:
        rows = con.execute(
            "SELECT case_number, occurred_at, block, iucr, primary_type, location_description, "
            "district, beat, community_area FROM incidents WHERE id = ? AND agency = 'CPD'",
            [incident_id],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise NotFound(f"incident {incident_id} is not in the warehouse")
    number, when, block, iucr, ptype, loc, district, beat, area = rows[0]
    if not number:
        raise InvalidInput(f"incident {incident_id} has no case number", field="case_number")
    return open_case(
        session,
        actor,
        case_number=number,
        crime_type=ptype or "UNKNOWN",
        offense_at=when,
        unit=unit,
        source="portal",
        source_key=str(incident_id),
        iucr=iucr,
        block=block,
        location_description=loc,
        district=district,
        beat=beat,
        community_area=area,
    )


def list_cases(
    session: Session,
    actor: Actor,
    *,
    status: CaseStatus | None = None,
    unit_id: int | None = None,
    detective_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Case]:
    stmt = scoped(select(Case), actor)
    if status is not None:
        stmt = stmt.where(Case.status == status.value)
    if unit_id is not None:
        stmt = stmt.where(Case.unit_id == unit_id)
    if detective_id is not None:
        stmt = stmt.where(Case.lead_detective_id == detective_id)
    cases = session.scalars(stmt.order_by(Case.id).limit(limit).offset(offset)).all()
    audit.record(session, actor, "read", "case_list", None, ids=[c.id for c in cases])
    return cases


def read_case(
    session: Session, actor: Actor, case_id: int
) -> tuple[Case, Sequence[CaseEvent], Sequence[Assignment]]:
    """A case with its history (a restricted read: audited)."""
    case = visible_case(session, actor, case_id)
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    assignments = session.scalars(
        select(Assignment).where(Assignment.case_id == case.id).order_by(Assignment.id)
    ).all()
    audit.record(session, actor, "read", "case", case.id)
    return case, events, assignments


def update_case(
    session: Session, actor: Actor, *, case_id: int, version: int, changes: dict[str, Any]
) -> Case:
    case = visible_case(session, actor, case_id)
    check_version(case, version)
    if "crime_type" in changes:
        if changes["crime_type"] is None:
            raise InvalidInput("a case always has a crime type", field="crime_type")
        changes = {**changes, "crime_type": str(changes["crime_type"]).upper()}
    changed = sorted(k for k, v in changes.items() if k in EDITABLE and getattr(case, k) != v)
    for name in changed:
        setattr(case, name, changes[name])
    case.last_activity_at = audit.now()
    _event(session, actor, case, "update", reason="changed: " + ", ".join(changed))
    session.flush()
    audit.record(session, actor, "update", "case", case.id, fields=changed, version=case.version)
    return case


def transition(
    session: Session,
    actor: Actor,
    *,
    case_id: int,
    version: int,
    to_status: CaseStatus,
    reason: str,
    exceptional_code: ExceptionalCode | None = None,
    effective_on: date | None = None,
) -> Case:
    """Move a case along the workflow; clearing sets the clearance date, reopening withdraws it."""
    case = visible_case(session, actor, case_id)
    check_version(case, version)
    current = CaseStatus(case.status)
    check_transition(current, to_status, exceptional_code)
    now = audit.now()
    local = clock.local_now(session)
    day = effective_on or local.date()
    if day > local.date():
        raise InvalidInput(
            "the date of a status change cannot be in the future", field="effective_on"
        )
    if day < case.offense_at.date():
        raise InvalidInput("a status change cannot precede the offense", field="effective_on")
    # closing and reopening move clearance figures: they keep their order in time (a
    # progress step entered late may still be dated back)
    previous = session.scalar(
        select(func.max(CaseEvent.at)).where(
            CaseEvent.case_id == case.id,
            or_(CaseEvent.kind == "reopen", CaseEvent.to_status.in_([s.value for s in CLOSED])),
        )
    )
    closing = to_status in CLOSED or is_reopen(current, to_status)
    if closing and previous is not None and day < previous.date():
        raise InvalidInput(
            f"cannot be dated before the case's last closing or reopening ({previous.date()})",
            field="effective_on",
        )
    case.status = to_status.value
    if to_status in CLEARED:
        case.cleared_on = day
        case.exceptional_code = exceptional_code.value if exceptional_code else None
    elif is_reopen(current, to_status) or current in CLEARED:
        case.cleared_on = None
        case.exceptional_code = None
    case.last_activity_at = now
    _event(
        session,
        actor,
        case,
        "reopen" if is_reopen(current, to_status) else "transition",
        from_status=current.value,
        to_status=to_status.value,
        exceptional_code=case.exceptional_code,
        reason=reason,
        at=datetime.combine(day, local.time()) if effective_on else local,
    )
    session.flush()
    audit.record(
        session, actor, "update", "case", case.id, transition=to_status.value, version=case.version
    )
    return case


def assign(
    session: Session,
    actor: Actor,
    *,
    case_id: int,
    version: int,
    detective_id: int | None,
    unit: str | None,
    reason: str,
) -> Case:
    """Change the lead detective and/or unit; the assignment history keeps every change."""
    case = visible_case(session, actor, case_id)
    check_version(case, version)
    if detective_id is None and unit is None:
        raise InvalidInput("give a detective, a unit or both", field="detective_id")
    unit_id = ensure_unit(session, unit) if unit else case.unit_id
    if detective_id is not None:
        detective = session.get(User, detective_id)
        if detective is None or detective.role != Role.detective.value or not detective.active:
            raise InvalidInput(
                f"user {detective_id} is not an active detective", field="detective_id"
            )
        if unit is None:
            unit_id = detective.unit_id
        elif detective.unit_id != unit_id:
            raise InvalidInput("the detective is not in that unit", field="unit")
    now = audit.now()
    for current in session.scalars(
        select(Assignment).where(Assignment.case_id == case.id, Assignment.ended_at.is_(None))
    ):
        current.ended_at = now
    case.lead_detective_id = detective_id if detective_id is not None else None
    case.unit_id = unit_id
    case.last_activity_at = now
    session.add(
        Assignment(
            case_id=case.id,
            detective_id=detective_id,
            unit_id=unit_id,
            assigned_at=now,
            assigned_by=actor.user_id,
            reason=reason,
        )
    )
    _event(session, actor, case, "assignment", reason=reason)
    session.flush()
    audit.record(session, actor, "update", "case", case.id, assignment=True, version=case.version)
    return case


def touch(session: Session, case_id: int) -> None:
    """Record activity on a case without changing its version: a note or new evidence does
    not make someone else's open edit of the case stale."""
    session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(last_activity_at=audit.now())
        .execution_options(synchronize_session="fetch")
    )


def add_note(session: Session, actor: Actor, *, case_id: int, text: str) -> Case:
    """A note is activity: it resets the case's inactivity clock."""
    case = visible_case(session, actor, case_id)
    touch(session, case.id)
    _event(session, actor, case, "note", reason=text)
    session.flush()
    audit.record(session, actor, "update", "case", case.id, note=True, version=case.version)
    return case
