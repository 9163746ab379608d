"""Town-hall meetings per police district, with an agenda and follow-up items.

A follow-up item *is* a resource request (made with :func:`requests.file_request`, linked to
its town hall): it is routed to a department, runs on the request's SLA clock and status
history, and ends with its outcome. An item's status is its request's, read through the link,
so the two cannot disagree. Town halls are public meetings: every reader sees their
follow-ups, which staff write as part of the meeting's record.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safer77.errors import Conflict, InvalidInput, NotFound
from safer77.service import audit, clock
from safer77.service.auth import Actor
from safer77.service.cases import check_version
from safer77.service.models import BlockClub, ResourceRequest, TownHall, TownHallItem
from safer77.service.requests import CLOSED, file_request


class TownHallStatus(StrEnum):
    scheduled = "scheduled"
    held = "held"
    cancelled = "cancelled"


S = TownHallStatus
MOVES: dict[TownHallStatus, frozenset[TownHallStatus]] = {
    S.scheduled: frozenset({S.held, S.cancelled}),
    S.cancelled: frozenset({S.scheduled}),  # rescheduled
    S.held: frozenset(),
}
CLOSED_VALUES = tuple(s.value for s in CLOSED)
DISTRICT_FIELDS = ("held", "scheduled", "cancelled", "follow_ups_open", "follow_ups_closed")


def _check_date(status: TownHallStatus, held_on: date, today: date) -> None:
    if status is S.held and held_on > today:
        raise InvalidInput(
            f"a town hall on {held_on} cannot have been held yet (today is {today}); "
            "keep it scheduled",
            field="held_on",
        )


def get(session: Session, town_hall_id: int) -> TownHall:
    meeting = session.get(TownHall, town_hall_id)
    if meeting is None:
        raise NotFound(f"town hall {town_hall_id} not found")
    return meeting


def create(
    session: Session,
    actor: Actor,
    *,
    district: int,
    held_on: date,
    title: str,
    agenda: str,
    status: TownHallStatus = S.scheduled,
) -> TownHall:
    """Put a meeting on the calendar (or record one already held)."""
    if status is S.cancelled:
        raise InvalidInput("a new town hall is scheduled or held", field="status")
    _check_date(status, held_on, clock.local_today(session))
    meeting = TownHall(
        district=district,
        held_on=held_on,
        title=title,
        agenda=agenda,
        status=status.value,
        created_by=actor.user_id,
    )
    session.add(meeting)
    session.flush()
    audit.record(session, actor, "create", "town_hall", meeting.id, district=district)
    return meeting


def update(
    session: Session, actor: Actor, *, town_hall_id: int, version: int, changes: dict[str, Any]
) -> TownHall:
    """Edit a meeting or move it: scheduled -> held or cancelled, cancelled -> scheduled."""
    meeting = get(session, town_hall_id)
    check_version(meeting, version, "town hall")
    current = TownHallStatus(meeting.status)
    target = TownHallStatus(changes.get("status") or current)
    if target is not current and target not in MOVES[current]:
        raise Conflict(f"a town hall that is {current} cannot become {target}")
    for field, value in changes.items():
        if value is not None:
            setattr(meeting, field, value.value if isinstance(value, StrEnum) else value)
    _check_date(target, meeting.held_on, clock.local_today(session))
    session.flush()
    audit.record(session, actor, "update", "town_hall", meeting.id, fields=sorted(changes))
    return meeting


def follow_up_counts(
    session: Session, key: Any = TownHallItem.town_hall_id, where: Any = None
) -> dict[int, tuple[int, int]]:
    """(open, closed) follow-up items by their requests' status, per ``key`` (the town hall,
    or its district)."""
    closed = ResourceRequest.status.in_(CLOSED_VALUES)
    stmt = (
        select(key, closed, func.count())
        .select_from(TownHallItem)
        .join(ResourceRequest, ResourceRequest.id == TownHallItem.request_id)
        .join(TownHall, TownHall.id == TownHallItem.town_hall_id)
        .group_by(key, closed)
    )
    if where is not None:
        stmt = stmt.where(where)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for group, is_closed, n in session.execute(stmt):
        counts[group][int(bool(is_closed))] += n
    return {k: (v[0], v[1]) for k, v in counts.items()}


def list_town_halls(
    session: Session,
    *,
    district: int | None = None,
    status: TownHallStatus | None = None,
    limit: int = 200,
) -> list[tuple[TownHall, int, int]]:
    """Meetings, latest first, each with its open and closed follow-up counts."""
    stmt = select(TownHall)
    if district is not None:
        stmt = stmt.where(TownHall.district == district)
    if status is not None:
        stmt = stmt.where(TownHall.status == status.value)
    meetings = session.scalars(
        stmt.order_by(TownHall.held_on.desc(), TownHall.id.desc()).limit(limit)
    ).all()
    counts = follow_up_counts(session, where=TownHall.id.in_([m.id for m in meetings]))
    return [(m, *counts.get(m.id, (0, 0))) for m in meetings]


def read_town_hall(
    session: Session, actor: Actor, town_hall_id: int
) -> tuple[TownHall, Sequence[ResourceRequest]]:
    """A meeting and its follow-up requests, in the order they were filed."""
    meeting = get(session, town_hall_id)
    items = session.scalars(
        select(ResourceRequest)
        .join(TownHallItem, TownHallItem.request_id == ResourceRequest.id)
        .where(TownHallItem.town_hall_id == meeting.id)
        .order_by(ResourceRequest.id)
    ).all()
    audit.record(session, actor, "read", "town_hall", meeting.id, requests=[r.id for r in items])
    return meeting, items


def add_follow_up(
    session: Session,
    actor: Actor,
    *,
    town_hall_id: int,
    community_area: int,
    need: str,
    description: str,
    club_id: int | None = None,
) -> ResourceRequest:
    """File a follow-up of a held meeting as a resource request (for a club, if one raised it:
    the request is then its organisation's) and link it to the meeting."""
    meeting = get(session, town_hall_id)
    if meeting.status != S.held.value:
        raise Conflict(f"town hall {meeting.id} is {meeting.status}: follow-ups come after it")
    organisation_id = None
    if club_id is not None:
        club = session.get(BlockClub, club_id)
        if club is None:
            raise NotFound(f"block club {club_id} not found")
        organisation_id = club.unit_id
    item = file_request(
        session,
        actor,
        community_area=community_area,
        need=need,
        description=description,
        organisation_id=organisation_id,
    )
    session.add(TownHallItem(town_hall_id=meeting.id, request_id=item.id))
    session.flush()
    audit.record(session, actor, "create", "town_hall_item", item.id, town_hall_id=meeting.id)
    return item


def per_district(session: Session) -> list[dict[str, int]]:
    """Per district: meetings held, scheduled and cancelled, and follow-ups open and closed.
    Counts only: no titles, agendas or follow-up wording."""
    rows: dict[int, Counter[str]] = defaultdict(Counter)
    meetings = select(TownHall.district, TownHall.status, func.count()).group_by(
        TownHall.district, TownHall.status
    )
    for district, status, n in session.execute(meetings):
        rows[district][status] += n
    for district, (n_open, n_closed) in follow_up_counts(session, TownHall.district).items():
        rows[district]["follow_ups_open"] += n_open
        rows[district]["follow_ups_closed"] += n_closed
    return [{"district": d, **{f: rows[d][f] for f in DISTRICT_FIELDS}} for d in sorted(rows)]
