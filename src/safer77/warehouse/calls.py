"""Loading CAD records into ``calls``: one row per incident and agency, with the intervals
between its timestamps; one transaction per file; rows counted as loaded, duplicates (the same
incident and agency again: the later-closed version is kept) or quarantined with line and
field. Loading the same file again changes nothing."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from safer77.sources.cad import INTERVALS, STAMPS, CallRecord, load_cad_mapping, read_calls
from safer77.sources.tabular import Reject
from safer77.warehouse.incidents import LoadResult
from safer77.warehouse.versions import KeyedTable, load_keyed

DDL = """
CREATE TABLE IF NOT EXISTS calls (
    call_key VARCHAR PRIMARY KEY,    -- incident number | agency
    incident VARCHAR NOT NULL,
    agency VARCHAR NOT NULL,         -- police, fire, ems
    call_type VARCHAR NOT NULL,      -- the export's call type (upper case)
    priority_code VARCHAR NOT NULL,  -- as exported
    priority INTEGER NOT NULL,       -- 1 emergency, 2 urgent, 3 routine, 0 not a call for service
    reception VARCHAR,               -- how the call came in (phone, 911, text, officer...)
    self_initiated BOOLEAN NOT NULL,
    text BOOLEAN NOT NULL,
    week INTEGER NOT NULL,
    disposition VARCHAR,
    received_at TIMESTAMP NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    dispatched_at TIMESTAMP NOT NULL,
    enroute_at TIMESTAMP,
    arrived_at TIMESTAMP,
    closed_at TIMESTAMP,
    queue_s DOUBLE,                  -- received -> queued
    dispatch_s DOUBLE,               -- queued -> dispatched (time to dispatch)
    rollout_s DOUBLE,                -- dispatched -> en route
    travel_s DOUBLE,                 -- en route -> arrived
    on_scene_s DOUBLE,               -- arrived -> closed
    total_s DOUBLE,                  -- received -> closed
    content VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    load_id INTEGER NOT NULL
)
"""

_COLUMNS: dict[str, pa.DataType] = {
    "call_key": pa.string(),
    "incident": pa.string(),
    "agency": pa.string(),
    "call_type": pa.string(),
    "priority_code": pa.string(),
    "priority": pa.int32(),
    "reception": pa.string(),
    "self_initiated": pa.bool_(),
    "text": pa.bool_(),
    "week": pa.int32(),
    "disposition": pa.string(),
    **{f"{s}_at": pa.timestamp("us") for s in STAMPS},
    **{f"{i}_s": pa.float64() for i in INTERVALS},
}

TABLE = KeyedTable(
    name="calls",
    key="call_key",
    columns=_COLUMNS,
    ddl=DDL,
    # the later-closed version of an incident wins (still open ranks oldest), then content
    newest_first="closed_at DESC NULLS LAST, content DESC, existing DESC",
    kind="calls",
)


def load_calls(
    con: duckdb.DuckDBPyConnection, path: Path, mapping: str | Path = "cad-default"
) -> LoadResult:
    """Load one CAD export (CSV or CSV.gz) read through ``mapping`` (a built-in name or a
    TOML file). Refused whole, nothing written, when a mapped column is missing."""
    started = time.perf_counter()
    begun = datetime.now()
    spec = load_cad_mapping(mapping)
    good: list[CallRecord] = []
    bad: list[Reject] = []
    for item in read_calls(Path(path), spec):
        (bad if isinstance(item, Reject) else good).append(item)  # type: ignore[arg-type]
    merged = load_keyed(con, TABLE, _table(good), bad, Path(path), begun=begun)
    return LoadResult(
        file=str(Path(path).resolve()),
        read=len(good) + len(bad),
        loaded=merged.loaded,
        updated=merged.updated,
        duplicates=merged.duplicates,
        quarantined=len(bad),
        geo_assigned=0,
        seconds=time.perf_counter() - started,
        load_id=merged.load_id,
    )


def _table(rows: list[CallRecord]) -> pa.Table:
    data: dict[str, list[object]] = {
        "call_key": [f"{r.incident}|{r.agency}" for r in rows],
        "incident": [r.incident for r in rows],
        "agency": [r.agency for r in rows],
        "call_type": [r.call_type for r in rows],
        "priority_code": [r.priority_code for r in rows],
        "priority": [r.priority for r in rows],
        "reception": [r.reception for r in rows],
        "self_initiated": [r.self_initiated for r in rows],
        "text": [r.text for r in rows],
        "week": [r.week for r in rows],
        "disposition": [r.disposition for r in rows],
    }
    for s in STAMPS:
        data[f"{s}_at"] = [r.stamps[s] for r in rows]
    for i in INTERVALS:
        data[f"{i}_s"] = [r.intervals[i] for r in rows]
    data["line"] = [r.line for r in rows]
    return pa.table(data, schema=TABLE.staged_schema)
