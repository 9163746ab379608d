"""Request and response models of block clubs and town halls (kept apart from schemas.py,
which is long enough), one per direction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from safer77.service.clubs import ContactRole
from safer77.service.schemas import (
    ONE_LINE,
    Area,
    Day,
    District,
    Id,
    Name,
    Need,
    RequestFields,
    Strict,
    Text,
    Version,
)
from safer77.service.town_halls import TownHallStatus

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=ONE_LINE)
]
ClubName = Annotated[Name, Field(description="The club's name: its organisation's unit name.")]
Contact = Annotated[ContactRole, Field(description="Whom to contact, as a role: never a person.")]


class ClubCreate(Strict):
    name: ClubName
    community_area: Area
    contact_role: Contact


class ClubUpdate(Strict):
    version: Version
    name: ClubName | None = None
    community_area: Area | None = None
    contact_role: Contact | None = None
    active: bool | None = None


class ClubPublic(BaseModel):
    id: int
    name: str
    organisation_id: int = Field(description="The club's unit: its requests' organisation_id.")
    community_area: int
    contact_role: str
    active: bool
    created_at: datetime
    version: int


class TownHallCreate(Strict):
    district: District
    held_on: Day
    title: Title
    agenda: Text
    status: Literal["scheduled", "held"] = "scheduled"


class TownHallUpdate(Strict):
    version: Version
    district: District | None = None
    held_on: Day | None = None
    title: Title | None = None
    agenda: Text | None = None
    status: TownHallStatus | None = None


class TownHallPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    district: int
    held_on: date
    title: str
    agenda: str
    status: str
    created_by: int | None
    version: int
    follow_ups_open: int = 0
    follow_ups_closed: int = 0


class FollowUpCreate(Strict):
    community_area: Area
    need: Need
    description: Text
    club_id: Id | None = Field(
        default=None, description="The block club that raised it: the request becomes its own."
    )


class FollowUpOut(RequestFields):
    """A follow-up item: its resource request (``id``), whose status it has."""


class TownHallDetail(TownHallPublic):
    follow_ups: list[FollowUpOut]
