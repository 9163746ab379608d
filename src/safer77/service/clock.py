"""Two clocks. System bookkeeping (audit rows, opened/last-activity stamps) is naive UTC.
Everything people enter or read as a time of day — offense, evidence and custody times, case
events, clearance and release dates, "today" — is naive local time in the city's zone
(setting ``timezone``), carried on each session as ``session.info["tz"]``."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

DEFAULT_TZ = "America/Chicago"


def zone(session: Session | None) -> ZoneInfo:
    return ZoneInfo(str(session.info.get("tz", DEFAULT_TZ)) if session is not None else DEFAULT_TZ)


def local_now(session: Session | None = None) -> datetime:
    """The city's wall-clock time now (naive)."""
    return datetime.now(zone(session)).replace(tzinfo=None, microsecond=0)


def local_today(session: Session | None = None) -> date:
    return local_now(session).date()


def to_local(value: datetime, session: Session | None = None) -> datetime:
    """A time from a request as naive local time: one with an offset is converted, one
    without is taken as local already."""
    if value.tzinfo is None:
        return value
    return value.astimezone(zone(session)).replace(tzinfo=None)
