"""Use-of-force reports and body-camera footage: each with its 30-day release clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from safer77.errors import Conflict, InvalidInput, NotFound
from safer77.service import audit, clock
from safer77.service.auth import Actor
from safer77.service.cases import check_version
from safer77.service.models import Case, Release
from safer77.service.release import (
    DEFAULT_REASON,
    RELEASE_DAYS,
    STAGE_ORDER,
    Clock,
    OnTimeRow,
    OverdueReason,
    Stage,
    check_stage_order,
    days_late,
    due_date,
    monthly_on_time,
)

STAGE_FIELD: dict[Stage, str] = {
    Stage.notified: "notified_on",
    Stage.footage_received: "footage_received_on",
    Stage.redacted: "redacted_on",
    Stage.posted: "posted_on",
}


def get_release(session: Session, release_id: int) -> Release:
    item = session.get(Release, release_id)
    if item is None:
        raise NotFound(f"release record {release_id} not found")
    return item


def create_release(
    session: Session,
    actor: Actor | None,
    *,
    kind: Literal["use_of_force", "body_camera"],
    incident_date: date,
    source: str = "manual",
    source_key: str | None = None,
    district: int | None = None,
    beat: int | None = None,
    case_id: int | None = None,
    notified_on: date | None = None,
    report_status: str | None = None,
    details: dict[str, Any] | None = None,
) -> Release:
    if case_id is not None and session.get(Case, case_id) is None:
        raise InvalidInput(f"case {case_id} not found", field="case_id")
    if notified_on is not None and notified_on < incident_date:
        raise InvalidInput("notified before the incident", field="notified_on")
    key = source_key or f"{kind}:{audit.now().isoformat()}"
    clash = select(Release.id).where(Release.source == source, Release.source_key == key)
    if session.scalars(clash).first() is not None:
        raise Conflict(f"a release record for {source} {key} already exists")
    item = Release(
        kind=kind,
        source=source,
        source_key=key,
        incident_date=incident_date,
        report_status=report_status,
        district=district,
        beat=beat,
        case_id=case_id,
        stage=Stage.notified.value,
        notified_on=notified_on or incident_date,
        details=details,
    )
    session.add(item)
    session.flush()
    audit.record(session, actor, "create", "release", item.id, kind=kind)
    return item


def advance(
    session: Session, actor: Actor, *, release_id: int, version: int, stage: Stage, on: date
) -> Release:
    """Move a record to a later stage on a given day (stages never go back, dates never
    precede the incident or the previous stage)."""
    item = get_release(session, release_id)
    check_version(item, version, "release record")
    current = Stage(item.stage)
    if not check_stage_order(current, stage):
        raise Conflict(f"a record at stage {current} cannot go to {stage}")
    if on > clock.local_today(session):
        raise InvalidInput("the date cannot be in the future", field="on")
    previous = [getattr(item, STAGE_FIELD[s]) for s in STAGE_ORDER[: STAGE_ORDER.index(stage)]]
    floor = max([item.incident_date, *[d for d in previous if d is not None]])
    if on < floor:
        raise InvalidInput(f"{stage} on {on} is before {floor}", field="on")
    setattr(item, STAGE_FIELD[stage], on)
    item.stage = stage.value
    session.flush()
    audit.record(session, actor, "update", "release", item.id, stage=stage.value)
    return item


def set_reason(
    session: Session, actor: Actor, *, release_id: int, version: int, reason: OverdueReason
) -> Release:
    item = get_release(session, release_id)
    check_version(item, version, "release record")
    item.reason_code = reason.value
    session.flush()
    audit.record(session, actor, "update", "release", item.id, reason=reason.value)
    return item


def overdue(
    session: Session, *, today: date, kind: str | None = None
) -> list[tuple[Release, int, str]]:
    """Records past their due date and not yet posted, with days late and a reason."""
    stmt = (
        select(Release)
        .where(
            Release.posted_on.is_(None),
            Release.incident_date < today - timedelta(days=RELEASE_DAYS),  # due before today
        )
        .order_by(Release.incident_date)
    )
    if kind:
        stmt = stmt.where(Release.kind == kind)
    return [
        (
            item,
            days_late(item.incident_date, None, today),
            item.reason_code or DEFAULT_REASON[Stage(item.stage)].value,
        )
        for item in session.scalars(stmt)
    ]


def on_time(session: Session, *, today: date, kind: str | None = None) -> list[OnTimeRow]:
    stmt = select(Release.incident_date, Release.posted_on)
    if kind:
        stmt = stmt.where(Release.kind == kind)
    return monthly_on_time((Clock(d, p) for d, p in session.execute(stmt)), today)


def releases_of(session: Session, *, kind: str | None = None) -> Sequence[Release]:
    stmt = select(Release).order_by(Release.id)
    if kind:
        stmt = stmt.where(Release.kind == kind)
    return session.scalars(stmt).all()


__all__ = ["due_date"]
