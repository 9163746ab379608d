"""Loading 311 service requests into ``requests_311``: one transaction per file, every row
loaded, counted as a duplicate or an older version, or quarantined with its line and field.

A request number is one row. When a number comes again (in the same file or a later one) the
newer version wins, whatever the load order: a closed request is newer than the same request
still open, and of two closings the later; then the later ``last modified`` time (only the
unified export has one); then the row's content decides, so loading files in any order ends in
the same table. (A request reopened after closing looks older than its closed version: the
older per-type exports cannot tell a reopening from an earlier state.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from safer77.geo.areas import state_plane_to_lonlat
from safer77.sources.city311 import Request311, read_311
from safer77.sources.tabular import Reject
from safer77.warehouse.geocode import nan_floats, place_in_areas
from safer77.warehouse.incidents import LoadResult
from safer77.warehouse.versions import KeyedTable, load_keyed

DDL = """
CREATE TABLE IF NOT EXISTS requests_311 (
    request_number VARCHAR PRIMARY KEY,
    category VARCHAR NOT NULL,           -- street_light, vacant_building, sanitation, ...
    sr_type VARCHAR NOT NULL,            -- the request type as published
    status VARCHAR NOT NULL,             -- open, completed, canceled
    flagged_duplicate BOOLEAN NOT NULL,  -- 311 marked it a duplicate of another request
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    modified_at TIMESTAMP,
    community_area INTEGER,
    latitude DOUBLE,
    longitude DOUBLE,
    block VARCHAR,                       -- the hundred block, never the full address
    area_from_point BOOLEAN NOT NULL,    -- community area placed from the coordinates
    content VARCHAR NOT NULL,            -- hash of the published fields (version tiebreak)
    source_file VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    load_id INTEGER NOT NULL
)
"""

_COLUMNS: dict[str, pa.DataType] = {
    "request_number": pa.string(),
    "category": pa.string(),
    "sr_type": pa.string(),
    "status": pa.string(),
    "flagged_duplicate": pa.bool_(),
    "created_at": pa.timestamp("us"),
    "closed_at": pa.timestamp("us"),
    "modified_at": pa.timestamp("us"),
    "community_area": pa.int32(),
    "latitude": pa.float64(),
    "longitude": pa.float64(),
    "block": pa.string(),
    "area_from_point": pa.bool_(),
}
# Newest version first: closed over open and the later closing, then the later modification
# (unknown ranks as oldest), then content.
NEWEST_FIRST = "closed_at DESC NULLS LAST, modified_at DESC NULLS LAST, content DESC, existing DESC"
Progress = Callable[[float], None]


TABLE = KeyedTable(
    name="requests_311",
    key="request_number",
    columns=_COLUMNS,
    ddl=DDL,
    newest_first=NEWEST_FIRST,
    kind="311",
)


def load_311(
    con: duckdb.DuckDBPyConnection, path: Path, *, on_progress: Progress | None = None
) -> LoadResult:
    """Load one 311 file (CSV or CSV.gz). Refused whole (:class:`InvalidInput`, nothing
    written) when it is not a 311 file or cannot be read to the end."""
    started = time.perf_counter()
    begun = datetime.now()
    path = Path(path)
    label = str(path.resolve())
    good: list[Request311] = []
    bad: list[Reject] = []
    for item in read_311(path):
        if isinstance(item, Reject):
            bad.append(item)
        else:
            good.append(item)
        if on_progress and len(good) % 50_000 == 0:
            on_progress(0.5 * min(1.0, len(good) / 1_000_000))
    staged = _table(con, good)
    merged = load_keyed(con, TABLE, staged, bad, path, begun=begun)
    if on_progress:
        on_progress(1.0)
    return LoadResult(
        file=label,
        read=len(good) + len(bad),
        loaded=merged.loaded,
        updated=merged.updated,
        duplicates=merged.duplicates,
        quarantined=len(bad),
        geo_assigned=int(sum(1 for v in staged["area_from_point"].to_pylist() if v)),
        seconds=time.perf_counter() - started,
        load_id=merged.load_id,
    )


def _points(rows: list[Request311]) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of each row (NaN where unknown): the published point, else the
    State Plane X/Y converted."""
    lon = nan_floats([r.longitude for r in rows])
    lat = nan_floats([r.latitude for r in rows])
    xs = nan_floats([r.x for r in rows])
    ys = nan_floats([r.y for r in rows])
    fill = ~np.isfinite(lon) & np.isfinite(xs) & np.isfinite(ys)
    if fill.any():
        lon[fill], lat[fill] = state_plane_to_lonlat(xs[fill], ys[fill])
    return lon, lat


def _table(con: duckdb.DuckDBPyConnection, rows: list[Request311]) -> pa.Table:
    lon, lat = _points(rows)
    areas = place_in_areas(con, [r.community_area for r in rows], lon, lat)
    finite = np.isfinite(lon) & np.isfinite(lat)
    data = {
        "request_number": [r.number for r in rows],
        "category": [r.category for r in rows],
        "sr_type": [r.sr_type for r in rows],
        "status": [r.status for r in rows],
        "flagged_duplicate": [r.flagged_duplicate for r in rows],
        "created_at": [r.created_at for r in rows],
        "closed_at": [r.closed_at for r in rows],
        "modified_at": [r.modified_at for r in rows],
        "community_area": areas,
        "latitude": pa.array(lat, mask=~finite),
        "longitude": pa.array(lon, mask=~finite),
        "block": [r.block for r in rows],
        "area_from_point": [
            a is not None and r.community_area is None for r, a in zip(rows, areas, strict=True)
        ],
        "line": [r.line for r in rows],
    }
    schema = TABLE.staged_schema
    return pa.table(data, schema=schema)
