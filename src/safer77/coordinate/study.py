"""Hotspot study inputs from the warehouse: incident points by month on a metric grid, masked
to the city's community areas when their boundaries are loaded."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import shapely
from numpy.typing import NDArray

from safer77.coordinate.hotspots import Grid, Score, evaluate, make_grid
from safer77.errors import NotFound
from safer77.geo.projection import to_metres


def city_mask(con: duckdb.DuckDBPyConnection, grid: Grid) -> NDArray[np.bool_] | None:
    rows = con.execute("SELECT geometry FROM boundaries WHERE kind = 'community_areas'").fetchall()
    if not rows:
        return None
    city = shapely.union_all(
        [
            shapely.transform(
                shapely.from_wkb(bytes(g)), lambda c: np.column_stack(to_metres(c[:, 0], c[:, 1]))
            )
            for (g,) in rows
        ]
    )
    shapely.prepare(city)
    xs = grid.x0 + (np.arange(grid.nx) + 0.5) * grid.size
    ys = grid.y0 + (np.arange(grid.ny) + 0.5) * grid.size
    cx, cy = np.meshgrid(xs, ys)
    return np.asarray(shapely.contains_xy(city, cx, cy), dtype=bool)


def monthly_counts(
    con: duckdb.DuckDBPyConnection, crime_types: tuple[str, ...] | None, cell_m: float
) -> tuple[Grid, list[tuple[str, NDArray[np.float64]]]]:
    """The grid and each month's incident counts on it (months in order, gaps included)."""
    where = "latitude IS NOT NULL AND longitude IS NOT NULL"
    params: list[Any] = []
    if crime_types:
        where += " AND primary_type IN (SELECT unnest(?))"
        params.append(list(crime_types))
    rows = con.execute(
        f"SELECT longitude, latitude, strftime(month, '%Y-%m') FROM incidents WHERE {where}",
        params,
    ).fetchall()
    if not rows:
        raise NotFound("no incidents with coordinates match; load some or change --crime-type")
    lon = np.array([r[0] for r in rows], dtype=float)
    lat = np.array([r[1] for r in rows], dtype=float)
    months = np.array([r[2] for r in rows])
    x, y = to_metres(lon, lat)
    grid = make_grid(x, y, cell_m, None)
    mask = city_mask(con, grid)
    if mask is not None:
        grid = Grid(grid.x0, grid.y0, grid.size, grid.nx, grid.ny, mask)
    cells = grid.cell(x, y)
    first, last = min(months), max(months)
    out = []
    y0, m0 = int(first[:4]), int(first[5:])
    while True:
        label = f"{y0:04d}-{m0:02d}"
        out.append((label, grid.counts(cells[months == label])))
        if label == last:
            break
        y0, m0 = (y0 + 1, 1) if m0 == 12 else (y0, m0 + 1)
    return grid, out


def hotspot_evaluation(
    con: duckdb.DuckDBPyConnection,
    *,
    crime_types: tuple[str, ...] | None,
    cell_m: float = 500.0,
    holdout: int = 6,
    share: float = 0.05,
    bandwidth_cells: float = 1.5,
    seed: int = 0,
) -> list[Score]:
    grid, monthly = monthly_counts(con, crime_types, cell_m)
    return evaluate(
        grid, monthly, holdout=holdout, share=share, bandwidth_cells=bandwidth_cells, seed=seed
    )
