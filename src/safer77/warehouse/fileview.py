"""Statistics straight from a file: an in-memory warehouse whose ``incidents`` is a view.

For a quick look at an export without loading it. Every query parses the file again (in one
vectorised pass) with the reader and checks of a load, so the rows it leaves out are exactly
those a load quarantines; but repeated rows are *not* removed, unlike a load.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from safer77.sources.chicago_crimes import open_incident_source
from safer77.warehouse.incidents import DEFAULT_AGENCY, ROW_COLUMNS
from safer77.warehouse.normalise import staged_select
from safer77.warehouse.readers import csv_relation, records_relation, typed_columns


def connect_file(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection on which the metrics read ``path`` as their ``incidents``."""
    src = open_incident_source(path)
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar_print = false")
    # Pushing `_bad_field IS NULL` below the nested projections inlines the whole check
    # expression several times over (3x slower); the view is cheaper filtered where it stands.
    con.execute("SET disabled_optimizers = 'filter_pushdown'")
    if src.format == "csv":
        select = staged_select(
            set(src.mapping),
            src.source_name,
            csv_relation(src, with_rn=False, rejects=None),
            typed_columns(src),
        )
    else:
        select = staged_select(set(src.mapping), src.source_name, records_relation(con, src))
    # The reader refuses a line for a value it cannot read only in the columns it reads. A
    # load reads every column it stores; a statistic needs only a few. Using the stored
    # columns here (hash is never NULL) makes the reader refuse exactly the lines a load does.
    stored = ", ".join(c for c in ROW_COLUMNS if not c.startswith("_"))
    con.execute(
        "CREATE TEMP VIEW incidents AS SELECT * EXCLUDE (_rn, _bad_field, _reason), "
        f"'{DEFAULT_AGENCY}' AS agency FROM ({select}) "
        f"WHERE _bad_field IS NULL AND hash({stored}) IS NOT NULL"
    )
    con.execute("CREATE TEMP TABLE load_log (load_id INTEGER, kind VARCHAR)")  # none: live queries
    return con
