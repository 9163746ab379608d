"""Load incident files into the warehouse: atomic, idempotent, nothing lost.

Every input row ends up exactly once as *loaded* (new key), *updated* (same key, newer
``Updated On``), *duplicate* (already present and not newer, or repeated in the file),
*cross-source* (the same incident stored from another file without a shared ID, see
:mod:`.crosssource`) or *quarantined* (with file, line, field and reason). A load is one
transaction.

For speed the file is parsed once, straight into ``incidents`` (the rows a load is about to
quarantine wear ``_bad_field`` until they are moved out, before the commit). Only files with
bad rows are read a second time, lightly, to find those rows' line numbers.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from safer77.sources.chicago_crimes import IncidentSource, open_incident_source, record_lines
from safer77.sources.files import fingerprint
from safer77.warehouse.coverage import record_coverage
from safer77.warehouse.crosssource import match_cross_source
from safer77.warehouse.db import count, load_log_insert, next_load_id, sql_str
from safer77.warehouse.dedupe import content_keys, resolve_duplicates
from safer77.warehouse.geocode import assign_geography
from safer77.warehouse.normalise import staged_select
from safer77.warehouse.quarantine import replace_quarantine
from safer77.warehouse.readers import (
    csv_relation,
    engine_refusal,
    records_relation,
    reject_lines_sql,
    typed_columns,
)
from safer77.warehouse.synthetic import record_synthetic_load

Progress = Callable[[float], None]

#: The agency whose portal IDs are used as incident keys as they are; any other agency's keys
#: are scoped by its name, so that two agencies' IDs never collide.
DEFAULT_AGENCY = "CPD"

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
    "_numbered",
    "_q",
    "_problem",
    "_losers",
    "_versions",
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
    #: Rows matched to a stored row of another file (:mod:`safer77.warehouse.crosssource`).
    cross_source: int = 0
    notes: tuple[str, ...] = ()  # e.g. a row-index column ignored


def load_incidents(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    agency: str = DEFAULT_AGENCY,
    on_progress: Progress | None = None,
) -> LoadResult:
    """Load one incident file (CSV, CSV.gz, JSON rows, JSON Lines or GeoJSON points).

    Raises :class:`InvalidInput` (and writes nothing) when the file is in no known schema or
    cannot be read to the end; bad rows in a good file are quarantined instead.
    """
    started = time.perf_counter()
    source = open_incident_source(path)
    file_label = str(path.resolve())
    try:
        return _load_once(con, source, file_label, agency, on_progress, started)
    except _MixedDateLayouts:
        # Dates in more than one layout (e.g. two exports joined): parse each value alone.
        slow = dataclasses.replace(source, timestamp_format=None)
        return _load_once(con, slow, file_label, agency, on_progress, started)


class _MixedDateLayouts(Exception):
    """The reader refused dates that are valid in another layout than the sampled one."""


def _load_once(
    con: duckdb.DuckDBPyConnection,
    source: IncidentSource,
    file_label: str,
    agency: str,
    on_progress: Progress | None,
    started: float,
) -> LoadResult:
    """One attempt at a load, in its own transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        result = _load(con, source, file_label, agency, on_progress, started)
        record_synthetic_load(con, source.path, result.load_id)  # a generated file says so
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise engine_refusal(
            exc, file_label, doing="could not read to the end, nothing loaded"
        ) from exc
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for t in _TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return result


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
    values = cols
    if agency != DEFAULT_AGENCY:
        # Another agency's IDs may repeat CPD's (or a third agency's): key them by agency.
        scoped = (
            f"CASE WHEN incident_key IS NOT NULL THEN -CAST(('0x' || substr(md5("
            f"{sql_str(agency + '|')} || CAST(incident_key AS VARCHAR)), 1, 15)) AS BIGINT) - 1 END"
        )
        values = cols.replace("incident_key", f"{scoped} AS incident_key", 1)
    done = _watch(con, on_progress)
    try:
        before = count(con, "SELECT count(*) FROM incidents")
        con.execute(
            f"INSERT INTO incidents ({cols}, agency, source_file, load_id) "
            f"SELECT {values}, {sql_str(agency)}, {sql_str(file_label)}, {load_id} "
            f"FROM ({select})"
        )
    finally:
        done.set()
    if src.format == "csv":
        con.execute(f"CREATE TEMP TABLE _reject_lines AS {reject_lines_sql('_rej')}")
        if src.timestamp_format is not None:
            dates = [src.mapping[c] for c in ("date", "updated_on") if c in src.mapping]
            refused = count(
                con,
                "SELECT count(*) FROM _rej WHERE error_type = 'CAST' AND column_name IN "
                f"({', '.join(sql_str(d) for d in dates)})",
            )
            if refused:
                raise _MixedDateLayouts
    return count(con, "SELECT count(*) FROM incidents") - before


def _quarantine_bad_rows(
    con: duckdb.DuckDBPyConnection, src: IncidentSource, load_id: int, file_label: str
) -> int:
    """Move this load's flagged rows to ``_q`` with their line numbers; return how many."""
    con.execute(
        "CREATE TEMP TABLE _q (load_id INTEGER, file VARCHAR, line BIGINT, field VARCHAR, "
        "reason VARCHAR, value VARCHAR)"
    )
    n_bad = count(
        con,
        "SELECT count(*) FROM incidents WHERE load_id = ? AND _bad_field IS NOT NULL",
        [load_id],
    )
    if n_bad:
        # A second read that numbers the rows, for the flagged rows' lines. It selects every
        # column so that the reader checks (and refuses) exactly the lines the load did.
        if src.format == "csv":
            raw = csv_relation(src, with_rn=True, rejects="_rej2")
            select = staged_select(set(src.mapping), src.source_name, raw, typed_columns(src))
        else:
            select = staged_select(
                set(src.mapping),
                src.source_name,
                "(SELECT _line AS _rn, * EXCLUDE (_line) FROM _raw_records)",
            )
        # (filter pushdown would inline the nested checks into the filter: much slower)
        con.execute("SET disabled_optimizers = 'filter_pushdown'")
        try:
            con.execute(
                f"CREATE TEMP TABLE _numbered AS SELECT * FROM ({select}) s "
                "WHERE s._bad_field IS NOT NULL"
            )
        finally:
            con.execute("RESET disabled_optimizers")
        rns = {int(r[0]) for r in con.execute("SELECT _rn FROM _numbered").fetchall()}
        if src.format == "csv":
            refused = {int(r[0]) for r in con.execute("SELECT line FROM _reject_lines").fetchall()}
            accepted = count(con, f"SELECT count(*) FROM incidents WHERE load_id = {load_id}")
            lines = record_lines(src, rns, accepted, refused)
        else:
            lines = {rn: rn for rn in rns}
        con.register("_lines_view", pa.table({"rn": list(lines), "line": list(lines.values())}))
        try:
            con.execute(
                f"INSERT INTO _q SELECT {load_id}, {sql_str(file_label)}, l.line, n._bad_field, "
                "n._reason, NULL FROM _numbered n JOIN _lines_view l ON n._rn = l.rn"
            )
        finally:
            con.unregister("_lines_view")
        con.execute("DELETE FROM incidents WHERE load_id = ? AND _bad_field IS NOT NULL", [load_id])
    con.execute(
        f"INSERT INTO _q SELECT {load_id}, {sql_str(file_label)}, line, field, msg, raw "
        "FROM _reject_lines"
    )
    return n_bad


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
    had_rows = count(con, "SELECT count(*) FROM incidents") > 0
    inserted = _insert_rows(con, src, load_id, file_label, agency, on_progress)
    n_bad = _quarantine_bad_rows(con, src, load_id, file_label)
    if count(
        con, f"SELECT count(*) FROM incidents WHERE load_id = {load_id} AND incident_key IS NULL"
    ):
        content_keys(con, load_id)
    # Areas first: a reloaded row must look like the stored one, fills included.
    geo = assign_geography(con, load_id)
    record_coverage(con, load_id, file_label, set(src.mapping))
    updated, dropped = resolve_duplicates(con, load_id, had_rows)
    cross = match_cross_source(con, load_id, file_label) if had_rows else 0
    content_id = fingerprint(src.path)
    replace_quarantine(con, file_label, content_id)

    n_rejects = count(con, "SELECT count(*) FROM _reject_lines")
    read = inserted + n_rejects
    quarantined = n_bad + n_rejects
    loaded = inserted - n_bad - dropped - updated - cross
    seconds = time.perf_counter() - started
    con.execute(
        load_log_insert("cross_source")
        + " VALUES (?, 'incidents', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            content_id,
            cross,
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
        cross_source=cross,
        notes=src.notes,
    )
