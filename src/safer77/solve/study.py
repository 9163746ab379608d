"""Low-clearance studies from the warehouse and CPD's clearance records: linkage, groups, and
the women-victims view (the arithmetic is in :mod:`.clusters`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from safer77.errors import InvalidInput, NotFound
from safer77.geo.projection import M_PER_DEG_LAT, M_PER_DEG_LON, to_metres
from safer77.solve.clusters import Group, Outcome, age_band, low_clearance_groups, period
from safer77.solve.linkage import (
    ClearanceRecord,
    Linkage,
    LinkedCase,
    link,
    records_from_file,
)
from safer77.solve.series import ScanResult, scan

#: attributes a study can group by.
ATTRIBUTES = ("area", "district", "sex", "age", "location", "year", "period")


def records_from_service(database_url: str) -> list[ClearanceRecord]:
    """Homicide cases as the service holds them (imported from CPD and worked since)."""
    from sqlalchemy import select

    from safer77.service.db import migrated_engine
    from safer77.service.models import Case

    with migrated_engine(database_url) as engine, engine.connect() as conn:
        rows = conn.execute(
            select(
                Case.case_number,
                Case.id,
                Case.offense_at,
                Case.victim_sex,
                Case.victim_age,
                Case.location_description,
                Case.cleared_on,
                Case.exceptional_code,
            ).where(Case.crime_type == "HOMICIDE")
        ).all()
    return [
        ClearanceRecord(
            rd_number=str(r[0]).upper(),
            key=str(r[1]),
            injury_at=r[2],
            victim_sex=r[3],
            victim_age=r[4],
            location=r[5],
            cleared_on=r[6],
            exceptional=r[7],
        )
        for r in rows
    ]


def linkage(
    con: duckdb.DuckDBPyConnection, clearance: Path | None, database_url: str | None
) -> Linkage:
    """Link the clearance records (a CPD file, or the service's cases) to the warehouse."""
    if clearance is not None:
        records, refused = records_from_file(clearance)
        return link(con, records, refused)
    if database_url is not None:
        return link(con, records_from_service(database_url))
    raise InvalidInput("give the CPD clearance file (--clearance FILE) or --service")


def outcomes(cases: Sequence[LinkedCase], *, period_years: int = 3) -> list[Outcome]:
    out = []
    for c in cases:
        r = c.record
        year = r.injury_at.year
        out.append(
            Outcome(
                case=r.rd_number,
                year=year,
                arrest=c.cleared_arrest,
                exceptional=c.cleared_exceptional,
                attrs={
                    "area": None if c.community_area is None else str(c.community_area),
                    "district": None if c.district is None else str(c.district),
                    "sex": r.victim_sex,
                    "age": age_band(r.victim_age),
                    "location": r.location or c.portal_location,
                    "year": str(year),
                    "period": period(year, period_years),
                },
            )
        )
    return out


@dataclass(frozen=True)
class Study:
    linkage: Linkage
    groups: list[Group]
    cases: int  # cases in the study (linked, in the years asked, women only if asked)
    # how it was run (kept with a review queue published from it)
    by: tuple[str, ...] = ("area", "sex")
    first_year: int = 2010
    last_year: int | None = None
    women_only: bool = False
    min_n: int = 10
    fdr: float = 0.05

    def parameters(self) -> dict[str, Any]:
        return {
            "grouping": list(self.by),
            "years": [self.first_year, self.last_year],
            "women_only": self.women_only,
            "min_n": self.min_n,
            "fdr": self.fdr,
            "cases": self.cases,
            "linked_rate": round(self.linkage.rate, 4),
        }


def clusters(
    con: duckdb.DuckDBPyConnection,
    *,
    clearance: Path | None = None,
    database_url: str | None = None,
    by: Sequence[str] = ("area", "sex"),
    first_year: int = 2010,
    last_year: int | None = None,
    women_only: bool = False,
    min_n: int = 10,
    fdr: float = 0.05,
) -> Study:
    unknown = [b for b in by if b not in ATTRIBUTES]
    if unknown:
        raise InvalidInput(f"cannot group by {', '.join(unknown)}; use {', '.join(ATTRIBUTES)}")
    linked = linkage(con, clearance, database_url)
    chosen = [
        c
        for c in linked.linked
        if c.record.injury_at.year >= first_year
        and (last_year is None or c.record.injury_at.year <= last_year)
        and (not women_only or c.record.victim_sex == "F")
    ]
    cases = outcomes(chosen)
    return Study(
        linked,
        low_clearance_groups(cases, by, min_n=min_n, fdr=fdr),
        len(cases),
        by=tuple(by),
        first_year=first_year,
        last_year=last_year,
        women_only=women_only,
        min_n=min_n,
        fdr=fdr,
    )


def group_rows(groups: Sequence[Group], *, flagged_only: bool = False) -> list[dict[str, Any]]:
    """Printable rows (no case numbers)."""
    return [
        {
            **g.key,
            "cases": g.n,
            "cleared": g.cleared,
            "rate": round(g.rate, 3),
            "ci": f"{g.low:.2f}-{g.high:.2f}",
            "arrest": round(g.arrest_rate, 3),
            "exceptional": round(g.exceptional_rate, 3),
            "expected": round(g.expected_rate, 3),
            "p": float(f"{g.p_value:.3g}"),
            "q": float(f"{g.q_value:.3g}"),
            "flagged": g.flagged,
        }
        for g in groups
        if g.flagged or not flagged_only
    ]


def unsolved_by_area_year(cases: Sequence[LinkedCase]) -> list[dict[str, Any]]:
    """Counts of unsolved cases per community area and year (publishable: counts only)."""
    counts = Counter(
        (c.community_area, c.record.injury_at.year) for c in cases if c.record.cleared_on is None
    )
    return [
        {"community_area": a, "year": y, "unsolved": n}
        for (a, y), n in sorted(counts.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1]))
    ]


def series(
    con: duckdb.DuckDBPyConnection,
    crime_types: Sequence[str],
    *,
    as_of: date | None = None,
    history_days: int = 365,
    window_days: int = 14,
    cell_m: float = 500.0,
    radius_m: float = 1000.0,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[ScanResult, list[list[dict[str, Any]]], date]:
    """Emerging series of ``crime_types`` as of ``as_of`` (default: the last incident's day),
    the incidents of each (id, date, block, type), and the day scanned."""
    if not crime_types:
        raise InvalidInput("name the crime type(s) to scan, e.g. ROBBERY")
    if as_of is None:
        ((last,),) = con.execute(
            "SELECT max(occurred_at)::DATE FROM incidents WHERE primary_type IN (SELECT unnest(?))",
            [list(crime_types)],
        ).fetchall()
        if last is None:
            raise NotFound(f"no {', '.join(crime_types)} incidents in the warehouse")
        as_of = last
    rows = con.execute(
        "SELECT id, occurred_at, block, primary_type, longitude, latitude FROM incidents "
        "WHERE primary_type IN (SELECT unnest(?)) AND latitude IS NOT NULL "
        "AND occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at, incident_key",
        [list(crime_types), as_of - timedelta(days=history_days - 1), as_of + timedelta(days=1)],
    ).fetchall()
    if not rows:
        raise NotFound(f"no {', '.join(crime_types)} incidents with coordinates before {as_of}")
    x, y = to_metres(
        np.array([r[4] for r in rows], dtype=float), np.array([r[5] for r in rows], dtype=float)
    )
    day = np.array([(r[1].date() - as_of).days for r in rows], dtype=np.int64)
    result = scan(
        x,
        y,
        day,
        as_of=0,
        history_days=history_days,
        cell_m=cell_m,
        max_radius_m=radius_m,
        max_window=window_days,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
    )
    members = [
        [
            {"id": rows[i][0], "occurred_at": str(rows[i][1]), "block": rows[i][2]}
            | {"type": rows[i][3]}
            for i in s.incidents.tolist()
        ]
        for s in result.series
    ]
    return result, members, as_of


def series_rows(result: ScanResult, as_of: date) -> list[dict[str, Any]]:
    return [
        {
            "series": i,
            "centre_lat": round(s.centre_y / M_PER_DEG_LAT, 5),
            "centre_lon": round(s.centre_x / M_PER_DEG_LON, 5),
            "radius_m": round(s.radius_m),
            "from": str(as_of - timedelta(days=s.days - 1)),
            "to": str(as_of),
            "incidents": s.observed,
            "expected": round(s.expected, 2),
            "ratio": round(s.observed / s.expected, 2) if s.expected else None,
            "llr": round(s.llr, 2),
            "p": s.p_value,
        }
        for i, s in enumerate(result.series, start=1)
    ]
