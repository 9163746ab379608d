"""Demand from the warehouse and the standard scenarios compared by ``safer77 plan simulate``."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from numpy.typing import NDArray

from safer77.dispatch.policy import Policy
from safer77.dispatch.sim import Fleet, Result, Scenario, arrivals, simulate
from safer77.errors import InvalidInput, NotFound
from safer77.warehouse.db import replace_table

POLICE_TRAVEL = 7.0  # minutes, mean, within a district
CRISIS_TRAVEL = 14.0  # a city-wide pool travels further
TARGET_UTILISATION = 0.7  # police units per district sized for this load, by default


def demand_from_warehouse(
    con: duckdb.DuckDBPyConnection, calls_per_year: float
) -> tuple[list[int], NDArray[np.float64]]:
    """Districts and calls per hour of the week (districts x 168), shaped like the warehouse's
    incidents by district and hour of the week (a demand proxy) and scaled to
    ``calls_per_year``. Incidents without a district count for the district that holds most
    of their community area, when both kinds of boundaries are loaded."""
    rows = con.execute(
        "SELECT district, (isodow(occurred_at) - 1) * 24 + hour(occurred_at), count(*) "
        "FROM incidents WHERE district IS NOT NULL GROUP BY ALL"
    ).fetchall()
    by_area = area_districts(con)
    if by_area:
        extra = con.execute(
            "SELECT community_area, (isodow(occurred_at) - 1) * 24 + hour(occurred_at), "
            "count(*) FROM incidents WHERE district IS NULL AND community_area IS NOT NULL "
            "GROUP BY ALL"
        ).fetchall()
        rows += [(by_area[int(a)], h, n) for a, h, n in extra if int(a) in by_area]
    if not rows:
        raise NotFound(
            "no incidents with a district (or a community area and both district and "
            "community-area boundaries) in the warehouse to shape demand"
        )
    districts = sorted({int(d) for d, _, _ in rows})
    index = {d: i for i, d in enumerate(districts)}
    profile = np.zeros((len(districts), 168))
    for d, how, n in rows:
        profile[index[int(d)], int(how)] += n
    rates = profile / profile.sum() * calls_per_year / 52.1775  # per hour of a week
    return districts, rates


def area_districts(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """Each community area's district: the one covering most of it (empty without both kinds
    of boundaries)."""
    import shapely

    def shapes(kind: str) -> dict[int, Any]:
        rows = con.execute("SELECT key, geometry FROM boundaries WHERE kind = ?", [kind]).fetchall()
        return {int(k): shapely.from_wkb(bytes(g)) for k, g in rows}

    areas, districts = shapes("community_areas"), shapes("districts")
    if not areas or not districts:
        return {}
    out = {}
    for a, geom in areas.items():
        overlap = {d: geom.intersection(poly).area for d, poly in districts.items()}
        best = max(overlap, key=lambda d: (overlap[d], -d))
        if overlap[best] > 0:
            out[a] = best
    return out


def demand_from_file(path: Path) -> tuple[list[int], NDArray[np.float64]]:
    """A profile CSV: ``district,hour_of_week,calls_per_hour`` (hour 0 = Monday 00:00)."""
    by: dict[int, dict[int, float]] = {}
    with Path(path).open(newline="") as fh:
        reader = csv.DictReader(fh)
        need = {"district", "hour_of_week", "calls_per_hour"}
        if not need <= set(reader.fieldnames or []):
            raise InvalidInput(f"needs columns {sorted(need)}", file=str(path), line=1)
        for n, row in enumerate(reader, start=2):
            try:
                d, h, r = (
                    int(row["district"]),
                    int(row["hour_of_week"]),
                    float(row["calls_per_hour"]),
                )
            except ValueError as exc:
                raise InvalidInput(f"not a number ({exc})", file=str(path), line=n) from None
            if not 0 <= h < 168 or r < 0 or not math.isfinite(r):
                raise InvalidInput(
                    "hour_of_week must be 0-167 and calls_per_hour >= 0", file=str(path), line=n
                )
            by.setdefault(d, {})[h] = r
    districts = sorted(by)
    rates = np.array([[by[d].get(h, 0.0) for h in range(168)] for d in districts])
    return districts, rates


SPEED_KMH = 30.0  # average emergency driving speed in the city
SETUP_MINUTES = 2.0  # from the dispatch to rolling
RIGHT_ANGLE = 0.63  # E[distance] ~ 0.63 sqrt(area / units) on a street grid (Larson-Odoni)


def travel_minutes(area_km2: float, units: int) -> float:
    """Mean travel time to a random call from the nearest of ``units`` units spread over
    ``area_km2`` (the square-root law of Larson and Odoni, right-angle distances)."""
    distance = RIGHT_ANGLE * math.sqrt(area_km2 / max(units, 1))
    return SETUP_MINUTES + 60.0 * distance / SPEED_KMH


def district_areas(con: duckdb.DuckDBPyConnection, districts: list[int]) -> list[float] | None:
    """Area in km² of each district from the loaded district boundaries (None if absent)."""
    import shapely

    from safer77.geo.projection import to_metres

    rows = dict(
        con.execute("SELECT key, geometry FROM boundaries WHERE kind = 'districts'").fetchall()
    )
    if not rows or any(d not in rows for d in districts):
        return None
    out = []
    for d in districts:
        geom = shapely.from_wkb(bytes(rows[d]))
        metric = shapely.transform(geom, lambda c: np.column_stack(to_metres(c[:, 0], c[:, 1])))
        out.append(float(metric.area) / 1e6)
    return out


def travel_from_file(path: Path, districts: list[int]) -> tuple[float, ...]:
    """A CSV ``district,minutes`` of mean travel times; every district must have one."""
    got: dict[int, float] = {}
    with Path(path).open(newline="") as fh:
        reader = csv.DictReader(fh)
        if not {"district", "minutes"} <= set(reader.fieldnames or []):
            raise InvalidInput("needs columns district,minutes", file=str(path), line=1)
        for n, row in enumerate(reader, start=2):
            try:
                got[int(row["district"])] = float(row["minutes"])
            except ValueError as exc:
                raise InvalidInput(f"not a number ({exc})", file=str(path), line=n) from None
            if got[int(row["district"])] < 0:
                raise InvalidInput("minutes must be >= 0", file=str(path), line=n)
    missing = [d for d in districts if d not in got]
    if missing:
        raise InvalidInput(f"no travel time for district(s) {missing}", file=str(path))
    return tuple(got[d] for d in districts)


def police_units(rates: NDArray[np.float64], policy: Policy) -> tuple[int, ...]:
    """Units per district for :data:`TARGET_UTILISATION` in a busy hour (the district's 90th
    percentile hour of the week), if the police took every call."""
    mean_service = sum(c.share * c.service_minutes for c in policy.calls) + POLICE_TRAVEL
    load = np.quantile(rates, 0.9, axis=1) * mean_service / 60.0  # Erlangs per district
    return tuple(max(1, math.ceil(x / TARGET_UTILISATION)) for x in load)


def crisis_staffing(rates: NDArray[np.float64], policy: Policy) -> tuple[int, ...]:
    """Half, one and one and a half times the city-wide crisis teams that the calls the
    policy sends them would keep 70% busy while on duty."""
    eligible = [
        c
        for c in policy.calls
        if (rule := policy.rule_for(c.name)) is not None and rule.responder == "crisis"
    ]
    share = sum(c.share * (1 - c.weapon) for c in eligible)
    if not share:
        return ()
    minutes = sum(c.share * (1 - c.weapon) * c.service_minutes for c in eligible) / share
    on = [policy.crisis_on_duty(h) for h in range(168)]
    per_hour = rates.sum(axis=0)[on].mean() if any(on) else 0.0
    base = per_hour * share * (minutes + CRISIS_TRAVEL) / 60.0 / TARGET_UTILISATION
    return tuple(sorted({max(1, math.ceil(base * f)) for f in (0.5, 1.0, 1.5)}))


def standard_scenarios(
    policy: Policy,
    police: tuple[int, ...],
    staffing: tuple[int, ...] = (5, 10, 20),
    *,
    police_travel: tuple[float, ...] = (),
    city_km2: float | None = None,
) -> list[Scenario]:
    """No crisis teams; civilian crisis teams at each staffing level (the policy's hours);
    co-response teams around the clock at the middle level. Travel: ``police_travel`` per
    district and the square-root law over ``city_km2`` for the city-wide teams when given,
    else :data:`POLICE_TRAVEL` and :data:`CRISIS_TRAVEL`."""
    cops = Fleet(police, POLICE_TRAVEL, travel_by_pool=police_travel)

    def city(n: int) -> float:
        return travel_minutes(city_km2, n) if city_km2 else CRISIS_TRAVEL

    days = policy.crisis_days
    out = [Scenario("police only", {"police": cops})]
    for n in staffing:
        team = Fleet((n,), city(n), hours=policy.crisis_hours, days=days)
        out.append(Scenario(f"crisis teams x{n}", {"police": cops, "crisis": team}))
    middle = staffing[len(staffing) // 2] if staffing else 10
    out.append(
        Scenario(
            f"co-response x{middle}",
            {"police": cops, "co_response": Fleet((middle,), city(middle))},
        )
    )
    return out


def compare(
    scenarios: list[Scenario],
    policy: Policy,
    rates: NDArray[np.float64],
    days: int,
    seed: int,
    on_done: Callable[[str], None] | None = None,
) -> tuple[list[Result], list[dict[str, Any]]]:
    """Every scenario on the same arrivals (common random numbers): results and table rows."""
    calls = arrivals(rates, policy, days, seed)
    results = []
    for s in scenarios:
        results.append(
            simulate(s, policy, calls, days=days, seed=seed, warmup_days=min(1.0, days / 10))
        )
        if on_done:
            on_done(s.name)
    return results, [r.row() for r in results]


@dataclass(frozen=True)
class Run:
    """What ``safer77 plan simulate`` compares: demand, police units and travel, scenarios."""

    districts: list[int]
    rates: NDArray[np.float64]
    units: tuple[int, ...]
    police_travel: tuple[float, ...]  # per district; () = the default mean
    scenarios: list[Scenario]


def plan_run(
    con: duckdb.DuckDBPyConnection | None,
    policy: Policy,
    *,
    profile: Path | None = None,
    calls_per_year: float = 3_000_000,
    units_per_district: int | None = None,
    travel: Path | None = None,
    staffing: tuple[int, ...] | None = None,
) -> Run:
    """Demand from ``profile`` or the warehouse; police units given or sized; travel from a
    file, from the district boundaries' areas, or the defaults; the standard scenarios at
    ``staffing`` levels (None: :func:`crisis_staffing`)."""
    if profile is not None:
        districts, rates = demand_from_file(profile)
    elif con is not None:
        districts, rates = demand_from_warehouse(con, calls_per_year)
    else:
        raise InvalidInput("give a demand profile or a warehouse to shape demand")
    areas = district_areas(con, districts) if con is not None else None
    units = (
        (units_per_district,) * len(districts)
        if units_per_district is not None
        else police_units(rates, policy)
    )
    if travel is not None:
        police_travel = travel_from_file(travel, districts)
    elif areas is not None:
        police_travel = tuple(travel_minutes(a, u) for a, u in zip(areas, units, strict=True))
    else:
        police_travel = ()
    scenarios = standard_scenarios(
        policy,
        units,
        staffing if staffing is not None else crisis_staffing(rates, policy),
        police_travel=police_travel,
        city_km2=sum(areas) if areas else None,
    )
    return Run(districts, rates, units, police_travel, scenarios)


COLUMNS = (
    "scenario",
    "calls",
    "diverted",
    "p1_p50_min",
    "p1_p90_min",
    "police_wait_mean",
    "police_util",
    "crisis_calls",
    "crisis_wait_mean",
    "crisis_util",
    "co_response_calls",
    "co_response_wait_mean",
    "co_response_util",
    "backups",
    "unserved",
    "overloaded",
)


def save_scenarios(
    con: duckdb.DuckDBPyConnection,
    rows: list[dict[str, Any]],
    *,
    policy: str,
    days: int,
    seed: int,
) -> None:
    """Replace the warehouse's ``plan_dispatch_scenarios`` table (read by the public site)."""
    import pyarrow as pa

    table = pa.table(
        {c: [r.get(c) for r in rows] for c in COLUMNS}
        | {
            "policy": [policy] * len(rows),
            "days": [days] * len(rows),
            "seed": [seed] * len(rows),
        }
    )
    replace_table(con, "plan_dispatch_scenarios", table)
