"""Incident keys and repeated keys: which version of an incident the warehouse keeps.

Rules, in order, for rows sharing a key (the portal ID, or a content key for rows without):

1. Exact repeats (every field equal) are duplicates; the row already stored is kept.
2. Otherwise the newest ``Updated On`` wins.
3. On a tie, the stored row wins — except when no version carries an ``Updated On`` (exports
   without that column), where the newest load is taken as the newest version.

A losing stored row counts as *updated*, a losing new row as a *duplicate*.
"""

from __future__ import annotations

import duckdb

from safer77.warehouse.db import count

#: The fields that identify an incident without an ID. Fields that a later export may correct
#: (arrest, domestic, area numbers, coordinates) are left out so that a corrected row is an
#: update of the same incident rather than a second incident.
CONTENT_KEY_FIELDS = (
    "agency", "case_number", "occurred_at", "block", "iucr", "primary_type", "description",
    "location_description",
)  # fmt: skip

#: Every field of a version, for telling exact repeats from changed versions.
VERSION_FIELDS = (
    "id", "case_number", "occurred_at", "block", "iucr", "primary_type", "description",
    "location_description", "arrest", "domestic", "beat", "district", "ward", "community_area",
    "fbi_code", "x_coordinate", "y_coordinate", "year", "updated_on", "latitude", "longitude",
    "agency",
)  # fmt: skip


def _concat(fields: tuple[str, ...]) -> str:
    return (
        "concat_ws('|', " + ", ".join(f"coalesce(CAST({f} AS VARCHAR), '')" for f in fields) + ")"
    )


def content_keys(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Give this load's rows without an ID a stable key: a hash of their identifying fields and
    their occurrence number among identical ones.

    Identical rows in one file are distinct incidents (two thefts on a block in the same
    minute); the occurrence number keeps them apart, and reloading gives the same keys.
    """
    con.execute(
        "UPDATE incidents SET incident_key = k.key FROM ("
        "SELECT rid, -CAST(('0x' || substr(md5(c || '#' || CAST(n AS VARCHAR)), 1, 15)) "
        "AS BIGINT) - 1 AS key FROM (SELECT rid, c, row_number() OVER (PARTITION BY c "
        "ORDER BY rid) AS n FROM (SELECT rowid AS rid, "
        f"{_concat(CONTENT_KEY_FIELDS)} AS c FROM incidents "
        f"WHERE load_id = {int(load_id)} AND incident_key IS NULL))) k "
        "WHERE incidents.rowid = k.rid"
    )


def resolve_duplicates(
    con: duckdb.DuckDBPyConnection, load_id: int, had_rows: bool
) -> tuple[int, int]:
    """Keep one row per key by the module's rules; return (updated, duplicates)."""
    new = f"load_id = {int(load_id)}"
    n_new = count(con, f"SELECT count(*) FROM incidents WHERE {new}")
    repeats = count(con, f"SELECT count(DISTINCT incident_key) FROM incidents WHERE {new}") < n_new
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
    if not count(con, "SELECT count(*) FROM _problem"):
        return 0, 0
    con.execute(
        f"CREATE TEMP TABLE _versions AS SELECT rowid AS rid, incident_key, {new} AS is_new, "
        f"updated_on, md5({_concat(VERSION_FIELDS)}) AS h FROM incidents "
        "WHERE incident_key IN (SELECT incident_key FROM _problem)"
    )
    con.execute(  # rule 1: exact repeats
        "CREATE TEMP TABLE _losers AS SELECT rid, is_new FROM (SELECT rid, is_new, row_number() "
        "OVER (PARTITION BY incident_key, h ORDER BY is_new, rid) AS r FROM _versions) "
        "WHERE r > 1"
    )
    con.execute(  # rules 2 and 3
        "INSERT INTO _losers SELECT rid, is_new FROM (SELECT rid, is_new, row_number() OVER ("
        "PARTITION BY incident_key ORDER BY updated_on DESC NULLS LAST, "
        "CASE WHEN updated_on IS NULL AND is_new THEN 0 ELSE 1 END, is_new, rid) AS r "
        "FROM _versions WHERE rid NOT IN (SELECT rid FROM _losers)) WHERE r > 1"
    )
    updated = count(con, "SELECT count(*) FROM _losers WHERE NOT is_new")
    dropped = count(con, "SELECT count(*) FROM _losers WHERE is_new")
    con.execute("DELETE FROM incidents WHERE rowid IN (SELECT rid FROM _losers)")
    return updated, dropped
