"""Connection and table definitions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from safer77.errors import Conflict, InvalidInput, NotFound
from safer77.warehouse.coverage import COVERAGE_DDL, COVERAGE_LOADS_DDL

if TYPE_CHECKING:
    import pyarrow as pa

DDL: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS incidents (
        incident_key BIGINT,             -- the portal ID, or a negative content key (no ID)
        id BIGINT,
        case_number VARCHAR,
        occurred_at TIMESTAMP,
        month DATE,                      -- first day of the month of occurrence
        block VARCHAR,
        iucr VARCHAR,
        primary_type VARCHAR,
        description VARCHAR,
        location_description VARCHAR,
        arrest BOOLEAN,                  -- NULL when the source has no Arrest field
        domestic BOOLEAN,
        beat INTEGER,
        district INTEGER,
        ward INTEGER,
        community_area INTEGER,
        fbi_code VARCHAR,
        x_coordinate DOUBLE,
        y_coordinate DOUBLE,
        year INTEGER,
        updated_on TIMESTAMP,
        latitude DOUBLE,
        longitude DOUBLE,
        category VARCHAR,                -- 'violent', 'property' or NULL
        index_crime BOOLEAN,             -- UCR Part I index crime
        geo_assigned VARCHAR,            -- fields filled from coordinates, e.g. 'beat,district'
        agency VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        load_id INTEGER NOT NULL,
        -- Transient: set only inside a load, on rows about to be moved to the quarantine.
        -- Always NULL once a load has committed. (Checks live in the loader, not as
        -- constraints, so that a file is parsed once, straight into this table.)
        _bad_field VARCHAR,
        _reason VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS quarantine (
        load_id INTEGER NOT NULL,
        file VARCHAR NOT NULL,
        line BIGINT,                     -- 1-based; header = line 1 (record number for JSON)
        field VARCHAR,
        reason VARCHAR NOT NULL,
        value VARCHAR,
        fingerprint VARCHAR              -- the file's content identity (size + edge hashes)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS boundaries (
        kind VARCHAR NOT NULL,           -- community_areas, districts, beats, wards
        key INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        geometry BLOB NOT NULL,          -- WKB, EPSG:4326
        source_file VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS load_log (
        load_id INTEGER NOT NULL,
        kind VARCHAR NOT NULL,
        file VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        read BIGINT NOT NULL,
        loaded BIGINT NOT NULL,
        updated BIGINT NOT NULL,
        duplicates BIGINT NOT NULL,
        quarantined BIGINT NOT NULL,
        ignored_columns VARCHAR,
        fingerprint VARCHAR
        -- cross_source: added below, so that warehouses made before it gain it too
    )
    """,
    # Rows of a load matched to a stored row of another file (warehouse.crosssource).
    "ALTER TABLE load_log ADD COLUMN IF NOT EXISTS cross_source BIGINT DEFAULT 0",
    """
    CREATE TABLE IF NOT EXISTS cross_source_pairs (
        load_id INTEGER NOT NULL,        -- the load that found the pair
        kept_key BIGINT NOT NULL,        -- incidents.incident_key of the row kept
        kept_file VARCHAR NOT NULL,
        kept_load_id INTEGER NOT NULL,
        dropped_key BIGINT NOT NULL,     -- the dropped row's ID, or its content key
        dropped_file VARCHAR NOT NULL,
        dropped_load_id INTEGER NOT NULL,
        occurred_minute TIMESTAMP NOT NULL,  -- the match key, as compared:
        block VARCHAR NOT NULL,          -- upper case, single spaces, 000XX for 0000X
        primary_type VARCHAR NOT NULL,
        community_area INTEGER,          -- NULL when neither row had one
        rule VARCHAR NOT NULL,           -- 'exact' or 'community area missing on one side'
        dropped_row VARCHAR NOT NULL     -- the dropped row's fields, as JSON
    )
    """,
    COVERAGE_DDL,
    COVERAGE_LOADS_DDL,
)

#: The columns of ``load_log`` every load writes. Inserts name them (see
#: :func:`load_log_insert`), so that a column added later, with a default, keeps them valid.
LOAD_LOG_COLUMNS = (
    "load_id", "kind", "file", "started_at", "finished_at", "read", "loaded", "updated",
    "duplicates", "quarantined", "ignored_columns", "fingerprint",
)  # fmt: skip


def connect(
    path: Path | str = ":memory:", *, read_only: bool = False, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating it, unless ``read_only``) and make sure its tables exist.

    Raises :class:`NotFound` for a missing warehouse opened read-only, and
    :class:`InvalidInput` / :class:`Conflict` for a file that is not a DuckDB database or is
    locked by another process.
    """
    target = str(path)
    if target != ":memory:":
        if read_only and not Path(target).exists():
            raise NotFound(f"warehouse {target} does not exist; run `safer77 ingest crimes` first")
        if Path(target).is_dir():
            raise InvalidInput("is a folder, expected a warehouse file", file=target)
        if not read_only:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        first = str(exc).splitlines()[0]
        if "lock" in first.lower():
            raise Conflict(f"warehouse {target} is in use by another process ({first})") from None
        raise InvalidInput(f"not a DuckDB warehouse ({first})", file=target) from None
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = true")
    # Progress is tracked (for query_progress) but never printed by DuckDB itself.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    if not read_only:
        ensure_schema(con)
        return con
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    missing = {"incidents", "load_log", "quarantine", "boundaries"} - names
    if missing:
        con.close()
        raise NotFound(
            f"{target} is not a safer77 warehouse (no {', '.join(sorted(missing))} table); "
            "run `safer77 ingest crimes` first"
        )
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the warehouse tables if they do not exist."""
    for stmt in DDL:
        con.execute(stmt)


def count(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    """The single number a query returns (0 for NULL or no row).

    Always ``fetchall``: DuckDB keeps a ``fetchone`` result open, which blocks the connection.
    """
    rows = con.execute(sql, params or []).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the warehouse holds table ``name`` (optional tables: indicators, exports)."""
    return bool(count(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]))


def replace_table(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Make warehouse table ``name`` hold exactly ``table`` (one statement: atomic by itself;
    inside a caller's transaction, part of it)."""
    con.register("_replacement", table)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _replacement")
    finally:
        con.unregister("_replacement")


def table_dicts(
    con: duckdb.DuckDBPyConnection, name: str, order_by: str = ""
) -> list[dict[str, Any]]:
    """Every row of optional table ``name`` as a dict (none when the table is absent)."""
    if not has_table(con, name):
        return []
    cur = con.execute(f"SELECT * FROM {name}" + (f" ORDER BY {order_by}" if order_by else ""))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def load_log_insert(*extra: str) -> str:
    """``INSERT INTO load_log (…)`` naming :data:`LOAD_LOG_COLUMNS` and then ``extra``; the
    caller adds ``VALUES (…)`` in that order."""
    return f"INSERT INTO load_log ({', '.join((*LOAD_LOG_COLUMNS, *extra))})"


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_log").fetchall()
    return int(rows[0][0]) if rows else 1


def sql_str(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
