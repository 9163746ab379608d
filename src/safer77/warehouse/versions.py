"""One row per key: merging a file's rows with the stored ones so that the newest version of
each key is kept, whatever the order in which files are loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from safer77.sources.files import fingerprint
from safer77.sources.tabular import Reject
from safer77.warehouse.db import count, load_log_insert, next_load_id
from safer77.warehouse.quarantine import replace_quarantine


@dataclass(frozen=True)
class KeyedTable:
    """A warehouse table with one row per key, filled by :func:`load_keyed`."""

    name: str
    key: str
    columns: dict[str, pa.DataType]  # the published fields, in table order
    ddl: str  # CREATE TABLE IF NOT EXISTS: columns, content, source_file, line, load_id
    newest_first: str  # ORDER BY among versions of a key (see :func:`keep_newest`)
    kind: str  # the load_log kind

    @property
    def staged_schema(self) -> pa.Schema:
        """What a loader stages: the columns and each row's line."""
        return pa.schema([*self.columns.items(), ("line", pa.int64())])


@dataclass(frozen=True)
class Merged:
    load_id: int
    loaded: int  # new keys
    updated: int  # stored rows replaced by a newer version
    duplicates: int  # exact repeats and older versions


def load_keyed(
    con: duckdb.DuckDBPyConnection,
    spec: KeyedTable,
    staged: pa.Table,
    rejects: list[Reject],
    path: Path,
    *,
    begun: datetime,
    read: int | None = None,
) -> Merged:
    """One file's parsed rows (``staged``) and rejected rows, in one transaction: the newest
    version of each key kept (:func:`keep_newest`), the file's quarantine replaced, a
    ``load_log`` row of ``kind`` written (``read`` input rows: by default one per staged or
    rejected row). A failure anywhere leaves the warehouse as it was."""
    label = str(Path(path).resolve())
    content_id = fingerprint(Path(path))
    con.execute(spec.ddl)
    con.execute("BEGIN TRANSACTION")
    try:
        load_id = next_load_id(con)
        con.register("_staged_rows", staged)
        loaded, updated = keep_newest(
            con,
            spec.name,
            spec.key,
            list(spec.columns),
            "_staged_rows",
            label,
            load_id,
            spec.newest_first,
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _q (load_id INTEGER, file VARCHAR, line BIGINT, "
            "field VARCHAR, reason VARCHAR, value VARCHAR)"
        )
        if rejects:
            con.executemany(
                "INSERT INTO _q VALUES (?, ?, ?, ?, ?, NULL)",
                [[load_id, label, b.line, b.field, b.reason] for b in rejects],
            )
        replace_quarantine(con, label, content_id)
        duplicates = staged.num_rows - loaded - updated
        con.execute(
            load_log_insert() + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
            [
                load_id,
                spec.kind,
                label,
                begun,
                datetime.now(),
                staged.num_rows + len(rejects) if read is None else read,
                loaded,
                updated,
                duplicates,
                len(rejects),
                content_id,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_staged_rows")
        con.execute("DROP TABLE IF EXISTS _q")
    return Merged(load_id, loaded, updated, duplicates)


def keep_newest(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key: str,
    columns: list[str],
    staged: str,
    label: str,
    load_id: int,
    newest_first: str,
) -> tuple[int, int]:
    """Merge the registered relation ``staged`` (``columns`` and ``line``) into ``table``
    (``columns``, ``content``, ``source_file``, ``line``, ``load_id``), keeping per ``key`` the
    first row in the order ``newest_first`` (which may use ``content``, a hash of the
    columns, and ``existing``, true for stored rows, to break ties). Returns (new keys, replaced
    stored rows); every other staged row is a duplicate or an older version."""
    fields = ", ".join(columns)
    content = (
        "md5(concat_ws('|', "
        + ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in columns)
        + "))"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _winners AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {newest_first}) rn
            FROM (
                SELECT {fields}, content, source_file, line, load_id, true AS existing
                FROM {table} WHERE {key} IN (SELECT {key} FROM {staged})
                UNION ALL
                SELECT {fields}, {content} AS content, ? AS source_file, line, ? AS load_id,
                       false AS existing
                FROM {staged}
            )
        ) WHERE rn = 1 AND NOT existing
        """,
        [label, load_id],
    )
    updated = count(
        con, f"SELECT count(*) FROM {table} WHERE {key} IN (SELECT {key} FROM _winners)"
    )
    loaded = count(con, "SELECT count(*) FROM _winners") - updated
    con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM _winners)")
    con.execute(f"INSERT INTO {table} SELECT * EXCLUDE (existing) FROM _winners")
    con.execute("DROP TABLE _winners")
    return loaded, updated
