"""Block clubs: the Coordination Center's registry of the community organisations.

A block club *is* the organisation its community users belong to: registering a club ties it
to the unit of that name (made if new), so a user added with ``--unit "<club name>"`` is one of
its members, files its requests and reads its club. The club's name is its unit's name (one
place, so a rename cannot leave members behind). A club names a contact *role* from a closed
list, never a person: there is no field a name, phone number or e-mail could go into.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from safer77.errors import Conflict, NotFound
from safer77.service import audit
from safer77.service.auth import COMMUNITY, Actor, own_unit
from safer77.service.cases import check_version
from safer77.service.models import BlockClub, Case, Unit, User
from safer77.service.permissions import Role


class ContactRole(StrEnum):
    president = "president"
    vice_president = "vice_president"
    secretary = "secretary"
    treasurer = "treasurer"
    block_captain = "block_captain"
    organiser = "organiser"


Club = tuple[BlockClub, str]  # the club and its (unit's) name
ClubSelect = Select[BlockClub, str]


def _select() -> ClubSelect:
    return select(BlockClub, Unit.name).join(Unit, Unit.id == BlockClub.unit_id)


def scoped(stmt: ClubSelect, actor: Actor) -> ClubSelect:
    """A community user sees its own club only (none without a unit)."""
    return own_unit(stmt, actor, BlockClub.unit_id)


def visible(session: Session, actor: Actor, club_id: int) -> Club:
    row = session.execute(scoped(_select().where(BlockClub.id == club_id), actor)).first()
    if row is None:
        raise NotFound(f"block club {club_id} not found")
    club, name = row
    return club, name


def _check_organisation(session: Session, unit: Unit) -> None:
    """A unit can become a block club once, and never a police unit (one with officers or
    cases)."""
    club = session.scalars(select(BlockClub.id).where(BlockClub.unit_id == unit.id)).first()
    if club is not None:
        raise Conflict(f"{unit.name!r} is already registered as block club {club}")
    officers = exists().where(User.unit_id == unit.id, User.role != Role.community.value)
    cases = exists().where(Case.unit_id == unit.id)
    if unit.kind != COMMUNITY or session.scalar(select(officers | cases)):
        raise Conflict(f"{unit.name!r} is a police unit, not a community organisation")


def register(
    session: Session, actor: Actor, *, name: str, community_area: int, contact_role: ContactRole
) -> Club:
    """Register a club over the unit called ``name`` (made if new; its community users, if
    any, become the club's members)."""
    unit = session.scalars(select(Unit).where(Unit.name == name)).first()
    if unit is None:
        unit = Unit(name=name, kind=COMMUNITY)
        session.add(unit)
        session.flush()
    else:
        _check_organisation(session, unit)
    club = BlockClub(
        unit_id=unit.id,
        community_area=community_area,
        contact_role=contact_role.value,
        active=True,
        created_at=audit.now(),
    )
    session.add(club)
    session.flush()
    audit.record(session, actor, "create", "block_club", club.id, unit_id=unit.id)
    return club, unit.name


def update(
    session: Session, actor: Actor, *, club_id: int, version: int, changes: dict[str, Any]
) -> Club:
    """Rename (the unit too), move, change the contact role, or (de)activate a club."""
    club, name = visible(session, actor, club_id)
    check_version(club, version, "block club")
    fields = sorted(changes)
    new_name = changes.pop("name", None)
    if new_name is not None and new_name != name:
        if session.scalars(select(Unit.id).where(Unit.name == new_name)).first() is not None:
            raise Conflict(f"a unit called {new_name!r} already exists")
        session.get_one(Unit, club.unit_id).name = new_name
        name = new_name
    for field, value in changes.items():
        if value is not None:
            setattr(club, field, value.value if isinstance(value, StrEnum) else value)
    # a rename alone changes only the unit's row: bump the club's version all the same, so an
    # edit made from the old version is stale
    flag_modified(club, "active")
    session.flush()
    audit.record(session, actor, "update", "block_club", club.id, fields=fields)
    return club, name


def list_clubs(
    session: Session,
    actor: Actor,
    *,
    community_area: int | None = None,
    active: bool | None = None,
) -> list[Club]:
    """Clubs the actor may see (a community user: its own), by area and name."""
    stmt = scoped(_select(), actor)
    if community_area is not None:
        stmt = stmt.where(BlockClub.community_area == community_area)
    if active is not None:
        stmt = stmt.where(BlockClub.active == active)
    rows = [(c, n) for c, n in session.execute(stmt.order_by(BlockClub.community_area, Unit.name))]
    audit.record(session, actor, "read", "block_club_list", None, ids=[c.id for c, _ in rows])
    return rows


def read_club(session: Session, actor: Actor, club_id: int) -> Club:
    club = visible(session, actor, club_id)
    audit.record(session, actor, "read", "block_club", club_id)
    return club


def per_area(session: Session) -> list[dict[str, int]]:
    """Active clubs per community area: counts only, nothing that names a club or a contact."""
    stmt = (
        select(BlockClub.community_area, func.count())
        .where(BlockClub.active.is_(True))
        .group_by(BlockClub.community_area)
        .order_by(BlockClub.community_area)
    )
    return [{"community_area": area, "clubs": n} for area, n in session.execute(stmt)]
