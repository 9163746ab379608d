"""Resource requests: a block club or community organisation files a need (street light out,
vacant lot, abandoned building, litter, food, internet, housing, health care...); it is routed
to a department with an SLA clock (due = filed + the need's days), moves through a status
history and ends with an outcome. Community users see their organisation's requests only.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from safer77.errors import Conflict, InvalidInput, NotFound
from safer77.service import audit, clock
from safer77.service.auth import Actor, own_unit
from safer77.service.cases import check_version
from safer77.service.models import RequestEvent, ResourceRequest
from safer77.service.permissions import Role

# need -> (department it is routed to, days the department has to close it)
NEEDS: dict[str, tuple[str, int]] = {
    "street_light": ("Transportation", 7),
    "litter": ("Streets and Sanitation", 7),
    "graffiti": ("Streets and Sanitation", 10),
    "vacant_lot": ("Streets and Sanitation", 30),
    "abandoned_building": ("Buildings", 30),
    "food_access": ("Public Health", 30),
    "health_care": ("Public Health", 30),
    "internet_access": ("Technology and Innovation", 30),
    "housing": ("Housing", 30),
    "other": ("Coordination Center", 14),
}


class RequestStatus(StrEnum):
    routed = "routed"
    in_progress = "in_progress"
    resolved = "resolved"
    declined = "declined"


R = RequestStatus
CLOSED = frozenset({R.resolved, R.declined})
MOVES: dict[RequestStatus, frozenset[RequestStatus]] = {
    R.routed: frozenset({R.in_progress, R.resolved, R.declined}),
    R.in_progress: frozenset({R.resolved, R.declined}),
    R.resolved: frozenset({R.in_progress}),  # reopened
    R.declined: frozenset({R.in_progress}),
}


def due_on(filed_on: date, need: str) -> date:
    """The SLA due date: filed + the need's calendar days."""
    return filed_on + timedelta(days=NEEDS[need][1])


def is_overdue(item: ResourceRequest, today: date) -> bool:
    end = item.closed_on if item.closed_on is not None else today
    return end > item.due_on


T = TypeVar("T")


def scoped(stmt: Select[T], actor: Actor) -> Select[T]:
    """A community user sees its own organisation's requests only."""
    return own_unit(stmt, actor, ResourceRequest.organisation_id)


def visible(session: Session, actor: Actor, request_id: int) -> ResourceRequest:
    item = session.scalars(
        scoped(select(ResourceRequest).where(ResourceRequest.id == request_id), actor)
    ).first()
    if item is None:
        raise NotFound(f"request {request_id} not found")
    return item


def file_request(
    session: Session,
    actor: Actor,
    *,
    community_area: int,
    need: str,
    description: str,
    organisation_id: int | None = None,
) -> ResourceRequest:
    if need not in NEEDS:
        raise InvalidInput(f"unknown need {need!r}; one of {', '.join(NEEDS)}", field="need")
    org = actor.unit_id if actor.role is Role.community else organisation_id
    today = clock.local_today(session)
    item = ResourceRequest(
        organisation_id=org,
        community_area=community_area,
        need=need,
        description=description,
        department=NEEDS[need][0],
        status=R.routed.value,
        filed_on=today,
        due_on=due_on(today, need),
        created_by=actor.user_id,
    )
    session.add(item)
    session.flush()
    session.add(
        RequestEvent(
            request_id=item.id,
            at=clock.local_now(session),
            user_id=actor.user_id,
            to_status=R.routed.value,
            note=f"routed to {item.department}",
        )
    )
    audit.record(session, actor, "create", "request", item.id)
    return item


def move(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    version: int,
    to_status: RequestStatus,
    note: str | None = None,
    outcome: str | None = None,
) -> ResourceRequest:
    """Change a request's status; closing needs an outcome, reopening clears the close date."""
    item = visible(session, actor, request_id)
    check_version(item, version, "request")
    current = RequestStatus(item.status)
    if to_status not in MOVES[current]:
        raise Conflict(f"a request that is {current} cannot become {to_status}")
    if to_status in CLOSED and not outcome:
        raise InvalidInput("closing a request needs its outcome", field="outcome")
    now = clock.local_now(session)
    item.status = to_status.value
    if to_status in CLOSED:
        item.closed_on = now.date()
        item.outcome = outcome
    else:
        item.closed_on = None
    session.add(
        RequestEvent(
            request_id=item.id,
            at=now,
            user_id=actor.user_id,
            from_status=current.value,
            to_status=to_status.value,
            note=note,
        )
    )
    session.flush()
    audit.record(session, actor, "update", "request", item.id, status=to_status.value)
    return item


def list_requests(
    session: Session,
    actor: Actor,
    *,
    department: str | None = None,
    community_area: int | None = None,
    status: RequestStatus | None = None,
    overdue_only: bool = False,
    limit: int = 200,
) -> list[tuple[ResourceRequest, bool]]:
    """Requests the actor may see, with whether each is overdue, oldest due first."""
    stmt = scoped(select(ResourceRequest), actor)
    if department:
        stmt = stmt.where(ResourceRequest.department == department)
    if community_area:
        stmt = stmt.where(ResourceRequest.community_area == community_area)
    if status:
        stmt = stmt.where(ResourceRequest.status == status.value)
    today = clock.local_today(session)
    rows = [
        (r, is_overdue(r, today))
        for r in session.scalars(stmt.order_by(ResourceRequest.due_on, ResourceRequest.id))
    ]
    if overdue_only:
        rows = [(r, o) for r, o in rows if o and r.closed_on is None]
    rows = rows[:limit]
    audit.record(session, actor, "read", "request_list", None, ids=[r.id for r, _ in rows])
    return rows


def read_request(
    session: Session, actor: Actor, request_id: int
) -> tuple[ResourceRequest, Sequence[RequestEvent]]:
    item = visible(session, actor, request_id)
    events = session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == item.id).order_by(RequestEvent.id)
    ).all()
    audit.record(session, actor, "read", "request", item.id)
    return item, events


@dataclass
class Summary:
    department: str
    community_area: int
    filed: int = 0
    open: int = 0
    open_overdue: int = 0
    closed: int = 0
    closed_on_time: int = 0
    median_days_to_close: float | None = None


def summary(session: Session, actor: Actor | None, *, today: date) -> list[Summary]:
    """Per department and community area: filed, open, overdue, closed on time, median days."""
    stmt = select(ResourceRequest)
    if actor is not None:
        stmt = scoped(stmt, actor)
    rows: dict[tuple[str, int], Summary] = {}
    days: dict[tuple[str, int], list[int]] = defaultdict(list)
    for r in session.scalars(stmt):
        key = (r.department, r.community_area)
        s = rows.setdefault(key, Summary(*key))
        s.filed += 1
        if r.closed_on is None:
            s.open += 1
            s.open_overdue += int(today > r.due_on)
        else:
            s.closed += 1
            s.closed_on_time += int(r.closed_on <= r.due_on)
            days[key].append((r.closed_on - r.filed_on).days)
    for key, values in days.items():
        rows[key].median_days_to_close = float(statistics.median(values))
    return [rows[k] for k in sorted(rows)]
