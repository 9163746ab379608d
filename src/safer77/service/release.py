"""The 30-day release clock for use-of-force and body-camera footage records (pure).

The Inspector General found 27% of incidents missed the deadline, largely through miscalculated
dates. The rule here is one line: due = incident date + 30 calendar days (``timedelta``, never
"one month"), so month ends and leap days cannot shift it. A record posted on its due date is on
time; one not posted by the end of its due date is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from safer77.metrics.intervals import wilson

RELEASE_DAYS = 30


class Stage(StrEnum):
    notified = "notified"
    footage_received = "footage_received"
    redacted = "redacted"
    posted = "posted"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


class OverdueReason(StrEnum):
    """Why a release is late (entered by staff; a default is derived from the stage)."""

    awaiting_footage = "awaiting_footage"
    redaction_backlog = "redaction_backlog"
    awaiting_posting = "awaiting_posting"
    legal_hold = "legal_hold"
    family_request = "family_request"
    technical = "technical"
    date_error = "date_error"


DEFAULT_REASON: dict[Stage, OverdueReason] = {
    Stage.notified: OverdueReason.awaiting_footage,
    Stage.footage_received: OverdueReason.redaction_backlog,
    Stage.redacted: OverdueReason.awaiting_posting,
}


def due_date(incident_date: date) -> date:
    """The last on-time day to post: incident date + 30 calendar days."""
    return incident_date + timedelta(days=RELEASE_DAYS)


def check_stage_order(current: Stage, target: Stage) -> bool:
    """Stages only move forward, one or more steps."""
    return STAGE_ORDER.index(target) > STAGE_ORDER.index(current)


def is_overdue(incident_date: date, posted_on: date | None, today: date) -> bool:
    """Not posted by the end of the due date (or posted after it)."""
    due = due_date(incident_date)
    if posted_on is not None:
        return posted_on > due
    return today > due


def days_late(incident_date: date, posted_on: date | None, today: date) -> int:
    """Days past due (0 when on time or not yet due)."""
    end = posted_on if posted_on is not None else today
    return max(0, (end - due_date(incident_date)).days)


@dataclass(frozen=True)
class Clock:
    """A record's release clock, as the overdue list and the monthly figures need it."""

    incident_date: date
    posted_on: date | None


@dataclass
class OnTimeRow:
    """Records due in one month: how many were (or are) posted on time."""

    month: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    pending: int = 0  # not yet due (or due today) and not posted

    @property
    def on_time_rate(self) -> float | None:
        decided = self.on_time + self.late
        return self.on_time / decided if decided else None

    @property
    def interval(self) -> tuple[float, float] | None:
        decided = self.on_time + self.late
        return wilson(self.on_time, decided) if decided else None


def monthly_on_time(clocks: Iterable[Clock], today: date) -> list[OnTimeRow]:
    """On-time share by the month the release was due."""
    rows: dict[str, OnTimeRow] = {}
    for c in clocks:
        due = due_date(c.incident_date)
        key = f"{due.year:04d}-{due.month:02d}"
        r = rows.setdefault(key, OnTimeRow(key))
        r.due += 1
        if c.posted_on is not None and c.posted_on <= due:
            r.on_time += 1
        elif is_overdue(c.incident_date, c.posted_on, today):
            r.late += 1
        else:
            r.pending += 1
    return [rows[k] for k in sorted(rows)]


def on_time_figures(row: OnTimeRow) -> dict[str, Any]:
    """A month's on-time share with its 95% interval (for the API and the export)."""
    ci = row.interval
    return {
        **asdict(row),
        "on_time_rate": row.on_time_rate,
        "ci_low": ci[0] if ci else None,
        "ci_high": ci[1] if ci else None,
    }
