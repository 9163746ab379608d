"""Town-hall meetings per district, and their follow-ups (resource requests)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from safer77.service import town_halls as th
from safer77.service.clock import local_today
from safer77.service.deps import Responses, SessionDep, TownHallsManage, TownHallsRead
from safer77.service.models import ResourceRequest, TownHall
from safer77.service.requests import is_overdue
from safer77.service.schemas import PathId
from safer77.service.schemas_civic import (
    FollowUpCreate,
    FollowUpOut,
    TownHallCreate,
    TownHallDetail,
    TownHallPublic,
    TownHallUpdate,
)

router = APIRouter(prefix="/town-halls", tags=["town halls"])
NOT_FOUND: Responses = {404: {"description": "No such town hall (or block club)"}}
CONFLICT: Responses = {409: {"description": "Stale version or not allowed in its status"}}


def _public(meeting: TownHall, n_open: int = 0, n_closed: int = 0) -> TownHallPublic:
    return TownHallPublic.model_validate(meeting).model_copy(
        update={"follow_ups_open": n_open, "follow_ups_closed": n_closed}
    )


def _follow_up(item: ResourceRequest, session: SessionDep) -> FollowUpOut:
    late = is_overdue(item, local_today(session))
    return FollowUpOut.model_validate(item).model_copy(update={"overdue": late})


def _counted(meeting: TownHall, session: SessionDep) -> TownHallPublic:
    counts = th.follow_up_counts(session, where=TownHall.id == meeting.id)
    return _public(meeting, *counts.get(meeting.id, (0, 0)))


@router.post("", status_code=201)
def create(body: TownHallCreate, actor: TownHallsManage, session: SessionDep) -> TownHallPublic:
    """Schedule a town hall (or record one already held)."""
    meeting = th.create(
        session,
        actor,
        district=body.district,
        held_on=body.held_on,
        title=body.title,
        agenda=body.agenda,
        status=th.TownHallStatus(body.status),
    )
    session.commit()
    return _public(meeting)


@router.get("")
def list_town_halls(
    actor: TownHallsRead,
    session: SessionDep,
    district: Annotated[int | None, Query(ge=1, le=31)] = None,
    status: th.TownHallStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[TownHallPublic]:
    """Meetings, latest first, with their open and closed follow-ups."""
    rows = th.list_town_halls(session, district=district, status=status, limit=limit)
    return [_public(*row) for row in rows]


@router.get("/{town_hall_id}", responses=NOT_FOUND)
def read_town_hall(
    town_hall_id: PathId, actor: TownHallsRead, session: SessionDep
) -> TownHallDetail:
    """A meeting, its agenda and its follow-ups with their requests' status."""
    meeting, items = th.read_town_hall(session, actor, town_hall_id)
    session.commit()
    base = _counted(meeting, session)
    return TownHallDetail(**base.model_dump(), follow_ups=[_follow_up(i, session) for i in items])


@router.patch("/{town_hall_id}", responses={**NOT_FOUND, **CONFLICT})
def update(
    town_hall_id: PathId, body: TownHallUpdate, actor: TownHallsManage, session: SessionDep
) -> TownHallPublic:
    """Edit a meeting, mark it held, cancel or reschedule it."""
    changes = body.model_dump(exclude={"version"}, exclude_unset=True)
    meeting = th.update(
        session, actor, town_hall_id=town_hall_id, version=body.version, changes=changes
    )
    session.commit()
    return _counted(meeting, session)


@router.post("/{town_hall_id}/follow-ups", status_code=201, responses={**NOT_FOUND, **CONFLICT})
def add_follow_up(
    town_hall_id: PathId, body: FollowUpCreate, actor: TownHallsManage, session: SessionDep
) -> FollowUpOut:
    """File a follow-up of a held meeting: a resource request, routed with its SLA."""
    item = th.add_follow_up(
        session,
        actor,
        town_hall_id=town_hall_id,
        community_area=body.community_area,
        need=body.need,
        description=body.description,
        club_id=body.club_id,
    )
    session.commit()
    return _follow_up(item, session)
