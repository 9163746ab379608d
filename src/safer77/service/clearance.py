"""UCR clearance from case records (pure functions over plain outcomes).

Two views, as the FBI's UCR program and researchers use them:

* **month cleared** (UCR "Return A" style): clearances are counted in the period they happen,
  whatever the offense date, so an old case cleared this month counts this month. The ratio to
  the period's offenses is a *clearance ratio* and can exceed 100%.
* **cohort**: the offenses of one period, and the share of them cleared within 30, 90 and 365
  days (and to date). A window that has not fully elapsed for every offense of the cohort is
  marked incomplete.

Clearance by arrest and exceptional clearance are always counted apart. Unfounded offenses are
not offenses and must be left out by the caller.

Offenses are counted per victim, as UCR counts homicides; :func:`by_incident` folds them into
one per incident (case/RD number), the unit newspapers often count. :func:`complete_from` finds
the first year a set of records holds in full, so that earlier years (where a release keeps
only the cases cleared or updated later) are not read as near-100% clearance.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from safer77.metrics.intervals import wilson
from safer77.schema import LOW_N_THRESHOLD

Kind = Literal["arrest", "exceptional"]
Grain = Literal["month", "year"]
WINDOWS: tuple[int, ...] = (30, 90, 365)
# A year is held in full when its offenses are at least FULL_SHARE of the busiest year's and at
# least OPEN_SHARE of them are uncleared (see complete_from).
FULL_SHARE = 0.25
OPEN_SHARE = 0.10


@dataclass(frozen=True)
class Outcome:
    """One offense (or ``count`` offenses alike): when it happened and, if cleared, when and
    how."""

    offense_date: date
    cleared_on: date | None = None
    kind: Kind | None = None
    count: int = 1

    def __post_init__(self) -> None:
        if (self.cleared_on is None) != (self.kind is None):
            raise ValueError("cleared_on and kind go together")


def period(day: date, grain: Grain) -> str:
    """``YYYY-MM`` or ``YYYY``."""
    return f"{day.year:04d}-{day.month:02d}" if grain == "month" else f"{day.year:04d}"


@dataclass
class ClearedRow:
    """Clearances counted in the period they happened (UCR month-cleared view)."""

    period: str
    offenses: int = 0
    cleared: int = 0
    cleared_arrest: int = 0
    cleared_exceptional: int = 0
    cleared_older: int = 0  # of ``cleared``: offenses from an earlier period

    @property
    def clearance_ratio(self) -> float | None:
        return self.cleared / self.offenses if self.offenses else None


def by_period_cleared(outcomes: Iterable[Outcome], grain: Grain = "month") -> list[ClearedRow]:
    """Offenses by the period they happened and clearances by the period they were made."""
    rows: dict[str, ClearedRow] = {}

    def row(key: str) -> ClearedRow:
        return rows.setdefault(key, ClearedRow(key))

    for o in outcomes:
        row(period(o.offense_date, grain)).offenses += o.count
        if o.cleared_on is None:
            continue
        r = row(period(o.cleared_on, grain))
        r.cleared += o.count
        if o.kind == "arrest":
            r.cleared_arrest += o.count
        else:
            r.cleared_exceptional += o.count
        if period(o.offense_date, grain) < r.period:
            r.cleared_older += o.count
    return [rows[k] for k in sorted(rows)]


@dataclass
class WindowCount:
    """Offenses of a cohort cleared within ``days`` of the offense."""

    days: int | None  # None: to date
    cleared: int = 0
    arrest: int = 0
    exceptional: int = 0
    complete: bool = True

    def rate(self, offenses: int) -> float | None:
        return self.cleared / offenses if offenses else None

    def interval(self, offenses: int) -> tuple[float, float] | None:
        return wilson(self.cleared, offenses) if offenses else None


@dataclass
class CohortRow:
    """The offenses of one period and how many were cleared within each window."""

    period: str
    offenses: int = 0
    windows: dict[str, WindowCount] = field(default_factory=dict)

    @property
    def low_n(self) -> bool:
        return self.offenses < LOW_N_THRESHOLD


def window_name(days: int | None) -> str:
    return "to_date" if days is None else f"{days}d"


def by_offense_cohort(
    outcomes: Iterable[Outcome],
    *,
    as_of: date,
    grain: Grain = "month",
    windows: Sequence[int] = WINDOWS,
) -> list[CohortRow]:
    """Cohort clearance by period of offense, within each window and to ``as_of``.

    A clearance after ``as_of`` is ignored (the view is as it stood that day); a window is
    incomplete when some offense of the cohort is younger than the window on ``as_of``.
    """
    spans: list[int | None] = [*sorted(windows), None]
    rows: dict[str, CohortRow] = {}
    for o in outcomes:
        if o.offense_date > as_of:
            continue
        key = period(o.offense_date, grain)
        r = rows.get(key)
        if r is None:
            r = rows[key] = CohortRow(key, windows={window_name(d): WindowCount(d) for d in spans})
        r.offenses += o.count
        cleared = o.cleared_on is not None and o.cleared_on <= as_of
        for days in spans:
            w = r.windows[window_name(days)]
            if days is not None and o.offense_date + timedelta(days=days) > as_of:
                w.complete = False
            if not cleared or o.cleared_on is None:
                continue
            if days is not None and (o.cleared_on - o.offense_date).days > days:
                continue
            w.cleared += o.count
            if o.kind == "arrest":
                w.arrest += o.count
            else:
                w.exceptional += o.count
    return [rows[k] for k in sorted(rows)]


def window_figures(row: CohortRow) -> list[dict[str, Any]]:
    """Each window of a cohort with its rate and 95% interval (for the API and the export)."""
    out = []
    for name, w in row.windows.items():
        ci = w.interval(row.offenses)
        out.append(
            {
                "window": name,
                "cleared": w.cleared,
                "arrest": w.arrest,
                "exceptional": w.exceptional,
                "rate": w.rate(row.offenses),
                "ci_low": ci[0] if ci else None,
                "ci_high": ci[1] if ci else None,
                "complete": w.complete,
            }
        )
    return out


def cleared_figures(row: ClearedRow) -> dict[str, Any]:
    """A month-cleared row with its ratio (for the API and the export)."""
    return {**asdict(row), "clearance_ratio": row.clearance_ratio}


def tally(outcomes: Iterable[Outcome]) -> dict[str, int]:
    """Totals (offenses, cleared, by arrest, exceptional), for summaries and checks."""
    counts: dict[str, int] = defaultdict(int)
    for o in outcomes:
        counts["offenses"] += o.count
        if o.kind is not None:
            counts["cleared"] += o.count
            counts[f"cleared_{o.kind}"] += o.count
    return dict(counts)


def by_incident(victims: Iterable[tuple[Hashable, Outcome]]) -> list[Outcome]:
    """One outcome per incident from ``(incident key, outcome)`` pairs counted per victim.

    An incident happened on the earliest offense date of its victims. It is cleared when any
    of its victims' offenses is cleared, on the earliest such date, and by arrest when an
    arrest cleared one of them that day (a clearance by arrest is never hidden by an
    exceptional one of the same day).
    """
    first: dict[Hashable, date] = {}
    cleared: dict[Hashable, tuple[date, int]] = {}  # (date, 0 arrest / 1 exceptional)
    for key, o in victims:
        if key not in first or o.offense_date < first[key]:
            first[key] = o.offense_date
        if o.cleared_on is not None:
            mark = (o.cleared_on, 0 if o.kind == "arrest" else 1)
            if key not in cleared or mark < cleared[key]:
                cleared[key] = mark
    out = []
    for key, day in first.items():
        done = cleared.get(key)
        if done is None:
            out.append(Outcome(day))
        else:
            out.append(Outcome(day, done[0], "arrest" if done[1] == 0 else "exceptional"))
    return out


def complete_from(outcomes: Iterable[Outcome], *, as_of: date) -> int | None:
    """The first year the records hold in full, or None when no year qualifies.

    A release such as CPD's homicide FOIA file covers a span of years, yet also keeps older
    cases that were cleared or updated during that span. Those older years hold a handful of
    offenses, nearly all cleared: a selection on the outcome, not a cohort. A year is held in
    full when its offenses number at least ``FULL_SHARE`` of the busiest year's and at least
    ``OPEN_SHARE`` of them are still uncleared on ``as_of``; every year from the first such
    year on counts as covered (so the current, partial year is not flagged), every year
    before it as incomplete.
    """
    offenses: Counter[int] = Counter()
    still_open: Counter[int] = Counter()
    for o in outcomes:
        if o.offense_date > as_of:
            continue
        offenses[o.offense_date.year] += o.count
        if o.cleared_on is None or o.cleared_on > as_of:
            still_open[o.offense_date.year] += o.count
    return first_complete_year({y: (n, still_open[y]) for y, n in offenses.items()})


def first_complete_year(years: dict[int, tuple[int, int]]) -> int | None:
    """:func:`complete_from`'s rule on yearly (offenses, still uncleared) counts."""
    if not years:
        return None
    busiest = max(n for n, _ in years.values())
    for year in sorted(years):
        n, still_open = years[year]
        if n >= FULL_SHARE * busiest and still_open >= OPEN_SHARE * n:
            return year
    return None
