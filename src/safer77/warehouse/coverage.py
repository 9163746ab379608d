"""What each load of incidents covers: months, crime types, geography levels, fields.

Real users load the portal piecewise (one year, one crime type, a subset of columns), so the
warehouse records, for every load, what its file held: per month of occurrence and primary type
the rows, the IUCR codes, how many rows fill each geography level, and the first and last
occurrence; per load, the file's span and the optional fields it carries. The rules that turn
these records into "covered" and "comparable" live in :mod:`safer77.metrics.coverage`.

The records are taken from the load's own rows inside the load's transaction (after the
quarantine and the geography fills, before duplicates are resolved, so a reload of a file
records the same coverage): a group-by over the rows just inserted, not a second read of the
file.
"""

from __future__ import annotations

import duckdb

from safer77.schema import INCIDENT_COLUMNS

#: Coverage of one load, per month of occurrence and primary type.
COVERAGE_DDL = """
    CREATE TABLE IF NOT EXISTS coverage (
        load_id INTEGER NOT NULL,
        month DATE NOT NULL,
        primary_type VARCHAR NOT NULL,
        iucr VARCHAR,                    -- the IUCR codes present, sorted, comma-separated
        rows BIGINT NOT NULL,
        district BIGINT NOT NULL,        -- rows with the level filled (from the file or points)
        beat BIGINT NOT NULL,
        community_area BIGINT NOT NULL,
        ward BIGINT NOT NULL,
        point BIGINT NOT NULL,
        arrest BIGINT NOT NULL,          -- rows carrying the Arrest flag
        first_at TIMESTAMP NOT NULL,
        last_at TIMESTAMP NOT NULL
    )
"""

#: One row per load: the file's span and the optional fields it carries.
COVERAGE_LOADS_DDL = """
    CREATE TABLE IF NOT EXISTS coverage_loads (
        load_id INTEGER NOT NULL,
        file VARCHAR NOT NULL,
        agency VARCHAR,
        rows BIGINT NOT NULL,
        first_at TIMESTAMP,
        last_at TIMESTAMP,
        fields VARCHAR NOT NULL          -- canonical columns the file carries, comma-separated
    )
"""

#: Community areas are numbered 1-77; area 0 (seen in real files) means "not recorded".
_AREA_FILLED = "community_area BETWEEN 1 AND 77"

_PER_MONTH = f"""
    SELECT load_id, month, primary_type,
           string_agg(DISTINCT iucr, ',' ORDER BY iucr) AS iucr,
           count(*) AS rows,
           count(district) AS district,
           count(beat) AS beat,
           count(*) FILTER (WHERE {_AREA_FILLED}) AS community_area,
           count(ward) AS ward,
           count(*) FILTER (WHERE latitude IS NOT NULL OR x_coordinate IS NOT NULL) AS point,
           count(arrest) AS arrest,
           min(occurred_at) AS first_at,
           max(occurred_at) AS last_at
    FROM incidents
    WHERE {{where}} AND month IS NOT NULL AND primary_type IS NOT NULL
    GROUP BY load_id, month, primary_type
"""


def record_coverage(
    con: duckdb.DuckDBPyConnection, load_id: int, file: str, fields: set[str]
) -> None:
    """Record what load ``load_id`` covers (inside the load's transaction)."""
    present = ",".join(c for c in INCIDENT_COLUMNS if c in fields)
    con.execute("INSERT INTO coverage " + _PER_MONTH.format(where=f"load_id = {int(load_id)}"))
    con.execute(
        "INSERT INTO coverage_loads SELECT ?, ?, any_value(agency), count(*), min(occurred_at), "
        "max(occurred_at), ? FROM incidents WHERE load_id = ?",
        [load_id, file, present, load_id],
    )


_OLDER = "load_id NOT IN (SELECT load_id FROM coverage_loads)"


def coverage_rows_sql(recorded: bool = True) -> str:
    """Every load's coverage rows: the recorded ones, and for loads made before coverage was
    recorded (older warehouses, or one opened read-only without the tables: ``recorded``
    False), the same figures taken from their rows still stored."""
    if not recorded:
        return _PER_MONTH.format(where="true")
    return f"SELECT * FROM coverage UNION ALL {_PER_MONTH.format(where=_OLDER)}"


def coverage_loads_sql(recorded: bool = True) -> str:
    """Every load's span and fields (loads made before coverage was recorded: the columns any
    of their rows fills)."""
    stored = [(c, _stored(c)) for c in INCIDENT_COLUMNS]
    filled = " || ".join(
        f"CASE WHEN count({col}) > 0 THEN ',{c}' ELSE '' END" for c, col in stored if col
    )
    older = (
        "SELECT load_id, any_value(source_file), any_value(agency), count(*), min(occurred_at), "
        "max(occurred_at), "
        f"ltrim({filled}, ',') FROM incidents WHERE {_OLDER if recorded else 'true'} "
        "GROUP BY load_id"
    )
    return f"SELECT * FROM coverage_loads UNION ALL {older}" if recorded else older


def _stored(canonical: str) -> str | None:
    """The incidents column that holds a canonical source column (None: not stored)."""
    if canonical == "date":
        return "occurred_at"
    return None if canonical == "location" else canonical
