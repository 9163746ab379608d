"""Tables for people: clearance by period of offense and by period cleared, side by side.

Every column is named by its definition (:func:`columns`): the **cohort rate** follows the
offenses of a period and the share of them cleared to date; the **in-year UCR rate** divides
the clearances recorded in a period, whatever the offense date, by the period's offenses (so it
can exceed 100%). Both can be counted per victim (one offense per victim, as UCR counts
homicides and as CPD's FOIA file has its rows) or per incident (distinct case/RD number).
Periods before the records' complete coverage (:func:`~safer77.service.clearance.complete_from`)
keep their counts but show no rates.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy.orm import Session

from safer77.errors import InvalidInput
from safer77.service.caseload import outcomes, outcomes_by_case
from safer77.service.clearance import (
    FULL_SHARE,
    OPEN_SHARE,
    Grain,
    Outcome,
    by_incident,
    by_offense_cohort,
    by_period_cleared,
    complete_from,
)

Count = Literal["victims", "incidents"]
COUNTED = {"victims": "victim", "incidents": "incident"}


def columns(grain: Grain) -> dict[str, tuple[str, str]]:
    """Each output column: its key (CSV header, JSON key), its table header and its
    definition (the docs and the legend under the table print these)."""
    p = grain  # "year" or "month"
    return {
        "period": (p, f"the {p} (of the offense for the cohort, of the clearance for UCR)"),
        "counted_by": (
            "counted by",
            "`victim`: one offense per victim, as UCR counts homicides (one row of CPD's FOIA "
            "file); `incident`: one per distinct case (RD) number",
        ),
        "offenses": ("offenses", f"offenses that happened in the {p}"),
        "cohort_cleared_to_date": (
            "cohort: cleared to date",
            f"of the {p}'s offenses, those cleared by the as-of date, whenever cleared",
        ),
        "cohort_by_arrest": ("cohort: by arrest", "of those, cleared by arrest"),
        "cohort_exceptional": ("cohort: exceptionally", "of those, cleared exceptionally"),
        "cohort_rate": (
            "cohort rate",
            f"cohort_cleared_to_date / offenses: the share of the {p}'s offenses cleared to "
            "date (at most 100%)",
        ),
        "cohort_arrest_rate": ("cohort arrest rate", "cohort_by_arrest / offenses"),
        f"ucr_cleared_in_{p}": (
            f"in-{p} UCR: cleared",
            f"clearances recorded in the {p}, whatever the offense date",
        ),
        f"ucr_by_arrest_in_{p}": (f"in-{p} UCR: by arrest", "of those, by arrest"),
        f"ucr_exceptional_in_{p}": (f"in-{p} UCR: exceptionally", "of those, exceptionally"),
        f"ucr_of_earlier_offenses_in_{p}": (
            f"in-{p} UCR: of earlier offenses",
            f"of those, clearances of offenses from an earlier {p}",
        ),
        f"ucr_in_{p}_rate": (
            f"in-{p} UCR rate",
            f"ucr_cleared_in_{p} / offenses: clearances in the {p} over offenses in the {p}, "
            "as the FBI's UCR reports it; can exceed 100%",
        ),
        "coverage": (
            "coverage",
            "`complete`, or `incomplete` for a period before the first year the records hold "
            f"in full (offenses at least {FULL_SHARE:.0%} of the busiest year's, at least "
            f"{OPEN_SHARE:.0%} of them uncleared): its counts are shown, its rates are not",
        ),
    }


def _check(p: str | None, grain: str) -> str | None:
    if p is None:
        return None
    ok = len(p) == 4 and p.isdigit() if grain == "year" else len(p) == 7 and p[4] == "-"
    if not ok:
        raise InvalidInput(f"period {p!r} is not {'YYYY' if grain == 'year' else 'YYYY-MM'}")
    return p


def incomplete_note(start: int) -> str:
    return (
        f"incomplete: before {start}, the first year the records hold in full, they hold "
        "only some cases (in CPD's file, those cleared or updated since)"
    )


def _as_of(o: Outcome, day: date) -> Outcome:
    """The outcome as it stood on ``day``: a later clearance had not happened yet."""
    return (
        o if o.cleared_on is None or o.cleared_on <= day else Outcome(o.offense_date, count=o.count)
    )


def clearance_rows(
    rows: list[Outcome],
    *,
    grain: Grain = "year",
    start: str | None = None,
    end: str | None = None,
    as_of: date,
    count: Count = "victims",
) -> list[dict[str, Any]]:
    """One row per period (keys as :func:`columns`): offenses of the period and how many are
    cleared to date, and clearances made in the period (whatever the offense date)."""
    lo, hi = _check(start, grain), _check(end, grain)
    rows = [_as_of(o, as_of) for o in rows if o.offense_date <= as_of]
    cohort = {r.period: r for r in by_offense_cohort(rows, as_of=as_of, grain=grain)}
    made = {r.period: r for r in by_period_cleared(rows, grain)}
    full_from = complete_from(rows, as_of=as_of)
    keys = list(columns(grain))
    out = []
    for p in sorted(set(cohort) | set(made)):
        if (lo and p < lo) or (hi and p > hi):
            continue
        c, m = cohort.get(p), made.get(p)
        n = c.offenses if c else 0
        w = c.windows["to_date"] if c else None
        partial = full_from is not None and int(p[:4]) < full_from
        cleared, arrest = (w.cleared, w.arrest) if w else (0, 0)
        in_period = m.cleared if m else 0
        values = [
            p,
            COUNTED[count],
            n,
            cleared,
            arrest,
            w.exceptional if w else 0,
            cleared / n if n and not partial else None,
            arrest / n if n and not partial else None,
            in_period,
            m.cleared_arrest if m else 0,
            m.cleared_exceptional if m else 0,
            m.cleared_older if m else 0,
            in_period / n if n and not partial else None,
            incomplete_note(full_from) if partial and full_from is not None else "complete",
        ]
        out.append(dict(zip(keys, values, strict=True)))
    return out


def clearance_table(
    session: Session,
    *,
    grain: Grain = "year",
    start: str | None = None,
    end: str | None = None,
    crime_type: str | None = None,
    as_of: date | None = None,
    count: Count = "victims",
) -> list[dict[str, Any]]:
    """:func:`clearance_rows` over the service's case records, counted per victim (each case
    is one offense) or per incident (cases folded by case number)."""
    rows = (
        outcomes(session, crime_type=crime_type)
        if count == "victims"
        else by_incident(outcomes_by_case(session, crime_type=crime_type))
    )
    return clearance_rows(
        rows, grain=grain, start=start, end=end, as_of=as_of or date.today(), count=count
    )
