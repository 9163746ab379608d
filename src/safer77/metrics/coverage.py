"""Which months, crime types and geography levels the loaded files cover, and which figures
may therefore be published and compared.

The rules (docs/methodology.md, "Coverage"):

* A load is **general** when its file holds at least :data:`GENERAL_MIN_TYPES` primary types:
  it covers every crime type in the months it spans, so a type it has no row of counts as 0.
  A **narrow** file (a homicide extract, a carjacking layer) covers only the types it holds,
  and within them only its IUCR codes.
* A month is covered by a load only when the file spans the whole month: an edge month that the
  file starts or stops inside (the homicide file ends on 19 July 2023) is *partial*, and its
  figures are not published as the month's. A file's first and last rows may fall a little
  inside a month it covers (no crime happened in the first hour), so the edges are judged with
  a tolerance of three times the file's mean gap between rows, at least half a day.
* The **scope** of a figure (crime type or category, month) is "all crime types" where a general
  load covers the month, else the narrow loads' types (and IUCR codes) that fall in it; no scope
  means not covered: the month is a gap, never a zero.
* Two months are **comparable** only when both are covered with the same scope: a change is
  never shown between a month of all crimes and a month of homicides alone.
* A geography **level** (district, beat, community area) shows rates only where at least
  :data:`LEVEL_THRESHOLD` of the month's incidents record it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Final

import duckdb

from safer77.schema import PRIMARY_TYPE_CATEGORY
from safer77.warehouse.coverage import coverage_loads_sql, coverage_rows_sql
from safer77.warehouse.db import has_table

#: A file with at least this many primary types is taken to hold every type (a full extract
#: has 30 or more a month); one with fewer holds only the types it has.
GENERAL_MIN_TYPES: Final = 10

#: A full extract covers a month only where it holds at least this share of its busiest
#: month's rows (a year's months vary by less than half; an update file's old months hold a
#: handful of revised rows).
DENSE_SHARE: Final = 0.2

#: A level shows rates for a month only where at least this share of its incidents record it.
LEVEL_THRESHOLD: Final = 0.9

#: Levels whose filling is tracked, as the statistics name them, with the coverage column.
LEVELS: Final[dict[str, str]] = {
    "district": "district",
    "beat": "beat",
    "community-area": "community_area",
}
LEVEL_NOUN: Final[dict[str, str]] = {
    "district": "police district",
    "beat": "beat",
    "community-area": "community area",
    "ward": "ward",
    "point": "location (coordinates)",
}

#: The scope of a figure: the (type, IUCR codes) pairs its loads hold, or every type.
Scope = frozenset[tuple[str, tuple[str, ...]]]
ALL_TYPES: Final[Scope] = frozenset({("*", ())})

_VIOLENT_EXTRA: Final = ("ASSAULT", "BATTERY")  # count as violent/index when aggravated


def in_category(primary_type: str, ctype: str) -> bool:
    """Whether rows of ``primary_type`` can count in figure ``ctype`` (ALL, a category or a
    primary type)."""
    if ctype == "ALL":
        return True
    cat = PRIMARY_TYPE_CATEGORY.get(primary_type)
    if primary_type in _VIOLENT_EXTRA:
        cat = "violent"
    if ctype in ("violent", "property"):
        return cat == ctype
    if ctype == "index":
        return cat is not None
    return primary_type == ctype


def month_label(month: str) -> str:
    """``2022-11`` → ``November 2022``."""
    return date(int(month[:4]), int(month[5:7]), 1).strftime("%B %Y")


def _month_start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[5:7]), 1)


def next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def months_between(first: str, last: str) -> Iterator[str]:
    """Every month from ``first`` to ``last`` inclusive (YYYY-MM)."""
    m = first
    while m <= last:
        yield m
        m = next_month(m)


def shift_months(month: str, delta: int) -> str:
    """``month`` moved by ``delta`` months."""
    y, m = int(month[:4]), int(month[5:7]) - 1 + delta
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


@dataclass(frozen=True)
class LoadSpan:
    """What one load covers."""

    load_id: int
    file: str
    rows: int
    first: datetime | None
    last: datetime | None
    fields: frozenset[str]
    types: dict[str, tuple[str, ...]]  # primary type -> IUCR codes present (none: no IUCR)
    #: rows per month of occurrence (none given: every month is dense enough)
    month_rows: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return Path(self.file).name

    @property
    def general(self) -> bool:
        return len(self.types) >= GENERAL_MIN_TYPES

    @property
    def tolerance(self) -> timedelta:
        """How far inside a month its first or last row may fall for the month to count."""
        if self.first is None or self.last is None or self.rows < 2:
            return timedelta(hours=12)
        gap = (self.last - self.first) / (self.rows - 1)
        return max(timedelta(hours=12), 3 * gap)

    @cached_property
    def spans(self) -> dict[str, bool]:
        """Every month the file touches, and whether it spans the whole of it."""
        if self.first is None or self.last is None:
            return {}
        first, last = self.first.strftime("%Y-%m"), self.last.strftime("%Y-%m")
        tol = self.tolerance
        # a full extract holds every month of its span in bulk; an update file (the rows
        # revised since the last download) touches old months with a few rows only
        floor = DENSE_SHARE * max(self.month_rows.values(), default=0) if self.general else 0
        out = {}
        for m in months_between(first, last):
            start, stop = _month_start(m), _month_start(next_month(m))
            dense = not self.month_rows or self.month_rows.get(m, 0) >= floor
            out[m] = self.first <= start + tol and self.last >= stop - tol and dense
        return out

    def partial(self, month: str) -> str:
        """How the file covers a month it touches only in part, in words."""
        assert self.first is not None and self.last is not None
        start = max(self.first, _month_start(month))
        stop = min(self.last, _month_start(next_month(month)) - timedelta(seconds=1))
        if (
            start > _month_start(month) + self.tolerance
            or stop < _month_start(next_month(month)) - self.tolerance
        ):
            return f"{self.name} covers only {start.day} {start:%b} to {stop.day} {stop:%b %Y}"
        rows = self.month_rows.get(month, 0)
        return (
            f"{self.name} holds only {rows:,} rows of {month_label(month)}, against "
            f"{max(self.month_rows.values()):,} in its busiest month: an update, not a full extract"
        )

    def scope_for(self, ctype: str) -> Scope:
        if self.general:
            return ALL_TYPES
        return frozenset((t, codes) for t, codes in self.types.items() if in_category(t, ctype))


def scope_label(scope: Scope | None) -> str:
    """What a scope holds, in words."""
    if scope is None:
        return "not covered"
    if scope == ALL_TYPES:
        return "all crime types"
    parts = []
    for t, codes in sorted(scope):
        parts.append(f"{t} (IUCR {', '.join(codes)})" if codes else t)
    return ", ".join(parts) + " only"


@dataclass
class Coverage:
    """The coverage of a warehouse: its loads and, where the statistics exist, how much of
    each month's incidents record each geography level."""

    loads: list[LoadSpan]
    #: (level, crime type, month) -> share of the month's incidents that record the level
    shares: dict[tuple[str, str, str], float] = field(default_factory=dict)
    #: (crime type, month) -> the month's incidents (the city figure), where known
    totals: dict[tuple[str, str], int] = field(default_factory=dict)
    #: (primary type, month) -> rows loaded and rows filling each level, over every load
    filled: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    _scopes: dict[tuple[str, str], Scope | None] = field(default_factory=dict, repr=False)

    def scope(self, ctype: str, month: str) -> Scope | None:
        """The scope of figure ``ctype`` in ``month``, or None when nothing covers it."""
        key = (ctype, month)
        if key not in self._scopes:
            self._scopes[key] = self._scope(ctype, month)
        return self._scopes[key]

    def _scope(self, ctype: str, month: str) -> Scope | None:
        covering = [ld for ld in self.loads if ld.spans.get(month)]
        if any(ld.general for ld in covering):
            return ALL_TYPES
        merged: dict[str, set[str]] = defaultdict(set)
        for ld in covering:
            for t, codes in ld.scope_for(ctype):
                merged[t].update(codes)
        if not merged:
            return None
        return frozenset((t, tuple(sorted(c))) for t, c in merged.items())

    def uncovered_reason(self, ctype: str, month: str) -> str:
        """Why ``ctype`` in ``month`` is not covered (for a page's notice)."""
        label = month_label(month)
        partial = [ld for ld in self.loads if ld.spans.get(month) is False]
        partial = [ld for ld in partial if ld.general or ld.scope_for(ctype)]
        if partial:
            spans = "; ".join(ld.partial(month) for ld in sorted(partial, key=_key))
            return f"the loaded files cover only part of {label} ({spans})"
        return f"no loaded file covers {_what(ctype)} in {label}"

    def level_reason(self, level: str, ctype: str, month: str) -> str | None:
        """Why ``level`` shows no rates for ``ctype`` in ``month`` (None: it may)."""
        if level not in LEVELS:
            return None
        share = self.shares.get((level, ctype, month))
        if share is None or share >= LEVEL_THRESHOLD:
            return None
        missing = 100.0 * (1.0 - share)
        shown = f"{missing:.1f}".rstrip("0").rstrip(".")
        return (
            f"{LEVEL_NOUN[level]} not recorded for {shown}% of the {month_label(month)} "
            "incidents in the loaded files"
        )

    def comparable(self, ctype: str, month: str, other: str, level: str = "city") -> str | None:
        """None when ``month`` and ``other`` may be compared for ``ctype`` at ``level``; else
        the reason they may not ("not comparable: ...")."""
        here, there = self.scope(ctype, month), self.scope(ctype, other)
        if here is None:
            return f"not comparable: {self.uncovered_reason(ctype, month)}"
        if there is None:
            return f"not comparable: {self.uncovered_reason(ctype, other)}"
        if here != there:
            return (
                f"not comparable: {month_label(month)} holds {scope_label(here)}, "
                f"{month_label(other)} holds {scope_label(there)}"
            )
        for m in (month, other):
            reason = self.level_reason(level, ctype, m)
            if reason:
                return f"not comparable: {reason}"
        return None

    def window_comparable(self, ctype: str, months: Iterable[str], level: str = "city") -> bool:
        """Whether every month of a window is covered with one scope (and the level recorded)."""
        return self.window_reason(ctype, months, level) is None

    def window_reason(self, ctype: str, months: Iterable[str], level: str = "city") -> str | None:
        """None when every month of a window is covered with one scope and records the level;
        else why not, naming the first month that fails."""
        ms = list(months)
        if not ms:
            return "the window is empty"
        first = self.scope(ctype, ms[0])
        for m in ms:
            scope = self.scope(ctype, m)
            if scope is None:
                return self.uncovered_reason(ctype, m)
            if scope != first:
                return (
                    f"{month_label(ms[0])} holds {scope_label(first)}, "
                    f"{month_label(m)} holds {scope_label(scope)}"
                )
            reason = self.level_reason(level, ctype, m)
            if reason:
                return reason
        return None

    def months(self) -> list[str]:
        """Every month any load touches, in order."""
        found = {m for ld in self.loads for m in ld.spans}
        return sorted(found)

    def featured_month(self, ctype: str = "ALL") -> str | None:
        """The newest month where ``ctype`` covers every crime type; failing that, the newest
        month it is covered at all (a warehouse of narrow files)."""
        months = self.months()
        full = [m for m in months if self.scope(ctype, m) == ALL_TYPES]
        if full:
            return full[-1]
        some = [m for m in months if self.scope(ctype, m) is not None]
        return some[-1] if some else None

    def includes(self, month: str) -> list[str]:
        """What the month's figures include, load by load (for "what 'all' holds")."""
        out = []
        for ld in sorted(self.loads, key=_key):
            state = ld.spans.get(month)
            if state is None:
                continue
            what = "all crime types" if ld.general else scope_label(ld.scope_for("ALL"))
            part = "" if state else f" (partial: {ld.partial(month)})"
            out.append(f"{ld.name}: {what}{part}")
        return out


def cell_coverage(cov: Coverage, ctype: str, month: str, level: str = "city") -> str:
    """One cell's coverage in words: its scope, or why it is not covered or not recorded."""
    scope = cov.scope(ctype, month)
    if scope is None:
        return f"not covered: {cov.uncovered_reason(ctype, month)}"
    reason = cov.level_reason(level, ctype, month)
    return f"not recorded: {reason}" if reason else scope_label(scope)


def _key(ld: LoadSpan) -> int:
    return ld.load_id


def _what(ctype: str) -> str:
    return "any crime" if ctype == "ALL" else ctype


def knows_loads(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` is a warehouse whose incidents carry their loads (not a quick look at
    one file, nor a Parquet export read by another engine): only there is coverage known."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'incidents' "
        "AND column_name = 'load_id'"
    ).fetchall()
    return bool(rows[0][0])


def read_coverage(
    con: duckdb.DuckDBPyConnection, *, with_shares: bool = True, agency: str | None = None
) -> Coverage:
    """The warehouse's coverage (and, with ``with_shares`` and current statistics, the share
    of each month's incidents that record each level); ``agency``: its loads alone."""
    recorded = has_table(con, "coverage") and has_table(con, "coverage_loads")
    types: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    per_month: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    filled: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cur = con.execute(
        "SELECT load_id, primary_type, iucr, strftime(month, '%Y-%m'), rows, district, beat, "
        f"community_area, ward, point, arrest FROM ({coverage_rows_sql(recorded)})"
    )
    names = [d[0] for d in cur.description or []][4:]
    for lid, ptype, iucr, month, *counts in cur.fetchall():
        codes = types[int(lid)][str(ptype)]
        codes.update(c for c in str(iucr or "").split(",") if c)
        cell = filled[(str(ptype), str(month))]
        for name, n in zip(names, counts, strict=True):
            cell[name] += int(n)
        per_month[int(lid)][str(month)] += int(counts[0])
    loads = [
        LoadSpan(
            load_id=int(lid),
            file=str(file),
            rows=int(rows),
            first=first,
            last=last,
            fields=frozenset(str(fields).split(",")) - {""},
            types={t: tuple(sorted(c)) for t, c in types.get(int(lid), {}).items()},
            month_rows=dict(per_month.get(int(lid), {})),
        )
        for lid, file, who, rows, first, last, fields in con.execute(
            f"SELECT * FROM ({coverage_loads_sql(recorded)}) ORDER BY load_id"
        ).fetchall()
        if int(rows) > 0 and (agency is None or who == agency)
    ]
    cov = Coverage(loads, filled={k: dict(v) for k, v in filled.items()})
    if with_shares and agency is None and has_table(con, "stats_arrest_rate_proxy"):
        cov.shares, cov.totals = _shares(con)
    return cov


def _shares(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[tuple[str, str, str], float], dict[tuple[str, str], int]]:
    rows = con.execute(
        "SELECT level, crime_type, strftime(month, '%Y-%m'), sum(incidents) "
        "FROM stats_arrest_rate_proxy WHERE level = 'city' OR area_key <> '0' GROUP BY ALL"
    ).fetchall()
    totals = {(str(c), str(m)): int(n) for lv, c, m, n in rows if lv == "city"}
    shares = {
        (str(lv), str(c), str(m)): int(n) / totals[(str(c), str(m))]
        for lv, c, m, n in rows
        if lv != "city" and totals.get((str(c), str(m)))
    }
    # a level with no cell at all in a month recorded none of it
    for (c, m), n in totals.items():
        if n:
            for lv in LEVELS:
                shares.setdefault((lv, c, m), 0.0)
    return shares, totals


#: The coverage rules in words, for the methodology (docs and the site's page).
RULES: Final[tuple[str, ...]] = (
    "Each load records what its file covers: the months it spans, the crime types (primary "
    "types and IUCR codes) it holds, and per month and type how many rows record a police "
    "district, beat, community area, ward and coordinates. `safer77 coverage` shows it.",
    f"A file with at least {GENERAL_MIN_TYPES} primary types is a full extract: it covers "
    "every crime type in its months, so a type it has no row of counts as zero. A file with "
    "fewer (a homicide extract, a carjacking layer) covers only the types and IUCR codes it "
    "holds.",
    f"A full extract covers a month only where it holds at least {DENSE_SHARE:.0%} of its "
    "busiest month's rows: an update file (the rows revised since the last download) touches "
    "old months with a handful of rows and covers only the months it holds in bulk. "
    "A month counts as covered only when the file spans all of it. A file that starts or "
    "stops inside a month (the homicide file ends on 19 July 2023) covers that month only in "
    "part, and its figures are not published as the month's. A file's first and last rows "
    "may fall a little inside a month it covers, so the edges are judged with a tolerance of "
    "three times the file's mean gap between rows, and at least half a day.",
    "A figure's scope is 'all crime types' where a full extract covers the month, and "
    "otherwise the types the narrow files hold. A month no file covers is a gap in tables "
    "and charts, never a zero; a covered month with no incident is a zero.",
    "A change (on a year earlier, over twelve months, in a chart or a ranking window) is "
    "shown only between months covered with the same scope; otherwise the page says 'not "
    "comparable' and why. The default month of the site is the newest month that a full "
    "extract covers.",
    f"A level (district, beat, community area) shows figures for a month only where at "
    f"least {LEVEL_THRESHOLD:.0%} of the month's incidents record it; otherwise its pages "
    "say what share is not recorded. Community area 0, which some files carry, is not one "
    "of the 77 areas and counts as not recorded.",
)
