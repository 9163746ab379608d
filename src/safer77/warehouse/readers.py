"""Relations over an input file, for DuckDB: the one place that turns an
:class:`~safer77.sources.chicago_crimes.IncidentSource` into SQL.

CSV files are read by DuckDB's parallel reader with every column's type declared (never
sniffed); lines it cannot split or convert go to a rejects table with their line numbers.
JSON-shaped sources (already parsed by the source adapter) are registered as a temp table.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from safer77.schema import INCIDENT_COLUMNS
from safer77.sources.chicago_crimes import IncidentSource
from safer77.warehouse.db import sql_str
from safer77.warehouse.normalise import read_type

#: DuckDB's reject messages, rewritten to say what was expected.
_CAST_VALUE = "regexp_extract(error_message, 'string \"(.*)\" to ', 1)"
_CAST_TARGET = "regexp_extract(error_message, 'to .([A-Z]+).$', 1)"
REJECT_MESSAGE = (
    f"CASE WHEN error_type = 'CAST' THEN 'cannot read \"' || {_CAST_VALUE} || '\" as ' || "
    f"CASE {_CAST_TARGET} WHEN 'DOUBLE' THEN 'a number' WHEN 'BOOLEAN' THEN 'true or false' "
    "WHEN 'TIMESTAMP' THEN 'a date in the layout of the rest of the file' "
    f"ELSE {_CAST_TARGET} END "
    "ELSE lower(replace(error_type, '_', ' ')) || ': ' || error_message END"
)


def typed_columns(src: IncidentSource) -> frozenset[str]:
    """Canonical columns the CSV reader can parse itself (typed), given the file's dates."""
    fmt = src.timestamp_format
    return frozenset(
        c
        for c in src.mapping
        if read_type(c) != "VARCHAR" and (read_type(c) != "TIMESTAMP" or fmt is not None)
    )


def csv_relation(src: IncidentSource, *, with_rn: bool, rejects: str | None) -> str:
    """A parenthesised relation over the CSV with canonical column names.

    ``with_rn`` adds ``_rn``, the row's position among the rows the reader accepted (which
    serialises the read: use it only when line numbers are needed). ``rejects`` names the
    table that receives refused lines.
    """
    typed = typed_columns(src)
    fmt = src.timestamp_format
    names: list[str] = []
    for name in src.header:  # repeated headers (DuckDB ignores case) get a suffix; ignored
        unique = name
        while unique.lower() in (n.lower() for n in names):
            unique += "_"
        names.append(unique)
    canon_of = {src.mapping[c]: c for c in src.mapping}
    columns = (
        "{"
        + ", ".join(
            f"{sql_str(n)}: '{read_type(canon_of[n]) if canon_of.get(n) in typed else 'VARCHAR'}'"
            for n in names
        )
        + "}"
    )
    renamed = ", ".join(
        f'"{src.mapping[c].replace(chr(34), chr(34) * 2)}" AS "{c}"'
        for c in INCIDENT_COLUMNS
        if c in src.mapping
    )
    options = [
        "header = true",
        f"columns = {columns}",
        "delim = ','",
        "quote = '\"'",
        "escape = '\"'",
        "auto_detect = false",
        "strict_mode = true",
        "null_padding = false",
        f"compression = '{'gzip' if src.compression == 'gzip' else 'none'}'",
        "ignore_errors = true",
    ]
    if rejects:
        options += [
            "store_rejects = true",
            f"rejects_table = '{rejects}'",
            f"rejects_scan = '{rejects}_scan'",
        ]
    if fmt and fmt.startswith("%m"):
        options.append(f"timestampformat = {sql_str(fmt)}")  # ISO layouts need no format
    rn = "row_number() OVER () AS _rn, " if with_rn else "NULL AS _rn, "
    return f"(SELECT {rn}{renamed} FROM read_csv({sql_str(str(src.path))}, {', '.join(options)}))"


def reject_lines_sql(rejects: str) -> str:
    """One row per refused line: line, field (first offending column), msg, raw."""
    return (
        f"SELECT line, arg_min(column_name, column_idx) AS field, "
        f"arg_min({REJECT_MESSAGE}, column_idx) AS msg, min(csv_line) AS raw "
        f"FROM {rejects} GROUP BY line"
    )


def records_relation(con: duckdb.DuckDBPyConnection, src: IncidentSource) -> str:
    """Register parsed JSON records as temp table ``_raw_records``; its relation has ``_rn``
    equal to the record's line (JSON Lines) or number (array, GeoJSON)."""
    cols = [c for c in INCIDENT_COLUMNS if c in src.mapping]
    data = {"_line": pa.array([int(r["_line"] or 0) for r in src.records], pa.int64())}
    for c in cols:
        data[c] = pa.array([r.get(c) for r in src.records], pa.string())
    con.register("_records_view", pa.table(data))
    try:
        con.execute("CREATE TEMP TABLE _raw_records AS SELECT * FROM _records_view")
    finally:
        con.unregister("_records_view")
    bad = pa.table(
        {
            "line": pa.array([b[0] for b in src.bad_records], pa.int64()),
            "msg": pa.array([b[1] for b in src.bad_records], pa.string()),
        }
    )
    con.register("_bad_view", bad)
    try:
        con.execute(
            "CREATE TEMP TABLE _reject_lines AS SELECT line, CAST(NULL AS VARCHAR) AS field, "
            "msg, CAST(NULL AS VARCHAR) AS raw FROM _bad_view"
        )
    finally:
        con.unregister("_bad_view")
    return "(SELECT _line AS _rn, * EXCLUDE (_line) FROM _raw_records)"
