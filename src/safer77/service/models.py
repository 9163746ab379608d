"""SQLAlchemy 2 models of the service's tables (the Alembic migrations create them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # police (detectives' units, cases) or community (block clubs, organisations): a user
    # sits only in a unit of its role's kind
    kind: Mapped[str] = mapped_column(String(16), server_default="police")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # tokens issued before this (UTC) no longer count: set on deactivation, a role change and
    # a password reset
    tokens_after: Mapped[datetime | None] = mapped_column(DateTime)


class Case(Base):
    """One offense under investigation (homicides: one per victim, as UCR counts them)."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("source", "source_key"),
        Index("ix_cases_unit_status", "unit_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(24))  # manual, portal, cpd-homicides
    source_key: Mapped[str] = mapped_column(String(64))
    crime_type: Mapped[str] = mapped_column(String(64))
    iucr: Mapped[str | None] = mapped_column(String(8))
    offense_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    block: Mapped[str | None] = mapped_column(String(80))
    location_description: Mapped[str | None] = mapped_column(String(80))
    district: Mapped[int | None] = mapped_column(Integer)
    beat: Mapped[int | None] = mapped_column(Integer)
    community_area: Mapped[int | None] = mapped_column(Integer)
    victim_sex: Mapped[str | None] = mapped_column(String(1))
    victim_age: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    lead_detective_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    exceptional_code: Mapped[str | None] = mapped_column(String(1))
    cleared_on: Mapped[date | None] = mapped_column(Date, index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CaseEvent(Base):
    """Every change to a case: who, when, what and why (the case's own history)."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))  # opened, transition, assignment, update, note
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    exceptional_code: Mapped[str | None] = mapped_column(String(1))
    reason: Mapped[str | None] = mapped_column(Text)


class Assignment(Base):
    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    detective_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("case_id", "item_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item_number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    collected_at: Mapped[datetime] = mapped_column(DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    lab_requested_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    lab_result_at: Mapped[datetime | None] = mapped_column(DateTime)
    holder: Mapped[str] = mapped_column(String(80))
    location: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CustodyEvent(Base):
    """One hand-off in an item's chain of custody."""

    __tablename__ = "custody_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    from_holder: Mapped[str | None] = mapped_column(String(80))
    to_holder: Mapped[str] = mapped_column(String(80))
    location: Mapped[str] = mapped_column(String(80))
    purpose: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class EvidenceFile(Base):
    """A file attached to an item: its SHA-256 and size (the bytes live in evidence storage)."""

    __tablename__ = "evidence_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Release(Base):
    """A use-of-force report or body-camera footage record and its 30-day release clock."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("source", "source_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # use_of_force, body_camera
    source: Mapped[str] = mapped_column(String(24))
    source_key: Mapped[str] = mapped_column(String(64))
    incident_date: Mapped[date] = mapped_column(Date, index=True)
    report_status: Mapped[str | None] = mapped_column(String(24))
    district: Mapped[int | None] = mapped_column(Integer)
    beat: Mapped[int | None] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    stage: Mapped[str] = mapped_column(String(24))
    notified_on: Mapped[date | None] = mapped_column(Date)
    footage_received_on: Mapped[date | None] = mapped_column(Date)
    redacted_on: Mapped[date | None] = mapped_column(Date)
    posted_on: Mapped[date | None] = mapped_column(Date)
    reason_code: Mapped[str | None] = mapped_column(String(24))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ResourceRequest(Base):
    """A need filed by a block club or community organisation, routed to a department, with an
    SLA clock, a status history and an outcome."""

    __tablename__ = "resource_requests"
    __table_args__ = (Index("ix_resource_requests_department_status", "department", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    community_area: Mapped[int] = mapped_column(Integer, index=True)
    need: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    filed_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    closed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RequestEvent(Base):
    __tablename__ = "request_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resource_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class BlockClub(Base):
    """A registered block club. Its unit is its organisation: the unit's community users are
    its members and file its requests; the club's name is the unit's name. It names a contact
    role (president, secretary...), never a person."""

    __tablename__ = "block_clubs"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    community_area: Mapped[int] = mapped_column(Integer, index=True)
    contact_role: Mapped[str] = mapped_column(String(24))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TownHall(Base):
    """A town-hall meeting of a police district, with its agenda."""

    __tablename__ = "town_halls"
    __table_args__ = (Index("ix_town_halls_district_held_on", "district", "held_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(120))
    agenda: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # scheduled, held, cancelled
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TownHallItem(Base):
    """A follow-up of a town hall: a resource request, worked through the request workflow."""

    __tablename__ = "town_hall_items"
    town_hall_id: Mapped[int] = mapped_column(ForeignKey("town_halls.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("resource_requests.id"), primary_key=True, unique=True
    )


class ReviewQueue(Base):
    """A restricted review queue published from a low-clearance study (``safer77 solve
    clusters --to-service``): its flagged groups and their unsolved cases."""

    __tablename__ = "review_queues"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # low_clearance, women_victims
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    parameters: Mapped[str] = mapped_column(Text)  # JSON: grouping, years, fdr, min_n...


class ReviewGroup(Base):
    """A flagged group of a queue and its test, as the study found it."""

    __tablename__ = "review_groups"
    __table_args__ = (UniqueConstraint("queue_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("review_queues.id"), index=True)
    key: Mapped[str] = mapped_column(Text)  # JSON, sorted keys: e.g. {"area": "7", "sex": "F"}
    cases: Mapped[int] = mapped_column(Integer)
    cleared: Mapped[int] = mapped_column(Integer)
    rate: Mapped[float] = mapped_column(Float)
    expected_rate: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    q_value: Mapped[float] = mapped_column(Float)
    missing: Mapped[str] = mapped_column(Text)  # JSON list: unsolved case numbers not in cases


class ReviewItem(Base):
    """One unsolved case of a flagged group, and where its review stands."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("group_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("review_groups.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    community_area: Mapped[int | None] = mapped_column(Integer)  # where the study placed it
    year: Mapped[int] = mapped_column(Integer)  # injury year
    status: Mapped[str] = mapped_column(String(16))  # pending, under_review, reopened, no_action
    note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class IntakeCall(Base):
    """A call taken in by the intake (a transit text or a call-taker's entry): what was said,
    the triage decision and where it stands in its responder's queue."""

    __tablename__ = "intake_calls"
    __table_args__ = (
        Index("ix_intake_calls_sender_received_at", "sender", "received_at"),
        Index("ix_intake_calls_status_responder", "status", "responder", "priority"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # text, call
    received_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sender: Mapped[str | None] = mapped_column(String(64))  # the gateway's opaque token
    station: Mapped[str | None] = mapped_column(String(64))
    route: Mapped[str | None] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(String(80))
    district: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    call_type: Mapped[str] = mapped_column(String(64))
    flags: Mapped[str] = mapped_column(String(64))  # comma-separated: weapon, violence, injury
    priority: Mapped[int] = mapped_column(Integer)
    responder: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(120))
    reasons: Mapped[str] = mapped_column(Text)  # JSON list
    status: Mapped[str] = mapped_column(String(16))  # queued, dispatched, closed
    note: Mapped[str | None] = mapped_column(Text)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class IntakeReject(Base):
    """A submission the intake refused (malformed, abusive, a repeat, over the rate limit),
    kept with its payload so nothing sent is lost."""

    __tablename__ = "intake_rejects"
    __table_args__ = (Index("ix_intake_rejects_sender_received_at", "sender", "received_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    reason: Mapped[str] = mapped_column(String(16))  # malformed, abusive, repeated, rate_limited
    status: Mapped[int] = mapped_column(Integer)  # the HTTP status answered
    detail: Mapped[str] = mapped_column(Text)  # the error message answered
    sender: Mapped[str | None] = mapped_column(String(64))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("intake_calls.id"))  # a repeat's call
    payload: Mapped[str] = mapped_column(Text)  # as received, truncated


class AuditEntry(Base):
    """Append-only (database triggers refuse DELETE, and every UPDATE but the sealing of an
    unsealed row), hash-chained. No personal
    data: ids only (and, for refusals, the client's address)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))  # create, update, delete, read, login
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # the hash chain (audit.chain_hash), set when the row is sealed (audit.seal, within a
    # second): its place in the chain, and a hash over its content and the previous row's
    # hash, so an edited, removed or inserted row breaks it (`service audit verify`)
    seq: Mapped[int | None] = mapped_column(Integer, index=True, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class Heartbeat(Base):
    """One row the readiness check rewrites: ``/health/ready`` answers 200 only when a
    committed write works (not on a read-only or full disk)."""

    __tablename__ = "service_heartbeat"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)


class LoginFailure(Base):
    """A login attempt that has not succeeded (recorded before the password is checked, and
    removed when it succeeds): what the throttle counts, per user name, address and in all."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))


class RevokedToken(Base):
    """A token (its ``jti``) or a whole sign-in session (its ``sid``) revoked before it
    expires: logout, a refresh token used twice. Checked on every request; a row is dropped
    once what it revokes has expired."""

    __tablename__ = "revoked_tokens"
    jti: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC
