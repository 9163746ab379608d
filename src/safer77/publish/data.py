"""Everything the site shows, read from the warehouse's stored statistics in a few queries.

The site reads only public aggregates (stats tables, boundaries, the load log): never row-level
incidents, so nothing on it can point to a person.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import shapely

from safer77.errors import NotFound
from safer77.geo.search import zip_overlaps
from safer77.metrics.coverage import Coverage, Scope, month_label, read_coverage, shift_months
from safer77.metrics.stats import compute_all, stats_are_current
from safer77.publish.maps import Shape
from safer77.publish.profile import population

LEVEL_KIND = {"community-area": "community_areas", "district": "districts"}

#: The Chicago Police Department's names for its 22 districts since the 2012 consolidation,
#: as the City's "Police Stations" dataset (data.cityofchicago.org, z8bn-74gv) gives them.
DISTRICT_NAMES = {
    1: "Central",
    2: "Wentworth",
    3: "Grand Crossing",
    4: "South Chicago",
    5: "Calumet",
    6: "Gresham",
    7: "Englewood",
    8: "Chicago Lawn",
    9: "Deering",
    10: "Ogden",
    11: "Harrison",
    12: "Near West",
    14: "Shakespeare",
    15: "Austin",
    16: "Jefferson Park",
    17: "Albany Park",
    18: "Near North",
    19: "Town Hall",
    20: "Lincoln",
    22: "Morgan Park",
    24: "Rogers Park",
    25: "Grand Central",
}


@dataclass(frozen=True)
class Cell:
    """One month of one statistic (definition: arrest_rate_proxy)."""

    month: str
    incidents: int
    arrests: int | None
    rate: float | None
    low: float | None
    high: float | None
    low_n: bool


@dataclass(frozen=True)
class Place:
    """A community area or district: its number, name and page."""

    level: str
    key: str
    name: str
    slug: str
    known_as: str = ""  # a district's name ("Englewood" for District 7)

    @property
    def title(self) -> str:
        if self.level == "community-area":
            return f"{self.name} ({self.key})"
        return f"{self.name} ({self.known_as})" if self.known_as else self.name


@dataclass
class SiteData:
    """The figures of one site build."""

    month: str
    months: list[str]
    series: dict[tuple[str, str, str], list[Cell]]
    yoy: dict[tuple[str, str, str], dict[str, Any]]
    open_age: dict[tuple[str, str, str], dict[str, int]]
    places: dict[str, list[Place]]
    shapes: dict[str, list[Shape]]
    loads: list[dict[str, object]] = field(default_factory=list)
    crime_types: list[str] = field(default_factory=list)
    coverage: Coverage = field(default_factory=lambda: Coverage([]))
    population: dict[str, float] = field(default_factory=dict)  # community area -> residents

    def per_100k(self, key: str, ctype: str = "ALL") -> float | None:
        """A community area's incidents in the month per 100,000 residents (None: no cell
        or no population)."""
        cell, people = self.cell("community-area", key, ctype), self.population.get(key)
        return None if cell is None or not people else cell.incidents / people * 100_000

    def city_per_100k(self, ctype: str = "ALL") -> float | None:
        """The city's incidents in the month per 100,000 residents, where every community
        area's population is loaded (None otherwise)."""
        cell = self.cell("city", "city", ctype)
        keys = {p.key for p in self.places.get("community-area", [])}
        if cell is None or not keys or not keys <= set(self.population):
            return None
        return cell.incidents / sum(self.population[k] for k in keys) * 100_000

    def cell(self, level: str, key: str, ctype: str, month: str | None = None) -> Cell | None:
        """The month's cell, where the month is covered and the level recorded: a covered
        month with no incident is a zero cell, an uncovered one is None."""
        want = month or self.month
        if self.scope(ctype, want) is None or self.level_reason(level, ctype, want):
            return None
        found = next((c for c in self.series.get((level, key, ctype), []) if c.month == want), None)
        return found or Cell(want, 0, 0, None, None, None, True)

    def scope(self, ctype: str, month: str | None = None) -> Scope | None:
        return self.coverage.scope(ctype, month or self.month)

    def level_reason(self, level: str, ctype: str, month: str | None = None) -> str | None:
        """Why ``level`` shows no figures for ``ctype`` in the month (None: it shows them)."""
        return self.coverage.level_reason(level, ctype, month or self.month)

    def cells(self, level: str, key: str, ctype: str) -> list[Cell]:
        """The series' months that may stand beside the build's month: covered with the same
        scope and the level recorded, up to the build's month (zeros where covered and
        empty). Months of another scope (homicides alone before a full extract begins) are
        left out rather than joined to it."""
        return [
            c
            for m in self._comparable_months(level, ctype)
            if (c := self._at(level, key, ctype, m))
        ]

    def window(self, level: str, key: str, ctype: str, months: list[str]) -> list[Cell | None]:
        """The cells of ``months`` (None where not comparable with the build's month)."""
        ok = set(self._comparable_months(level, ctype))
        return [self._at(level, key, ctype, m) if m in ok else None for m in months]

    def _at(self, level: str, key: str, ctype: str, month: str) -> Cell:
        by_month = self._by_month.setdefault(
            (level, key, ctype), {c.month: c for c in self.series.get((level, key, ctype), [])}
        )
        return by_month.get(month) or Cell(month, 0, 0, None, None, None, True)

    def _comparable_months(self, level: str, ctype: str) -> list[str]:
        key = (level, ctype)
        if key not in self._months_ok:
            scope = self.scope(ctype)
            self._months_ok[key] = (
                []
                if scope is None
                else [
                    m
                    for m in self.months
                    if m <= self.month
                    and self.scope(ctype, m) == scope
                    and self.level_reason(level, ctype, m) is None
                ]
            )
        return self._months_ok[key]

    def change(self, level: str, key: str, ctype: str) -> dict[str, Any]:
        """The change on a year earlier, where both months may be compared; else a record
        whose ``note`` says why not."""
        earlier = shift_months(self.month, -12)
        reason = self.coverage.comparable(ctype, self.month, earlier, level)
        if reason is not None:
            return {"comparable": False, "note": reason, "incidents_change_pct": None}
        rec = self.yoy.get((level, key, ctype))
        if rec is None:
            cell = self.cell(level, key, ctype)
            rec = {
                "incidents": cell.incidents if cell else 0,
                "incidents_prev_year": 0,
                "incidents_change_pct": None,
                "low_n": True,
            }
        return {**rec, "comparable": True, "note": None}

    def includes(self) -> list[str]:
        """What the month's figures include, file by file."""
        return self.coverage.includes(self.month)

    _by_month: dict[tuple[str, str, str], dict[str, Cell]] = field(default_factory=dict)
    _months_ok: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def load_site_data(con: duckdb.DuckDBPyConnection, month: str | None = None) -> SiteData:
    """Read (computing first, if stale) the statistics for a build about ``month``."""
    if not stats_are_current(con):
        compute_all(con)
    series: dict[tuple[str, str, str], list[Cell]] = defaultdict(list)
    rows = con.execute(
        "SELECT level, area_key, crime_type, strftime(month, '%Y-%m'), incidents, arrests, "
        "arrest_rate, ci_low, ci_high, low_n FROM stats_arrest_rate_proxy "
        "ORDER BY level, area_key, crime_type, month"
    ).fetchall()
    for level, key, ctype, m, n, a, r, lo, hi, small in rows:
        series[(level, key, ctype)].append(Cell(m, n, a, r, lo, hi, small))
    found = sorted({c.month for cells in series.values() for c in cells})
    if not found:
        raise NotFound("the warehouse has no incidents; run `safer77 ingest crimes` first")
    coverage = read_coverage(con)
    months = sorted(set(found) | set(coverage.months()))
    month = month or coverage.featured_month() or found[-1]
    if month not in months:
        raise NotFound(f"no incidents in {month}; the data covers {months[0]} to {months[-1]}")
    if coverage.scope("ALL", month) is None:
        raise NotFound(
            f"{month_label(month)} cannot be published: {coverage.uncovered_reason('ALL', month)}"
        )
    yoy: dict[tuple[str, str, str], dict[str, Any]] = {}
    cur = con.execute("SELECT * FROM stats_yoy_change WHERE strftime(month, '%Y-%m') = ?", [month])
    names = [d[0] for d in cur.description or []]
    for row in cur.fetchall():
        rec = dict(zip(names, row, strict=True))
        yoy[(str(rec["level"]), str(rec["area_key"]), str(rec["crime_type"]))] = rec
    open_age: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for level, key, ctype, bucket, n in con.execute(
        "SELECT level, area_key, crime_type, age_bucket, open_incidents "
        "FROM stats_open_incidents_by_age"
    ).fetchall():
        open_age[(level, key, ctype)][bucket] = int(n)
    places, shapes = _places(con, series)
    loads = [
        {
            "file": Path(str(f)).name,
            "kind": k,
            "finished": str(t)[:19],
            "read": r,
            "loaded": ld,
            "updated": u,
            "duplicates": d,
            "cross_source": x,
            "quarantined": q,
        }
        for f, k, t, r, ld, u, d, x, q in con.execute(
            "SELECT file, kind, finished_at, read, loaded, updated, duplicates, "
            f"{'coalesce(cross_source, 0)' if _has_cross_source(con) else '0'}, quarantined "
            "FROM load_log ORDER BY load_id"
        ).fetchall()
    ]
    crime_types = sorted(
        {ct for (lv, _, ct) in series if lv == "city"} - {"ALL", "violent", "property", "index"}
    )
    return SiteData(
        month,
        months,
        dict(series),
        yoy,
        dict(open_age),
        places,
        shapes,
        loads,
        crime_types,
        coverage,
        _population(con),
    )


def _population(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Residents per community area, where the ``population`` indicator is loaded."""
    return {str(a): v for a, v in population(con).items()}


def _has_cross_source(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the load log counts cross-source duplicates (warehouses older than that column,
    opened read-only, do not)."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'load_log' "
        "AND column_name = 'cross_source'"
    ).fetchall()
    return bool(rows[0][0])


def _places(
    con: duckdb.DuckDBPyConnection, series: dict[tuple[str, str, str], list[Cell]]
) -> tuple[dict[str, list[Place]], dict[str, list[Shape]]]:
    places: dict[str, list[Place]] = {}
    shapes: dict[str, list[Shape]] = {}
    for level, kind in LEVEL_KIND.items():
        rows = con.execute(
            "SELECT key, name, geometry FROM boundaries WHERE kind = ? ORDER BY key", [kind]
        ).fetchall()
        named = {str(k): (str(n), g) for k, n, g in rows}
        keys = sorted({k for (lv, k, _) in series if lv == level} | set(named), key=int)
        found: list[Place] = []
        for key in keys:
            raw = named.get(key, (None, None))[0]
            if level == "community-area":
                name = (raw or f"Community area {key}").title()
            else:
                name = f"District {key}"
            found.append(
                Place(level, key, name, f"{key}-{slugify(name)}", DISTRICT_NAMES.get(int(key), ""))
                if level == "district"
                else Place(level, key, name, f"{key}-{slugify(name)}")
            )
        places[level] = found
        shapes[level] = [
            Shape(
                int(k),
                next(p.title for p in found if p.key == str(k)),
                shapely.from_wkb(bytes(g)),
                f"{'areas' if level == 'community-area' else 'districts'}/"
                f"{next(p.slug for p in found if p.key == str(k))}.html",
            )
            for k, _, g in rows
        ]
    return places, shapes


def zip_code_areas(con: duckdb.DuckDBPyConnection) -> dict[str, list[int]] | None:
    """Each loaded ZIP code → the community areas it overlaps (largest overlap first), or
    None when no ZIP code boundaries are loaded."""
    shapes: dict[str, list[tuple[int, Any]]] = {"zip_codes": [], "community_areas": []}
    for kind, key, geom in con.execute(
        "SELECT kind, key, geometry FROM boundaries "
        "WHERE kind IN ('zip_codes', 'community_areas') ORDER BY kind, key"
    ).fetchall():
        shapes[kind].append((int(key), shapely.from_wkb(bytes(geom))))
    if not shapes["zip_codes"]:
        return None
    return zip_overlaps(shapes["zip_codes"], shapes["community_areas"])
