"""Loading community-area indicators: one transaction per file, replacing that file's
indicators, with a load-log row; loading the same file again changes nothing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from safer77.sources.files import fingerprint
from safer77.sources.indicators import Mapping, Value, load_mapping, read_long, read_table
from safer77.warehouse.db import load_log_insert, next_load_id

DDL = (
    """
    CREATE TABLE IF NOT EXISTS indicator_catalog (
        name VARCHAR PRIMARY KEY,
        description VARCHAR NOT NULL,
        unit VARCHAR NOT NULL,
        root_cause VARCHAR NOT NULL,
        higher_is_better BOOLEAN NOT NULL,
        source VARCHAR NOT NULL,
        year INTEGER
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS indicators (
        community_area INTEGER NOT NULL,
        indicator VARCHAR NOT NULL,
        value DOUBLE NOT NULL,
        load_id INTEGER NOT NULL,
        PRIMARY KEY (community_area, indicator)
    )
    """,
)


@dataclass(frozen=True)
class IndicatorLoad:
    file: str
    rows: int
    indicators: int
    values: int
    missing: int  # area x indicator cells with no value in the file
    seconds: float


def known_indicators(con: duckdb.DuckDBPyConnection) -> set[str]:
    for stmt in DDL:
        con.execute(stmt)
    return {n for (n,) in con.execute("SELECT name FROM indicator_catalog").fetchall()}


def load_indicators(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: str | Path | None = None,
) -> IndicatorLoad:
    """Load an indicator table described by ``mapping`` (a built-in name or a TOML file), or
    a long file of catalogued indicators when ``mapping`` is None. Refused whole on bad input."""
    started = time.perf_counter()
    begun = datetime.now()
    known = known_indicators(con)
    spec: Mapping | None = load_mapping(mapping) if mapping is not None else None
    if spec is not None:
        values, rows = read_table(path, spec)
        names = [i.name for i in spec.indicators]
    else:
        values, rows = read_long(path, known)
        names = sorted({v.indicator for v in values})
    con.execute("BEGIN TRANSACTION")
    try:
        load_id = next_load_id(con)
        if spec is not None:
            con.executemany(
                "INSERT OR REPLACE INTO indicator_catalog VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        i.name,
                        i.description,
                        i.unit,
                        i.root_cause,
                        i.higher_is_better,
                        spec.title,
                        spec.year,
                    ]
                    for i in spec.indicators
                ],
            )
        if names:
            con.execute("DELETE FROM indicators WHERE indicator IN (SELECT unnest(?))", [names])
        _insert(con, values, load_id)
        con.execute(
            load_log_insert() + " VALUES (?, 'indicators', ?, ?, ?, ?, ?, 0, 0, 0, NULL, ?)",
            [load_id, str(path), begun, datetime.now(), rows, len(values), fingerprint(Path(path))],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return IndicatorLoad(
        file=str(path),
        rows=rows,
        indicators=len(names),
        values=len(values),
        missing=77 * len(names) - len(values) if spec is not None else 0,
        seconds=time.perf_counter() - started,
    )


def _insert(con: duckdb.DuckDBPyConnection, values: list[Value], load_id: int) -> None:
    table = pa.table(
        {
            "community_area": pa.array([v.community_area for v in values], pa.int32()),
            "indicator": pa.array([v.indicator for v in values], pa.string()),
            "value": pa.array([v.value for v in values], pa.float64()),
            "load_id": pa.array([load_id] * len(values), pa.int32()),
        }
    )
    con.register("_indicator_rows", table)
    try:
        con.execute("INSERT INTO indicators SELECT * FROM _indicator_rows")
    finally:
        con.unregister("_indicator_rows")
