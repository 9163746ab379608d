"""Tables for people: clearance by period of offense and by period cleared, side by side."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy.orm import Session

from safer77.errors import InvalidInput
from safer77.service.caseload import outcomes
from safer77.service.clearance import by_offense_cohort, by_period_cleared


def _check(p: str | None, grain: str) -> str | None:
    if p is None:
        return None
    ok = len(p) == 4 and p.isdigit() if grain == "year" else len(p) == 7 and p[4] == "-"
    if not ok:
        raise InvalidInput(f"period {p!r} is not {'YYYY' if grain == 'year' else 'YYYY-MM'}")
    return p


def clearance_table(
    session: Session,
    *,
    grain: Literal["year", "month"] = "year",
    start: str | None = None,
    end: str | None = None,
    crime_type: str | None = None,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """One row per period: offenses of the period and how many are cleared to date (arrest,
    exceptional), and clearances made in the period (whatever the offense date)."""
    lo, hi = _check(start, grain), _check(end, grain)
    rows = outcomes(session, crime_type=crime_type)
    cohort = {
        r.period: r for r in by_offense_cohort(rows, as_of=as_of or date.today(), grain=grain)
    }
    made = {r.period: r for r in by_period_cleared(rows, grain)}
    out = []
    for p in sorted(set(cohort) | set(made)):
        if (lo and p < lo) or (hi and p > hi):
            continue
        c, m = cohort.get(p), made.get(p)
        n = c.offenses if c else 0
        w = c.windows["to_date"] if c else None
        out.append(
            {
                "period": p,
                "offenses": n,
                "cleared": w.cleared if w else 0,
                "by_arrest": w.arrest if w else 0,
                "exceptional": w.exceptional if w else 0,
                "clearance_rate": (w.cleared / n) if w and n else None,
                "arrest_rate": (w.arrest / n) if w and n else None,
                "cleared_in_period": m.cleared if m else 0,
                "in_period_by_arrest": m.cleared_arrest if m else 0,
                "in_period_exceptional": m.cleared_exceptional if m else 0,
                "in_period_older_offenses": m.cleared_older if m else 0,
            }
        )
    return out
