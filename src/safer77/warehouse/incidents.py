"""Load incident files into the warehouse: atomic, idempotent, nothing lost.

Every input row ends up exactly once as *loaded* (new key), *updated* (same key, newer
``Updated On``), *duplicate* (already present and not newer, or repeated in the file) or
*quarantined* (with file, line, field and reason). A load is one transaction.

For speed the file is parsed once, straight into ``incidents`` (the rows a load is about to
quarantine wear ``_bad_field`` until they are moved out, before the commit). Only files with
bad rows are read a second time, lightly, to find those rows' line numbers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from safer77.errors import InvalidInput
from safer77.sources.chicago_crimes import IncidentSource, open_incident_source
from safer77.warehouse.db import next_load_id, sql_str
from safer77.warehouse.geocode import assign_geography
from safer77.warehouse.normalise import staged_select
from safer77.warehouse.quarantine import replace_quarantine
from safer77.warehouse.readers import (
    csv_relation,
    records_relation,
    reject_lines_sql,
    typed_columns,
)

Progress = Callable[[float], None]

#: Columns of ``incidents`` that come from the normalised rows, in table order.
ROW_COLUMNS = (
    "incident_key",
    "id",
    "case_number",
    "occurred_at",
    "month",
    "block",
    "iucr",
    "primary_type",
    "description",
    "location_description",
    "arrest",
    "domestic",
    "beat",
    "district",
    "ward",
    "community_area",
    "fbi_code",
    "x_coordinate",
    "y_coordinate",
    "year",
    "updated_on",
    "latitude",
    "longitude",
    "category",
    "index_crime",
    "geo_assigned",
    "_bad_field",
    "_reason",
)
_TEMP_TABLES = (
    "_raw_records",
    "_reject_lines",
    "_reject_shift",
    "_q",
    "_problem",
    "_losers",
    "_rej",
    "_rej_scan",
    "_rej2",
    "_rej2_scan",
)


@dataclass(frozen=True)
class LoadResult:
    """What happened to the rows of one file."""

    file: str
    read: int
    loaded: int
    updated: int
    duplicates: int
    quarantined: int
    geo_assigned: int
    seconds: float
    load_id: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def load_incidents(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    agency: str = "CPD",
    on_progress: Progress | None = None,
) -> LoadResult:
    """Load one incident file (CSV, CSV.gz, JSON rows, JSON Lines or GeoJSON points).

    Raises :class:`InvalidInput` (and writes nothing) when the file is in no known schema or
    cannot be read to the end; bad rows in a good file are quarantined instead.
    """
    started = time.perf_counter()
    source = open_incident_source(path)
    file_label = str(path.resolve())
    con.execute("BEGIN TRANSACTION")
    try:
        result = _load(con, source, file_label, agency, on_progress, started)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        first = str(exc).splitlines()[0]
        raise InvalidInput(
            f"could not read to the end, nothing loaded: {first}", file=file_label
        ) from None
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for t in _TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return result


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    rows = con.execute(sql, params or []).fetchall()  # fetchall: fetchone leaves results open
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _watch(con: duckdb.DuckDBPyConnection, on_progress: Progress | None) -> threading.Event:
    """Report DuckDB's query progress from a side thread until the returned event is set."""
    done = threading.Event()
    if on_progress is None:
        return done

    def poll() -> None:
        while not done.wait(0.2):
            try:
                pct = con.query_progress()
            except duckdb.Error:
                continue
            if pct is not None and pct >= 0:
                on_progress(min(pct, 100.0) / 100.0)

    threading.Thread(target=poll, daemon=True).start()
    return done


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    src: IncidentSource,
    load_id: int,
    file_label: str,
    agency: str,
    on_progress: Progress | None,
) -> int:
    """Parse the whole file into ``incidents`` (bad rows flagged); return rows inserted."""
    if src.format == "csv":
        raw, typed = csv_relation(src, with_rn=False, rejects="_rej"), typed_columns(src)
    else:
        raw, typed = records_relation(con, src), frozenset()
    select = staged_select(set(src.mapping), src.source_name, raw, typed)
    cols = ", ".join(ROW_COLUMNS)
    done = _watch(con, on_progress)
    try:
        before = _count(con, "SELECT count(*) FROM incidents")
        con.execute(
            f"INSERT INTO incidents ({cols}, agency, source_file, load_id) "
            f"SELECT {cols}, {sql_str(agency)}, {sql_str(file_label)}, {load_id} FROM ({select})"
        )
    finally:
        done.set()
    if src.format == "csv":
        con.execute(f"CREATE TEMP TABLE _reject_lines AS {reject_lines_sql('_rej')}")
    return _count(con, "SELECT count(*) FROM incidents") - before


def _quarantine_bad_rows(
    con: duckdb.DuckDBPyConnection, src: IncidentSource, load_id: int, file_label: str
) -> int:
    """Move this load's flagged rows to ``_q`` with their line numbers; return how many."""
    con.execute(
        "CREATE TEMP TABLE _q (load_id INTEGER, file VARCHAR, line BIGINT, field VARCHAR, "
        "reason VARCHAR, value VARCHAR)"
    )
    n_bad = _count(
        con,
        "SELECT count(*) FROM incidents WHERE load_id = ? AND _bad_field IS NOT NULL",
        [load_id],
    )
    if n_bad:
        # A second, light read that numbers the rows, for the flagged rows' lines.
        if src.format == "csv":
            raw = csv_relation(src, with_rn=True, rejects="_rej2")
            select = staged_select(set(src.mapping), src.source_name, raw, typed_columns(src))
            join, line = _line_shift(con)
        else:
            select = staged_select(
                set(src.mapping),
                src.source_name,
                "(SELECT _line AS _rn, * EXCLUDE (_line) FROM _raw_records)",
            )
            join, line = "", "s._rn"
        # (filter pushdown would inline the nested checks into the filter: much slower)
        con.execute("SET disabled_optimizers = 'filter_pushdown'")
        try:
            con.execute(
                f"INSERT INTO _q SELECT {load_id}, {sql_str(file_label)}, {line}, s._bad_field, "
                f"s._reason, NULL FROM ({select}) s {join} WHERE s._bad_field IS NOT NULL"
            )
        finally:
            con.execute("RESET disabled_optimizers")
        con.execute("DELETE FROM incidents WHERE load_id = ? AND _bad_field IS NOT NULL", [load_id])
    con.execute(
        f"INSERT INTO _q SELECT {load_id}, {sql_str(file_label)}, line, field, msg, raw "
        "FROM _reject_lines"
    )
    return n_bad


def _line_shift(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(join clause, expression) turning a row's position ``s._rn`` into its file line.

    Row i follows the j-th refused line (line r_j) iff r_j - j - 1 < i; the header is line 1.
    """
    if not _count(con, "SELECT count(*) FROM _reject_lines"):
        return "", "s._rn + 1"
    con.execute(
        "CREATE TEMP TABLE _reject_shift AS SELECT t, max(j) AS k FROM ("
        "SELECT line - row_number() OVER (ORDER BY line) - 1 AS t, "
        "row_number() OVER (ORDER BY line) AS j FROM _reject_lines) GROUP BY t"
    )
    return "ASOF LEFT JOIN _reject_shift rs ON s._rn > rs.t", "s._rn + 1 + coalesce(rs.k, 0)"


def _content_keys(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Stable keys for rows without an ID: a hash of their content and occurrence number.

    Identical rows in one file are distinct incidents (two thefts on a block in the same
    minute); the occurrence number keeps them apart, and reloading gives the same keys.
    """
    content = (
        "concat_ws('|', case_number, CAST(occurred_at AS VARCHAR), block, iucr, primary_type, "
        "description, location_description, CAST(arrest AS VARCHAR), CAST(domestic AS VARCHAR), "
        "CAST(beat AS VARCHAR), CAST(district AS VARCHAR), CAST(ward AS VARCHAR), "
        "CAST(community_area AS VARCHAR), fbi_code, CAST(latitude AS VARCHAR), "
        "CAST(longitude AS VARCHAR))"
    )
    con.execute(
        "UPDATE incidents SET incident_key = k.key FROM ("
        "SELECT rid, -CAST(('0x' || substr(md5(c || '#' || CAST(n AS VARCHAR)), 1, 15)) "
        "AS BIGINT) - 1 AS key FROM (SELECT rid, c, row_number() OVER (PARTITION BY c "
        f"ORDER BY rid) AS n FROM (SELECT rowid AS rid, {content} AS c FROM incidents "
        f"WHERE load_id = {load_id} AND incident_key IS NULL))) k WHERE incidents.rowid = k.rid"
    )


def _resolve_duplicates(
    con: duckdb.DuckDBPyConnection, load_id: int, had_rows: bool
) -> tuple[int, int]:
    """Keep one row per key: the newest ``Updated On``, the existing row on a tie.

    Returns (rows updated, new rows dropped as duplicates).
    """
    new = f"load_id = {load_id}"
    n_new = _count(con, f"SELECT count(*) FROM incidents WHERE {new}")
    repeats = _count(con, f"SELECT count(DISTINCT incident_key) FROM incidents WHERE {new}") < n_new
    con.execute(
        f"CREATE TEMP TABLE _problem AS SELECT incident_key FROM incidents WHERE {new} "
        "GROUP BY incident_key HAVING count(*) > 1"
        if repeats
        else "CREATE TEMP TABLE _problem (incident_key BIGINT)"
    )
    if had_rows:
        con.execute(
            f"INSERT INTO _problem SELECT DISTINCT incident_key FROM incidents WHERE {new} "
            f"AND incident_key IN (SELECT incident_key FROM incidents WHERE NOT {new}) "
            "EXCEPT SELECT incident_key FROM _problem"
        )
    if not _count(con, "SELECT count(*) FROM _problem"):
        return 0, 0
    con.execute(
        "CREATE TEMP TABLE _losers AS SELECT rid, is_new FROM ("
        f"SELECT rowid AS rid, {new} AS is_new, row_number() OVER (PARTITION BY incident_key "
        f"ORDER BY updated_on DESC NULLS LAST, ({new}) ASC, rowid) AS r FROM incidents "
        "WHERE incident_key IN (SELECT incident_key FROM _problem)) WHERE r > 1"
    )
    updated = _count(con, "SELECT count(*) FROM _losers WHERE NOT is_new")
    dropped = _count(con, "SELECT count(*) FROM _losers WHERE is_new")
    con.execute("DELETE FROM incidents WHERE rowid IN (SELECT rid FROM _losers)")
    return updated, dropped


def _load(
    con: duckdb.DuckDBPyConnection,
    src: IncidentSource,
    file_label: str,
    agency: str,
    on_progress: Progress | None,
    started: float,
) -> LoadResult:
    started_at = datetime.now()
    load_id = next_load_id(con)
    had_rows = _count(con, "SELECT count(*) FROM incidents") > 0
    inserted = _insert_rows(con, src, load_id, file_label, agency, on_progress)
    n_bad = _quarantine_bad_rows(con, src, load_id, file_label)
    if _count(
        con, f"SELECT count(*) FROM incidents WHERE load_id = {load_id} AND incident_key IS NULL"
    ):
        _content_keys(con, load_id)
    updated, dropped = _resolve_duplicates(con, load_id, had_rows)
    geo = assign_geography(con, load_id)
    replace_quarantine(con, file_label)

    n_rejects = _count(con, "SELECT count(*) FROM _reject_lines")
    read = inserted + n_rejects
    quarantined = n_bad + n_rejects
    loaded = inserted - n_bad - dropped - updated
    seconds = time.perf_counter() - started
    con.execute(
        "INSERT INTO load_log VALUES (?, 'incidents', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            file_label,
            started_at,
            datetime.now(),
            read,
            loaded,
            updated,
            dropped,
            quarantined,
            ",".join(src.ignored) or None,
        ],
    )
    return LoadResult(
        file=file_label,
        read=read,
        loaded=loaded,
        updated=updated,
        duplicates=dropped,
        quarantined=quarantined,
        geo_assigned=geo,
        seconds=seconds,
        load_id=load_id,
    )
