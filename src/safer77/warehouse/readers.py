"""Relations over an input file, for DuckDB: the one place that turns an
:class:`~safer77.sources.chicago_crimes.IncidentSource` into SQL.

CSV files are read by DuckDB's parallel reader with every column's type declared (never
sniffed); lines it cannot split or convert go to a rejects table with their line numbers.
JSON-shaped sources (already parsed by the source adapter) are registered as a temp table.
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa

from safer77.errors import InvalidInput
from safer77.schema import INCIDENT_COLUMNS
from safer77.sources.chicago_crimes import IncidentSource
from safer77.warehouse.db import sql_str
from safer77.warehouse.normalise import read_type

#: Cell texts read as missing in every column: empty, and what R (``NA``), pandas and numpy
#: (``NaN``, ``nan``) and database dumps (``NULL``) write for a missing value.
MISSING_VALUES = ("", "NA", "NaN", "nan", "NULL")

#: DuckDB's reject messages, rewritten to say what was expected (never the engine's words).
_CAST_VALUE = "regexp_extract(error_message, 'string \"(.*)\" to ', 1)"
_CAST_TARGET = "regexp_extract(error_message, 'to .([A-Z]+).$', 1)"
_EXPECTED = "nullif(regexp_extract(error_message, 'Expected Number of Columns: ([0-9]+)', 1), '')"
_FOUND = "nullif(regexp_extract(error_message, 'Found: ([0-9]+)', 1), '')"
REJECT_MESSAGE = (
    f"CASE WHEN error_type = 'CAST' THEN 'cannot read \"' || {_CAST_VALUE} || '\" as ' || "
    f"CASE {_CAST_TARGET} WHEN 'DOUBLE' THEN 'a number' WHEN 'BOOLEAN' THEN 'true or false' "
    "WHEN 'TIMESTAMP' THEN 'a date in the layout of the rest of the file' "
    f"ELSE 'a value of type ' || lower({_CAST_TARGET}) END "
    "WHEN error_type = 'MISSING COLUMNS' THEN 'too few fields' || "
    f"coalesce(': ' || {_FOUND} || ' of ' || {_EXPECTED}, '') || "
    "' (a line cut short, as an interrupted download leaves?)' "
    "WHEN error_type = 'TOO MANY COLUMNS' THEN 'too many fields' || "
    f"coalesce(': ' || {_FOUND} || ', the header has ' || {_EXPECTED}, '') || "
    "' (a comma in a field that is not quoted?)' "
    "WHEN error_type = 'UNQUOTED VALUE' THEN "
    "'a quote that does not close at the end of a field (an unterminated or stray quote)' "
    "WHEN error_type IN ('INVALID UNICODE', 'INVALID ENCODING') THEN 'not UTF-8 text' "
    "WHEN error_type = 'LINE SIZE OVER MAXIMUM' THEN 'line longer than the reader allows' "
    "ELSE 'could not be split into fields' END"
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
    for i, name in enumerate(src.header):
        # Repeated headers (DuckDB ignores case) get a suffix, and empty ones (the row index
        # of an R or pandas export) a name: both are ignored.
        unique = name if name.strip() else f"column{i + 1}"
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
        f"nullstr = [{', '.join(sql_str(v) for v in MISSING_VALUES)}]",
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
        f"arg_min({REJECT_MESSAGE}, column_idx) AS msg, "
        "trim(min(csv_line), chr(13) || chr(10)) AS raw "  # CRLF files: no stray line breaks
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


def engine_refusal(
    exc: duckdb.Error, file: str | None = None, *, doing: str = "could not read to the end"
) -> InvalidInput:
    """A DuckDB error met while reading an input file, as one line in plain words.

    The file, line and field come from the engine's message when it names them; the engine's
    own text never reaches the user (it stays on the exception's ``__cause__`` for debugging
    when the caller raises ``from exc``).
    """
    text = str(exc)
    low = text.lower()
    line = re.search(r"\bon line:? *(\d+)", text, re.IGNORECASE)
    field = re.search(r'converting column "([^"]+)"', text) or re.search(
        r"\bColumn (\S+) is being converted", text
    )
    if file is None:
        named = re.search(r"^\s*file\s*=\s*(\S.*?)\s*$", text, re.MULTILINE) or re.search(
            r"(?:GZIP stream|file|File)[^:\n]*: (/\S+)", text
        )
        file = named.group(1) if named else None
    if "gzip" in low or "zlib" in low or "deflate" in low:
        why = "the compressed file is damaged or ends early (an interrupted download?)"
    elif isinstance(exc, duckdb.OutOfMemoryException):
        why = "not enough memory (lower SAFER77_MEMORY_LIMIT or free some memory)"
    elif "unicode" in low or "encoding" in low or "utf-8" in low or "utf8" in low:
        why = "not UTF-8 text"
    elif field is not None or "could not convert" in low:
        why = "a value could not be read"
    elif line is not None or "csv" in low:
        why = "a line could not be split into fields"
    elif isinstance(exc, duckdb.IOException):
        why = "the file could not be read (moved, removed or unreadable?)"
    else:
        why = f"the database engine stopped ({type(exc).__name__})"
    return InvalidInput(
        f"{doing}: {why}",
        file=file,
        line=int(line.group(1)) if line else None,
        field=field.group(1) if field else None,
    )
