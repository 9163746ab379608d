"""311 environment tables from the warehouse: time to repair per area, the risk-terrain test
and the fix-first list (the arithmetic is in :mod:`.environment`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import shapely
from numpy.typing import NDArray

from safer77.coordinate.environment import dilate, exposure_test, median_ci
from safer77.coordinate.hotspots import Grid, make_grid
from safer77.coordinate.study import city_mask
from safer77.errors import InvalidInput, NotFound
from safer77.geo.areas import assign_points
from safer77.geo.projection import M_PER_DEG_LAT, M_PER_DEG_LON, to_metres
from safer77.warehouse.db import has_table

#: the request kinds tested by default: the Coordination Center's physical-disorder needs.
DEFAULT_CATEGORIES = ("street_light", "vacant_building", "sanitation", "graffiti")


def _need_requests(con: duckdb.DuckDBPyConnection) -> None:
    if (
        not has_table(con, "requests_311")
        or not con.execute("SELECT 1 FROM requests_311 LIMIT 1").fetchall()
    ):
        raise NotFound("no 311 requests in the warehouse; see `safer77 ingest 311`")


def _categories(con: duckdb.DuckDBPyConnection, wanted: tuple[str, ...]) -> list[str]:
    held = [c for (c,) in con.execute("SELECT DISTINCT category FROM requests_311").fetchall()]
    chosen = sorted(c for c in held if c in wanted) if wanted else sorted(held)
    if not chosen:
        raise NotFound(
            f"no 311 requests of kind {', '.join(wanted)}; loaded kinds: {', '.join(sorted(held))}"
        )
    return chosen


def repair_times(
    con: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    categories: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Per community area (and the city, area None): requests created in the window, how
    many were closed, median days to close with its 95% interval, the 90th percentile, and
    the requests still open on ``end`` (created on or before it)."""
    _need_requests(con)
    if end < start:
        raise InvalidInput(f"window {start}..{end} is empty")
    cats = _categories(con, categories)
    base = (
        "FROM requests_311 WHERE NOT flagged_duplicate AND status <> 'canceled' "
        "AND category IN (SELECT unnest(?))"
    )
    made = con.execute(
        f"SELECT community_area, date_diff('day', created_at, closed_at) {base} "
        "AND created_at >= ? AND created_at < ?",
        [cats, start, end + timedelta(days=1)],
    ).fetchall()
    backlog = dict(
        con.execute(
            f"SELECT community_area, count(*) {base} AND created_at < ? "
            "AND ((closed_at IS NULL AND status = 'open') OR closed_at > ?) GROUP BY ALL",
            [cats, end + timedelta(days=1), end + timedelta(days=1)],
        ).fetchall()
    )
    by_area: dict[int | None, list[int | None]] = {}
    for area, days in made:
        by_area.setdefault(area, []).append(days)
    rows = []
    everything = [d for _, d in made]
    for area in [None, *sorted(a for a in by_area if a is not None)]:
        days_all = everything if area is None else by_area[area]
        closed = np.array([d for d in days_all if d is not None], dtype=float)
        ci = median_ci(closed)
        rows.append(
            {
                "community_area": area,
                "requests": len(days_all),
                "closed": int(closed.size),
                "median_days": ci.median,
                "median_low": ci.low,
                "median_high": ci.high,
                "p90_days": float(np.quantile(closed, 0.9)) if closed.size else None,
                "open_at_end": int(sum(backlog.values()) if area is None else backlog.get(area, 0)),
            }
        )
    city = rows[0]["median_days"]
    for r in rows:
        r["vs_city"] = (
            round(r["median_days"] / city, 2) if r["median_days"] is not None and city else None
        )
    return rows


def equity(
    rows: list[dict[str, Any]], con: duckdb.DuckDBPyConnection, indicator: str
) -> dict[str, Any] | None:
    """Spearman correlation of the areas' median days with an indicator (None if the
    indicator is not loaded): do the areas in most need wait longest?"""
    from scipy.stats import spearmanr

    if not has_table(con, "indicators"):
        return None
    values = dict(
        con.execute(
            "SELECT community_area, value FROM indicators WHERE indicator = ?", [indicator]
        ).fetchall()
    )
    pairs = [
        (r["median_days"], values[r["community_area"]])
        for r in rows
        if r["community_area"] in values and r["median_days"] is not None
    ]
    if len(pairs) < 5:
        return None
    res = spearmanr([p[0] for p in pairs], [p[1] for p in pairs])
    return {
        "indicator": indicator,
        "areas": len(pairs),
        "spearman": round(float(res.statistic), 3),
        "p_value": float(res.pvalue),
    }


@dataclass(frozen=True)
class Terrain:
    """The study grid: cells in the city, their community area, and the months."""

    grid: Grid
    area_of_cell: NDArray[np.int64]  # flat, -1 outside the city / without an area
    months: list[date]  # first day of each month


def _months(start: date, end: date) -> list[date]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_index(when: NDArray[np.datetime64], first: date) -> NDArray[np.int64]:
    months = when.astype("datetime64[M]").astype(np.int64)
    return months - np.datetime64(first, "M").astype(np.int64)


def _terrain(
    con: duckdb.DuckDBPyConnection, x: NDArray[np.float64], y: NDArray[np.float64], cell_m: float
) -> tuple[Grid, NDArray[np.int64]]:
    grid = make_grid(x, y, cell_m, None)
    mask = city_mask(con, grid)
    if mask is not None:
        grid = Grid(grid.x0, grid.y0, grid.size, grid.nx, grid.ny, mask)
    xs = grid.x0 + (np.arange(grid.nx) + 0.5) * grid.size
    ys = grid.y0 + (np.arange(grid.ny) + 0.5) * grid.size
    cx, cy = np.meshgrid(xs, ys)
    areas = np.full(grid.nx * grid.ny, -1, dtype=np.int64)
    polys = con.execute(
        "SELECT key, geometry FROM boundaries WHERE kind = 'community_areas' ORDER BY key"
    ).fetchall()
    inside = grid.inside.ravel()
    if polys:
        lon = (cx.ravel() / M_PER_DEG_LON)[inside]
        lat = (cy.ravel() / M_PER_DEG_LAT)[inside]
        areas[inside] = assign_points(
            lon, lat, [int(k) for k, _ in polys], [shapely.from_wkb(bytes(g)) for _, g in polys]
        )
    else:
        areas[inside] = 0  # no boundaries: one stratum per month
    return grid, areas


def _incidents(
    con: duckdb.DuckDBPyConnection, start: date, end: date, crime_types: tuple[str, ...]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.datetime64]]:
    where = (
        "primary_type IN (SELECT unnest(?))" if crime_types else "category = 'violent'",
        [list(crime_types)] if crime_types else [],
    )
    rows = con.execute(
        f"SELECT longitude, latitude, occurred_at FROM incidents WHERE {where[0]} "
        "AND latitude IS NOT NULL AND longitude IS NOT NULL "
        "AND occurred_at >= ? AND occurred_at < ?",
        [*where[1], start, end + timedelta(days=1)],
    ).fetchall()
    if not rows:
        kinds = ", ".join(crime_types) if crime_types else "violent"
        raise NotFound(f"no {kinds} incidents with coordinates in {start}..{end}")
    lon = np.array([r[0] for r in rows], dtype=float)
    lat = np.array([r[1] for r in rows], dtype=float)
    return lon, lat, np.array([r[2] for r in rows], dtype="datetime64[s]")


def _open_requests(
    con: duckdb.DuckDBPyConnection, categories: list[str], start: date, end: date
) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT request_number, category, longitude, latitude, created_at, closed_at, "
        "community_area, block FROM requests_311 WHERE NOT flagged_duplicate "
        "AND status <> 'canceled' AND category IN (SELECT unnest(?)) "
        "AND latitude IS NOT NULL AND created_at < ? "
        "AND ((closed_at IS NULL AND status = 'open') OR closed_at >= ?)",
        [categories, end + timedelta(days=1), start],
    ).fetchall()


def _exposure(
    grid: Grid, reqs: list[tuple[Any, ...]], months: list[date], steps: int
) -> NDArray[np.bool_]:
    """(months, ny, nx): cells within ``steps`` cells of a request open during the month."""
    n_months = len(months)
    out = np.zeros((n_months + 1, grid.ny * grid.nx), dtype=np.int64)
    if reqs:
        x, y = to_metres(
            np.array([r[2] for r in reqs], dtype=float), np.array([r[3] for r in reqs], dtype=float)
        )
        ix = np.floor((x - grid.x0) / grid.size).astype(np.int64)
        iy = np.floor((y - grid.y0) / grid.size).astype(np.int64)
        ok = (ix >= 0) & (ix < grid.nx) & (iy >= 0) & (iy < grid.ny)
        created = np.array([r[4] for r in reqs], dtype="datetime64[s]")
        far = np.datetime64(months[-1], "s") + np.timedelta64(62, "D")
        closed = np.array([far if r[5] is None else r[5] for r in reqs], dtype="datetime64[s]")
        first = np.clip(_month_index(created, months[0]), 0, n_months)
        last = np.clip(_month_index(closed, months[0]), -1, n_months - 1)
        ok &= first <= last
        flat = iy * grid.nx + ix
        np.add.at(out, (first[ok], flat[ok]), 1)
        np.add.at(out, (last[ok] + 1, flat[ok]), -1)
    opened = np.cumsum(out[:n_months], axis=0) > 0
    return dilate(opened.reshape(n_months, grid.ny, grid.nx), steps)


def risk_terrain(
    con: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    *,
    categories: tuple[str, ...] = DEFAULT_CATEGORIES,
    crime_types: tuple[str, ...] = (),
    cell_m: float = 150.0,
    steps: int = 1,
    permutations: int = 999,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """One row per request kind (and one for all of them together): requests open at some
    time in the window, exposed and other cell-months, violent incidents in each, the relative
    risk ``rr`` with its 95% interval and the stratified permutation p-value ``p``."""
    _need_requests(con)
    if end < start:
        raise InvalidInput(f"window {start}..{end} is empty")
    cats = _categories(con, categories)
    months = _months(start, end)
    lon, lat, when = _incidents(con, start, end, crime_types)
    reqs = _open_requests(con, cats, start, end)
    xi, yi = to_metres(lon, lat)
    req_lon = np.array([r[2] for r in reqs], dtype=float)
    req_lat = np.array([r[3] for r in reqs], dtype=float)
    xr, yr = to_metres(req_lon, req_lat)
    grid, area_of_cell = _terrain(con, np.concatenate([xi, xr]), np.concatenate([yi, yr]), cell_m)
    n_cells = grid.nx * grid.ny
    counts = np.zeros((len(months), n_cells))
    cell = grid.cell(xi, yi)
    month = _month_index(when, months[0])
    ok = cell >= 0
    np.add.at(counts, (month[ok], cell[ok]), 1)
    strata = np.where(
        area_of_cell[None, :] >= 0,
        np.arange(len(months))[:, None] * 100 + area_of_cell[None, :],
        -1,
    )
    rows = []
    for label, kinds in [*((c, [c]) for c in cats), *([("all", cats)] if len(cats) > 1 else [])]:
        chosen = [r for r in reqs if r[1] in kinds]
        exposed = _exposure(grid, chosen, months, steps).reshape(len(months), n_cells)
        test = exposure_test(
            counts.ravel(), exposed.ravel(), strata.ravel(), permutations=permutations, seed=seed
        )
        rows.append(
            {
                "kind": label,
                "requests": len(chosen),
                "exposed": test.exposed_cells,
                "other": test.other_cells,
                "inc_exposed": test.exposed_incidents,
                "inc_other": test.other_incidents,
                "rr": _round(test.relative_risk),
                "rr_low": _round(test.rr_low),
                "rr_high": _round(test.rr_high),
                "p": round(test.p_value, 4),
            }
        )
    return rows


def fix_first(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    *,
    categories: tuple[str, ...] = DEFAULT_CATEGORIES,
    crime_types: tuple[str, ...] = (),
    cell_m: float = 150.0,
    steps: int = 1,
    lookback_days: int = 365,
    top: int = 5,
) -> list[dict[str, Any]]:
    """Per community area, the requests open on ``as_of`` (default: the last day any request
    was created) ranked by the violent incidents within ``steps`` cells of them over the
    ``lookback_days`` before, then by days open (oldest first)."""
    _need_requests(con)
    cats = _categories(con, categories)
    if as_of is None:
        as_of = con.execute("SELECT max(created_at)::DATE FROM requests_311").fetchall()[0][0]
    assert as_of is not None
    since = as_of - timedelta(days=lookback_days)
    reqs = _open_requests(con, cats, as_of + timedelta(days=1), as_of)
    if not reqs:
        return []
    try:
        lon, lat, _ = _incidents(con, since, as_of, crime_types)
    except NotFound:
        lon = lat = np.zeros(0)
    xr, yr = to_metres(
        np.array([r[2] for r in reqs], dtype=float), np.array([r[3] for r in reqs], dtype=float)
    )
    xi, yi = to_metres(lon, lat)
    grid = make_grid(np.concatenate([xr, xi]), np.concatenate([yr, yi]), cell_m, None)
    box = _box_sum(grid.counts(grid.cell(xi, yi)), steps)
    cells_r = grid.cell(xr, yr)
    scored = []
    for r, c in zip(reqs, cells_r.tolist(), strict=True):
        nearby = int(box.ravel()[c]) if c >= 0 else 0
        days_open = (as_of - r[4].date()).days
        scored.append((r, nearby, days_open))
    scored.sort(key=lambda s: (s[0][6] is None, s[0][6] or 0, -s[1], -s[2], s[0][0]))
    rows, seen = [], dict[int | None, int]()
    for r, nearby, days_open in scored:
        rank = seen.get(r[6], 0) + 1
        seen[r[6]] = rank
        if rank > top:
            continue
        rows.append(
            {
                "community_area": r[6],
                "rank": rank,
                "request_number": r[0],
                "category": r[1],
                "block": r[7],
                "days_open": days_open,
                "violent_nearby": nearby,
            }
        )
    return rows


def _box_sum(counts: NDArray[np.float64], steps: int) -> NDArray[np.float64]:
    """Sum over each cell's (2*steps+1)^2 neighbourhood."""
    padded = np.pad(counts, steps)
    out = np.zeros_like(counts)
    for dy in range(2 * steps + 1):
        for dx in range(2 * steps + 1):
            out += padded[dy : dy + counts.shape[0], dx : dx + counts.shape[1]]
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
