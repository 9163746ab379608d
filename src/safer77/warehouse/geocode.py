"""Fill missing community area / district / beat of freshly loaded rows from coordinates."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import shapely
from numpy.typing import NDArray

from safer77.geo.areas import assign_points, state_plane_to_lonlat

#: incidents column → boundary kind.
GEO_FIELDS = (("community_area", "community_areas"), ("district", "districts"), ("beat", "beats"))


def assign_geography(
    con: duckdb.DuckDBPyConnection, load_id: int | None = None, only_kind: str | None = None
) -> int:
    """Place rows that lack an area but have coordinates; the source value is kept where
    present. ``load_id`` limits this to one load's rows; ``only_kind`` to one boundary kind.
    Returns the number of rows changed."""
    kinds = {r[0] for r in con.execute("SELECT DISTINCT kind FROM boundaries").fetchall()}
    todo = [(f, k) for f, k in GEO_FIELDS if k in kinds and only_kind in (None, k)]
    if not todo:
        return 0
    need = " OR ".join(f"{f} IS NULL" for f, _ in todo)
    scope = "" if load_id is None else f"load_id = {int(load_id)} AND "
    tbl = con.sql(
        f"SELECT rowid AS rid, longitude, latitude, x_coordinate, y_coordinate, "
        f"{', '.join(f for f, _ in todo)} FROM incidents WHERE {scope}({need}) AND "
        "((longitude IS NOT NULL AND latitude IS NOT NULL) OR "
        "(x_coordinate IS NOT NULL AND y_coordinate IS NOT NULL))"
    ).to_arrow_table()
    if tbl.num_rows == 0:
        return 0
    lon = _floats(tbl["longitude"])
    lat = _floats(tbl["latitude"])
    miss = ~np.isfinite(lon) | ~np.isfinite(lat)
    if miss.any():
        lon[miss], lat[miss] = state_plane_to_lonlat(
            _floats(tbl["x_coordinate"])[miss], _floats(tbl["y_coordinate"])[miss]
        )
    out: dict[str, pa.Array] = {"rid": tbl["rid"].combine_chunks()}
    filled = np.zeros(tbl.num_rows, dtype=bool)
    labels: list[list[str]] = [[] for _ in range(tbl.num_rows)]
    for field, kind in todo:
        current = tbl[field].is_null().to_numpy(zero_copy_only=False)
        rows = con.execute(
            "SELECT key, geometry FROM boundaries WHERE kind = ? ORDER BY key", [kind]
        ).fetchall()
        found = assign_points(
            lon, lat, [int(r[0]) for r in rows], [shapely.from_wkb(bytes(r[1])) for r in rows]
        )
        use = current & (found >= 0)
        out[field] = pa.array(np.where(use, found, 0), pa.int64(), mask=~use)
        filled |= use
        for i in np.flatnonzero(use):
            labels[i].append(field)
    out["geo_assigned"] = pa.array([",".join(lbl) or None for lbl in labels], pa.string())
    con.register("_geo_view", pa.table(out))
    try:
        sets = ", ".join(f"{f} = coalesce(incidents.{f}, g.{f})" for f, _ in todo)
        con.execute(
            f"UPDATE incidents SET {sets}, geo_assigned = concat_ws(',', incidents.geo_assigned, "
            "g.geo_assigned) FROM _geo_view g "
            "WHERE incidents.rowid = g.rid AND g.geo_assigned IS NOT NULL"
        )
    finally:
        con.unregister("_geo_view")
    return int(filled.sum())


def _floats(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)


def forget_assignments(con: duckdb.DuckDBPyConnection, kind: str) -> int:
    """Clear the values that coordinates gave for ``kind`` (its boundaries are changing)."""
    field = dict((k, f) for f, k in GEO_FIELDS).get(kind)
    if field is None:
        return 0
    label = "',' || geo_assigned || ','"
    rows = con.execute(
        f"UPDATE incidents SET {field} = NULL, geo_assigned = nullif(trim(replace({label}, "
        f"',{field},', ','), ','), '') WHERE contains({label}, ',{field},')"
    ).fetchall()
    return int(rows[0][0]) if rows else 0


def nan_floats(values: list[float | None]) -> NDArray[np.float64]:
    """An array of ``values`` with NaN for None."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def place_in_areas(
    con: duckdb.DuckDBPyConnection,
    known: list[int | None],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
) -> list[int | None]:
    """Community area of each row: ``known`` where given, else the area holding the point
    (NaN = no point) when community-area boundaries are loaded."""
    areas = list(known)
    todo = np.array(
        [i for i, a in enumerate(known) if a is None and np.isfinite(lon[i])], dtype=np.int64
    )
    if not todo.size:
        return areas
    polys = con.execute(
        "SELECT key, geometry FROM boundaries WHERE kind = 'community_areas' ORDER BY key"
    ).fetchall()
    if not polys:
        return areas
    keys = assign_points(
        lon[todo],
        lat[todo],
        [int(k) for k, _ in polys],
        [shapely.from_wkb(bytes(g)) for _, g in polys],
    )
    for i, key in zip(todo.tolist(), keys.tolist(), strict=True):
        if key > 0:
            areas[i] = int(key)
    return areas
