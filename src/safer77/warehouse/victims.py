"""Loading victims of homicides and non-fatal shootings into ``victims``: one row per victim,
one transaction per file. A victim id seen again keeps one row whatever the load order: a
homicide outranks a non-fatal shooting (a victim who died later), otherwise the row's content
decides."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from safer77.sources.tabular import Reject
from safer77.sources.victims import Elsewhere, Victim, read_victims
from safer77.warehouse.geocode import nan_floats, place_in_areas
from safer77.warehouse.versions import KeyedTable, load_keyed

DDL = """
CREATE TABLE IF NOT EXISTS victims (
    victim_key VARCHAR PRIMARY KEY,      -- the City's UNIQUE_ID, or gva-<incident>-<k|i><n>
    case_number VARCHAR,
    occurred_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,               -- homicide or nonfatal_shooting
    gunshot BOOLEAN,
    community_area INTEGER,
    district INTEGER,
    age_band VARCHAR,                    -- as published (e.g. 20-29); never shown per person
    sex VARCHAR,
    race VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    source VARCHAR NOT NULL,             -- city (the City's victims file) or gva
    content VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    load_id INTEGER NOT NULL
)
"""
_COLUMNS: dict[str, pa.DataType] = {
    "victim_key": pa.string(),
    "case_number": pa.string(),
    "occurred_at": pa.timestamp("us"),
    "kind": pa.string(),
    "gunshot": pa.bool_(),
    "community_area": pa.int32(),
    "district": pa.int32(),
    "age_band": pa.string(),
    "sex": pa.string(),
    "race": pa.string(),
    "latitude": pa.float64(),
    "longitude": pa.float64(),
    "source": pa.string(),
}
# A victim seen twice: a homicide outranks a non-fatal shooting (the victim died since), then
# the content decides, so the load order does not matter.
NEWEST_FIRST = "(kind = 'homicide') DESC, content DESC, existing DESC"


TABLE = KeyedTable(
    name="victims",
    key="victim_key",
    columns=_COLUMNS,
    ddl=DDL,
    newest_first=NEWEST_FIRST,
    kind="victims",
)


@dataclass(frozen=True)
class VictimLoad:
    file: str
    rows: int  # data rows read
    victims: int  # victims those rows hold
    loaded: int
    updated: int
    duplicates: int
    quarantined: int  # rows
    elsewhere: int  # rows of other places (GVA), counted and not loaded
    unplaced: int  # victims with no community area
    seconds: float
    load_id: int


def load_victims(
    con: duckdb.DuckDBPyConnection, path: Path, *, city: str = "Chicago", state: str = "Illinois"
) -> VictimLoad:
    """Load one victims file; refused whole (nothing written) if it is in neither layout."""
    started = time.perf_counter()
    begun = datetime.now()
    good: list[Victim] = []
    bad: list[Reject] = []
    lines: set[int] = set()
    elsewhere = 0
    for item in read_victims(Path(path), city=city, state=state):
        if isinstance(item, Reject):
            bad.append(item)
        elif isinstance(item, Elsewhere):
            elsewhere += 1
        else:
            good.append(item)
            lines.add(item.line)
    staged = _table(con, good)
    rows = len(lines) + len(bad) + elsewhere
    merged = load_keyed(con, TABLE, staged, bad, Path(path), begun=begun, read=rows)
    return VictimLoad(
        file=str(Path(path).resolve()),
        rows=rows,
        victims=len(good),
        loaded=merged.loaded,
        updated=merged.updated,
        duplicates=merged.duplicates,
        quarantined=len(bad),
        elsewhere=elsewhere,
        unplaced=staged["community_area"].null_count,
        seconds=time.perf_counter() - started,
        load_id=merged.load_id,
    )


def _area_names(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "SELECT upper(name), key FROM boundaries WHERE kind = 'community_areas'"
    ).fetchall()
    return {str(n): int(k) for n, k in rows}


def _table(con: duckdb.DuckDBPyConnection, rows: list[Victim]) -> pa.Table:
    names = _area_names(con)
    known = [r.community_area or names.get(r.area_name or "") for r in rows]
    lon = nan_floats([r.longitude for r in rows])
    lat = nan_floats([r.latitude for r in rows])
    areas = place_in_areas(con, known, lon, lat)
    data = {
        "victim_key": [r.key for r in rows],
        "case_number": [r.case_number for r in rows],
        "occurred_at": [r.occurred_at for r in rows],
        "kind": [r.kind for r in rows],
        "gunshot": [r.gunshot for r in rows],
        "community_area": areas,
        "district": [r.district for r in rows],
        "age_band": [r.age_band for r in rows],
        "sex": [r.sex for r in rows],
        "race": [r.race for r in rows],
        "latitude": [r.latitude for r in rows],
        "longitude": [r.longitude for r in rows],
        "source": [r.source for r in rows],
        "line": [r.line for r in rows],
    }
    return pa.table(data, schema=TABLE.staged_schema)
