"""Request and response models, one per direction, so private fields cannot leak."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from safer77.service.permissions import Role
from safer77.service.release import OverdueReason, Stage
from safer77.service.workflow import CaseStatus, ExceptionalCode

# no control characters (PostgreSQL refuses NUL; none belong in a record); tabs and newlines
# are fine in free text
PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=PRINTABLE)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=ONE_LINE)
]
CaseNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{1,2}[0-9]{5,7}$")
]
Version = Annotated[
    int, Field(ge=1, le=2**31 - 1, description="The version you read (409 if stale).")
]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Area = Annotated[int, Field(ge=1, le=77)]
District = Annotated[int, Field(ge=1, le=31)]
Beat = Annotated[int, Field(ge=111, le=3100)]
EARLIEST = date(1900, 1, 1)
HORIZON = timedelta(days=366)  # "a year from now", leap years included


def in_range(day: date) -> None:
    """A date the service takes: from 1900 to a year from today (a case dated 9999 could never
    change status: every later date must follow it)."""
    if not EARLIEST <= day <= date.today() + HORIZON:
        raise ValueError("must be between 1900-01-01 and a year from today")


def _stamp(value: datetime) -> datetime:
    in_range(value.date())
    return value


def _day(value: date) -> date:
    in_range(value)
    return value


Stamp = Annotated[
    datetime,
    AfterValidator(_stamp),
    Field(description="Local date and time, 1900 to a year from now, e.g. 2024-05-01T13:30:00"),
]
Day = Annotated[date, AfterValidator(_day), Field(description="A date, 1900 to a year from now.")]
Short = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=ONE_LINE)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Login(Strict):
    username: Short
    password: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=ONE_LINE)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class Refresh(Strict):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=2048)]


Password = Annotated[str, StringConstraints(min_length=10, max_length=200, pattern=ONE_LINE)]


class UserCreate(Strict):
    username: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{2,63}$")]
    password: Password
    role: Role
    unit: Name | None = None


class RoleChange(Strict):
    role: Role
    unit: Name | None = None


class PasswordReset(Strict):
    password: Password


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    role: Role
    unit_id: int | None
    active: bool


class CaseCreate(Strict):
    case_number: CaseNumber
    crime_type: Short
    iucr: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{3,4}$")] | None = None
    offense_at: Stamp
    block: Name | None = None
    location_description: Name | None = None
    district: District | None = None
    beat: Beat | None = None
    community_area: Area | None = None
    unit: Name | None = Field(default=None, description="Defaults to a detective's own unit.")
    summary: Text | None = None


class FromIncident(Strict):
    incident_id: Annotated[int, Field(ge=1, le=2**62)]
    unit: Name | None = None


class CaseUpdate(Strict):
    version: Version
    crime_type: Short | None = None
    block: Name | None = None
    location_description: Name | None = None
    district: District | None = None
    beat: Beat | None = None
    community_area: Area | None = None
    summary: Text | None = None


class TransitionIn(Strict):
    version: Version
    to_status: CaseStatus
    reason: Text
    exceptional_code: ExceptionalCode | None = None
    effective_on: Day | None = Field(
        default=None, description="Date of the change (default today; never in the future)."
    )


class AssignIn(Strict):
    version: Version
    detective_id: Id | None = None
    unit: Name | None = None
    reason: Text


class NoteIn(Strict):
    text: Text


class CasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    case_number: str
    source: str
    crime_type: str
    iucr: str | None
    offense_at: datetime
    block: str | None
    location_description: str | None
    district: int | None
    beat: int | None
    community_area: int | None
    unit_id: int | None
    lead_detective_id: int | None
    status: CaseStatus
    exceptional_code: ExceptionalCode | None
    cleared_on: date | None
    opened_at: datetime
    last_activity_at: datetime
    version: int


class CaseEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    user_id: int | None
    kind: str
    from_status: str | None
    to_status: str | None
    exceptional_code: str | None
    reason: str | None


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    detective_id: int | None
    unit_id: int | None
    assigned_at: datetime
    assigned_by: int | None
    ended_at: datetime | None
    reason: str | None


class CaseDetail(CasePublic):
    summary: str | None
    victim_sex: str | None
    victim_age: int | None
    events: list[CaseEventOut]
    assignments: list[AssignmentOut]


class EvidenceCreate(Strict):
    item_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=ONE_LINE)
    ]
    kind: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=ONE_LINE)
    ]
    description: Text | None = None
    collected_at: Stamp
    holder: Name
    location: Name


class EvidenceUpdate(Strict):
    version: Version
    description: Text | None = None
    submitted_at: Stamp | None = None
    lab_requested_at: Stamp | None = None
    lab_result_at: Stamp | None = None


class CustodyIn(Strict):
    version: Version
    to_holder: Name
    location: Name
    purpose: Text | None = None
    at: Stamp | None = None


class CustodyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: datetime
    from_holder: str | None
    to_holder: str
    location: str
    purpose: str | None
    recorded_by: int | None


class FileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    filename: str
    sha256: str
    size: int
    uploaded_at: datetime


class EvidencePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    case_id: int
    item_number: str
    kind: str
    description: str | None
    collected_at: datetime
    submitted_at: datetime | None
    lab_requested_at: datetime | None
    lab_result_at: datetime | None
    holder: str
    location: str
    version: int


class EvidenceDetail(EvidencePublic):
    custody: list[CustodyOut]
    files: list[FileOut]


class BacklogItem(EvidencePublic):
    days_at_lab: int


class DetectiveLoad(BaseModel):
    detective_id: int
    unit_id: int | None
    open_cases: int
    open_homicides: int
    homicide_gauge: Literal["ok", "high", "over"]


class UnitLoad(BaseModel):
    unit_id: int | None
    open_cases: int


class InactiveCase(CasePublic):
    days_inactive: int


class ClearedPeriod(BaseModel):
    period: str
    offenses: int
    cleared: int
    cleared_arrest: int
    cleared_exceptional: int
    cleared_older: int
    clearance_ratio: float | None
    definition: str = "ucr_clearance"


class CohortWindow(BaseModel):
    window: str
    cleared: int
    arrest: int
    exceptional: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    complete: bool


class CohortPeriod(BaseModel):
    period: str
    offenses: int
    low_n: bool
    windows: list[CohortWindow]
    definition: str = "ucr_clearance_cohort"


class ReleaseCreate(Strict):
    kind: Literal["use_of_force", "body_camera"]
    incident_date: Day
    district: District | None = None
    beat: Beat | None = None
    case_id: Id | None = None
    notified_on: Day | None = None


class StageIn(Strict):
    version: Version
    stage: Stage
    on: Day


class ReasonIn(Strict):
    version: Version
    reason_code: OverdueReason


class ReleasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    source: str
    source_key: str
    incident_date: date
    due_date: date
    report_status: str | None
    district: int | None
    beat: int | None
    case_id: int | None
    stage: Stage
    notified_on: date | None
    footage_received_on: date | None
    redacted_on: date | None
    posted_on: date | None
    reason_code: str | None
    version: int


class OverdueItem(ReleasePublic):
    days_late: int
    reason: str


class OnTimeMonth(BaseModel):
    month: str
    due: int
    on_time: int
    late: int
    pending: int
    on_time_rate: float | None
    ci_low: float | None
    ci_high: float | None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    user_id: int | None
    role: str | None
    action: str
    entity: str
    entity_id: str | None
    detail: dict[str, Any] | None


PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]


Need = Literal[
    "street_light",
    "litter",
    "graffiti",
    "vacant_lot",
    "abandoned_building",
    "food_access",
    "health_care",
    "internet_access",
    "housing",
    "other",
]


class RequestCreate(Strict):
    community_area: Area
    need: Need
    description: Text
    organisation_id: Id | None = Field(
        default=None, description="Coordinators filing for an organisation; ignored otherwise."
    )


class RequestStatusIn(Strict):
    version: Version
    to_status: Literal["in_progress", "resolved", "declined"]
    note: Text | None = None
    outcome: Text | None = None


class RequestFields(BaseModel):
    """A request as anyone who may see it reads it (a town-hall follow-up too), without whose
    it is."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    community_area: int
    need: str
    description: str
    department: str
    status: str
    filed_on: date
    due_on: date
    closed_on: date | None
    outcome: str | None
    version: int
    overdue: bool = False


class RequestPublic(RequestFields):
    organisation_id: int | None


class RequestEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: datetime
    user_id: int | None
    from_status: str | None
    to_status: str
    note: str | None


class RequestDetail(RequestPublic):
    events: list[RequestEventOut]


class RequestSummary(BaseModel):
    department: str
    community_area: int
    filed: int
    open: int
    open_overdue: int
    closed: int
    closed_on_time: int
    median_days_to_close: float | None
