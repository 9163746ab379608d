"""The public release ledger: per incident month, how many records were posted on time, late,
are overdue now or not yet due, under a given deadline (pure).

The service's own clock is 30 days (:data:`safer77.service.release.RELEASE_DAYS`). The export
computes the ledger for every deadline in :data:`DEADLINES` (the platform's promise of 30
days, and COPA's 60 days for video) so that the public site can publish against either without
reading a single record: ``safer77 publish`` picks one (setting ``release_deadline_days``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from safer77.metrics.intervals import wilson
from safer77.service.release import RELEASE_DAYS

#: Deadlines the export publishes figures for: the platform's 30 days and COPA's 60.
DEADLINES = (RELEASE_DAYS, 60)

#: How long an unposted record has been overdue: (label, first day, last day or None).
OVERDUE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("1-30", 1, 30),
    ("31-90", 31, 90),
    ("91-365", 91, 365),
    ("over 365", 366, None),
)


@dataclass(frozen=True)
class Record:
    """What the ledger needs of one release record: no case, no person, no place finer than
    the month."""

    kind: str
    incident_date: date
    posted_on: date | None


def status(rec: Record, today: date, days: int) -> str:
    """``on_time`` (posted by the end of the due date), ``late`` (posted after it),
    ``overdue`` (unposted and past due) or ``pending`` (unposted, not yet past due)."""
    due = rec.incident_date + timedelta(days=days)
    if rec.posted_on is not None:
        return "on_time" if rec.posted_on <= due else "late"
    return "overdue" if today > due else "pending"


def ledger(records: Iterable[Record], today: date, days: int) -> list[dict[str, Any]]:
    """One row per kind and incident month, oldest first. The on-time share is over the
    records whose outcome is known (on time, late or overdue), with its 95% Wilson interval."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for r in records:
        key = (r.kind, f"{r.incident_date.year:04d}-{r.incident_date.month:02d}")
        row = counts.setdefault(key, dict.fromkeys(("on_time", "late", "overdue", "pending"), 0))
        row[status(r, today, days)] += 1
    out = []
    for (kind, month), c in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        decided = c["on_time"] + c["late"] + c["overdue"]
        low, high = wilson(c["on_time"], decided) if decided else (None, None)
        out.append(
            {
                "month": month,
                "kind": kind,
                "deadline_days": days,
                "records": sum(c.values()),
                **c,
                "on_time_rate": c["on_time"] / decided if decided else None,
                "ci_low": low,
                "ci_high": high,
                "as_of": today.isoformat(),
            }
        )
    return out


def overdue_bands(records: Iterable[Record], today: date, days: int) -> list[dict[str, Any]]:
    """Unposted records past due on ``today``, per kind and by how many days overdue (every
    band, zeros included)."""
    counts: dict[tuple[str, str], int] = {}
    kinds: set[str] = set()
    for r in records:
        kinds.add(r.kind)
        late = (today - (r.incident_date + timedelta(days=days))).days
        if r.posted_on is not None or late < 1:
            continue
        label = next(b for b, lo, hi in OVERDUE_BANDS if late >= lo and (hi is None or late <= hi))
        counts[(r.kind, label)] = counts.get((r.kind, label), 0) + 1
    return [
        {
            "kind": kind,
            "deadline_days": days,
            "days_overdue": label,
            "band": i,
            "records": counts.get((kind, label), 0),
            "as_of": today.isoformat(),
        }
        for kind in sorted(kinds)
        for i, (label, _, _) in enumerate(OVERDUE_BANDS)
    ]
