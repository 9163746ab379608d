"""Reading the quarantine: rows that were not loaded, with where and why."""

from __future__ import annotations

import duckdb


def list_quarantine(
    con: duckdb.DuckDBPyConnection, *, file: str | None = None, limit: int | None = None
) -> list[dict[str, object]]:
    """Quarantined rows as dicts with ``file``, ``line``, ``field``, ``reason`` (and ``value``)."""
    sql = "SELECT file, line, field, reason, value FROM quarantine"
    params: list[object] = []
    if file:
        sql += " WHERE file = ?"
        params.append(file)
    sql += " ORDER BY file, line NULLS LAST"
    if limit:
        sql += f" LIMIT {int(limit)}"
    rows = con.execute(sql, params).fetchall()
    return [
        {"file": f, "line": ln, "field": fld, "reason": r, "value": v} for f, ln, fld, r, v in rows
    ]


def count_quarantine(con: duckdb.DuckDBPyConnection, *, file: str | None = None) -> int:
    """How many rows :func:`list_quarantine` lists without a limit."""
    sql = "SELECT count(*) FROM quarantine" + (" WHERE file = ?" if file else "")
    rows = con.execute(sql, [file] if file else []).fetchall()
    return int(rows[0][0])


def replace_quarantine(con: duckdb.DuckDBPyConnection, file: str, fingerprint: str) -> None:
    """Make the quarantine of this file (path and content) equal the temp table ``_q``.

    Rows already quarantined by an earlier load of the same file keep their original load id,
    so a reload leaves the table identical; rows of an earlier, different file at the same
    path stay as they were.
    """
    key = "line, coalesce(field, ''), reason"
    same = "file = ? AND fingerprint = ?"
    con.execute(
        f"DELETE FROM quarantine WHERE {same} AND ({key}) NOT IN (SELECT {key} FROM _q)",
        [file, fingerprint],
    )
    con.execute(
        f"INSERT INTO quarantine SELECT *, ? FROM _q WHERE ({key}) NOT IN "
        f"(SELECT {key} FROM quarantine WHERE {same})",
        [fingerprint, file, fingerprint],
    )
