"""The block-club registry: kept by the Coordination Center, each club reads its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from safer77.service import clubs
from safer77.service.deps import ClubsManage, ClubsRead, Responses, SessionDep
from safer77.service.schemas import PathId
from safer77.service.schemas_civic import ClubCreate, ClubPublic, ClubUpdate

router = APIRouter(prefix="/clubs", tags=["block clubs"])
NOT_FOUND: Responses = {404: {"description": "No such block club (or not your own)"}}
CONFLICT: Responses = {409: {"description": "Stale version, name taken, or a police unit"}}


def _public(row: clubs.Club) -> ClubPublic:
    club, name = row
    return ClubPublic(
        id=club.id,
        name=name,
        organisation_id=club.unit_id,
        community_area=club.community_area,
        contact_role=club.contact_role,
        active=club.active,
        created_at=club.created_at,
        version=club.version,
    )


@router.post("", status_code=201, responses=CONFLICT)
def register(body: ClubCreate, actor: ClubsManage, session: SessionDep) -> ClubPublic:
    """Register a club over the organisation (unit) of that name; its community users become
    its members."""
    row = clubs.register(
        session,
        actor,
        name=body.name,
        community_area=body.community_area,
        contact_role=body.contact_role,
    )
    session.commit()
    return _public(row)


@router.get("")
def list_clubs(
    actor: ClubsRead,
    session: SessionDep,
    community_area: Annotated[int | None, Query(ge=1, le=77)] = None,
    active: bool | None = None,
) -> list[ClubPublic]:
    """Registered clubs (a community user: its own), by area and name."""
    rows = clubs.list_clubs(session, actor, community_area=community_area, active=active)
    session.commit()
    return [_public(r) for r in rows]


@router.get("/{club_id}", responses=NOT_FOUND)
def read_club(club_id: PathId, actor: ClubsRead, session: SessionDep) -> ClubPublic:
    row = clubs.read_club(session, actor, club_id)
    session.commit()
    return _public(row)


@router.patch("/{club_id}", responses={**NOT_FOUND, **CONFLICT})
def update_club(
    club_id: PathId, body: ClubUpdate, actor: ClubsManage, session: SessionDep
) -> ClubPublic:
    """Rename, move, change the contact role, or deactivate (``active: false``) a club."""
    changes = body.model_dump(exclude={"version"}, exclude_unset=True)
    row = clubs.update(session, actor, club_id=club_id, version=body.version, changes=changes)
    session.commit()
    return _public(row)
