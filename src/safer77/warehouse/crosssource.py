"""Cross-source duplicates: one incident arriving from two files that share no ID.

The portal's 2022 extract without IDs and its homicide file (with IDs) both hold the 2022
homicides; keys alone cannot see that they are the same incidents. After a load's own
duplicates are resolved (:mod:`safer77.warehouse.dedupe`), its new rows are matched to the
rows stored from *other* files on the **match key**:

- the agency;
- the occurrence time, to the minute (seconds dropped);
- the block, compared upper-case with runs of spaces made one, and the first hundred of a
  street written ``000XX`` (the portal writes both ``000XX`` and ``0000X``, even within 2022);
- the primary type;
- the community area: equal, or missing on one side (a missing value cannot disagree).

No time tolerance: on the real files every pair agrees to the minute, and widening the window
to three days finds no further pair (see docs/operations.md for the figures). A pair needs at least
one side without an ID: two different portal IDs are two records (one per victim), never one.

Matching is one-to-one. The portal writes one row per victim, so an incident with three
victims is three rows with the same key in each file. Within a key, the rows of each side are
ranked the same way (rows without an ID first, then the most fields filled, then by incident
key) and rank *i* is paired with rank *i*; a pair of two IDs is no pair, and rows left over are
distinct incidents. Rows with an equal community area are paired first; rows missing it on one
side are paired among the rest. Rows of one file (or of one file path loaded before) are never
paired with each other, and a row that replaced a stored version of its own key is not paired.

In each pair the row with more fields filled is kept (then the one with an ID, then the higher
incident key: a rule on the rows alone, so either load order keeps the same rows). The other is
deleted and the pair recorded in ``cross_source_pairs``. In the load summary every new row of a
pair counts as ``cross_source``, kept or not, so ``loaded`` is the number of new incidents.
"""

from __future__ import annotations

import duckdb

from safer77.warehouse.db import count, has_table, sql_str
from safer77.warehouse.dedupe import VERSION_FIELDS

#: Fields counted to decide which row of a pair is kept.
FILLED_FIELDS = tuple(f for f in VERSION_FIELDS if f != "agency")

#: ``rule`` of a pair, by how its community areas compared.
RULE_EXACT = "exact"
RULE_AREA_MISSING = "community area missing on one side"

_TEMP = ("_xs_old", "_xs_new", "_xs_rows", "_xs_pairs", "_xs_res")

#: The dropped row's fields kept with its pair (as JSON).
_DROPPED_FIELDS = ", ".join(f"{f} := {f}" for f in ("incident_key", *VERSION_FIELDS))

#: How the rows of one side of a key are ranked for pairing: rows without an ID first (so that
#: in a file where only some rows have one, they meet the other side's rows with an ID), then
#: the fullest.
_BEST_FIRST = "id IS NOT NULL, filled DESC, incident_key"

#: Agency, minute and type: cheap to compare, so they narrow the rows before blocks are read.
_NEAR = "row(agency, date_trunc('minute', occurred_at), primary_type)"

#: The key without the community area.
_KEY = ("agency", "minute", "bkey", "primary_type")


def _block_key(column: str) -> str:
    b = f"regexp_replace(upper(trim({column})), '\\s+', ' ', 'g')"
    return f"CASE WHEN starts_with({b}, '0000X ') THEN '000XX' || substr({b}, 6) ELSE {b} END"


def _filled() -> str:
    return " + ".join(f"CAST({f} IS NOT NULL AS INTEGER)" for f in FILLED_FIELDS)


def match_cross_source(con: duckdb.DuckDBPyConnection, load_id: int, file_label: str) -> int:
    """Resolve this load's cross-source duplicates (see the module); return how many of its
    rows were paired with a stored row from another file."""
    load = int(load_id)
    other = f"load_id <> {load} AND source_file <> {sql_str(file_label)}"
    new_without_id = count(
        con, f"SELECT count(*) FROM incidents WHERE load_id = {load} AND id IS NULL"
    )
    if not new_without_id and not count(
        con, f"SELECT count(*) FROM incidents WHERE {other} AND id IS NULL"
    ):
        return 0  # IDs on both sides: keys already tell incidents apart
    # Rows that replaced a stored version of their key (dedupe's "updated") are known incidents.
    replaced = (
        "SELECT incident_key FROM _versions WHERE NOT is_new"
        if has_table(con, "_versions")
        else "SELECT NULL::BIGINT WHERE false"
    )
    n = _match(con, load, other, new_without_id, replaced)
    # (after an error the load's rollback removes these temporary tables)
    for t in _TEMP:
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return n


def _match(
    con: duckdb.DuckDBPyConnection, load: int, other: str, new_without_id: int, replaced: str
) -> int:
    """Pair, keep, record and delete (see the module); returns the pairs."""
    near, key = _NEAR, ", ".join(_KEY)
    # Stored rows of other files in the load's months and types, then the new rows of the
    # same minute and type as one of those, then those stored rows of a new row's minute.
    con.execute(
        f"CREATE TEMP TABLE _xs_old AS SELECT rowid AS rid, {near} AS near FROM incidents "
        f"WHERE {other} AND block IS NOT NULL {'' if new_without_id else 'AND id IS NULL'} "
        "AND (agency, month, primary_type) IN (SELECT DISTINCT agency, month, primary_type "
        f"FROM incidents WHERE load_id = {load})"
    )
    con.execute(
        f"CREATE TEMP TABLE _xs_new AS SELECT rowid AS rid, {near} AS near FROM incidents "
        f"WHERE load_id = {load} AND block IS NOT NULL AND incident_key NOT IN ({replaced}) "
        f"AND {near} IN (SELECT near FROM _xs_old)"
    )
    # Both sides' candidates with everything the pairing and the record need.
    con.execute(
        f"""
        CREATE TEMP TABLE _xs_rows AS
        WITH keyed AS (
            SELECT rowid AS rid, load_id = {load} AS is_new, incident_key, id, agency,
                   source_file, load_id, community_area, primary_type,
                   date_trunc('minute', occurred_at) AS minute,
                   {_block_key("block")} AS bkey, {_filled()} AS filled,
                   to_json(struct_pack({_DROPPED_FIELDS}))::VARCHAR AS row_json
            FROM incidents WHERE rowid IN (
                SELECT rid FROM _xs_new UNION ALL
                SELECT rid FROM _xs_old WHERE near IN (SELECT near FROM _xs_new))
        )
        SELECT * FROM keyed WHERE ({key}) IN (
            SELECT {key} FROM keyed WHERE is_new INTERSECT
            SELECT {key} FROM keyed WHERE NOT is_new)
        """
    )
    if not count(con, "SELECT count(*) FROM _xs_rows"):
        return 0
    con.execute("CREATE TEMP TABLE _xs_pairs (new_rid BIGINT, old_rid BIGINT, rule VARCHAR)")
    # Pass 1: equal community areas (two missing ones are equal too).
    _pair(con, f"{key}, community_area", _BEST_FIRST, RULE_EXACT)
    # Pass 2: the rest, where one side has no community area; after pass 1 only one side
    # of a key can have such rows, and ranking them first pairs as many as possible.
    _pair(
        con,
        key,
        f"community_area NULLS FIRST, {_BEST_FIRST}",
        RULE_AREA_MISSING,
        "(n.community_area IS NULL OR o.community_area IS NULL)",
    )
    return _resolve(con, load)


def _pair(
    con: duckdb.DuckDBPyConnection,
    partition: str,
    order: str,
    rule: str,
    condition: str = "true",
) -> None:
    """Pair unpaired new and stored rows of the same ``partition`` by rank (``order``)."""
    ranked = (
        f"SELECT *, row_number() OVER (PARTITION BY {partition} ORDER BY {order}) AS r "
        "FROM _xs_rows WHERE is_new = {side} AND rid NOT IN "
        "(SELECT new_rid FROM _xs_pairs UNION ALL SELECT old_rid FROM _xs_pairs)"
    )
    on = " AND ".join(f"n.{c} IS NOT DISTINCT FROM o.{c}" for c in partition.split(", "))
    con.execute(
        f"INSERT INTO _xs_pairs SELECT n.rid, o.rid, {sql_str(rule)} "
        f"FROM ({ranked.format(side='true')}) n JOIN ({ranked.format(side='false')}) o "
        f"ON {on} AND n.r = o.r WHERE (n.id IS NULL OR o.id IS NULL) AND {condition}"
    )


def _resolve(con: duckdb.DuckDBPyConnection, load: int) -> int:
    """Keep the fuller row of each pair, record the pair, delete the other row."""
    con.execute(
        """
        CREATE TEMP TABLE _xs_res AS
        SELECT rule, minute, bkey, primary_type, community_area,
               CASE WHEN new_wins THEN n ELSE o END AS k,
               CASE WHEN new_wins THEN o ELSE n END AS d
        FROM (
            SELECT p.rule, n.minute, n.bkey, n.primary_type,
                   coalesce(n.community_area, o.community_area) AS community_area, n, o,
                   (n.filled, n.id IS NOT NULL, n.incident_key)
                   > (o.filled, o.id IS NOT NULL, o.incident_key) AS new_wins
            FROM _xs_pairs p
            JOIN _xs_rows n ON n.rid = p.new_rid
            JOIN _xs_rows o ON o.rid = p.old_rid
        )
        """
    )
    # A stored row that loses may have been kept in an earlier pair: that pair now points to
    # the row that replaces it.
    con.execute(
        """
        UPDATE cross_source_pairs SET kept_key = r.k.incident_key, kept_file = r.k.source_file,
               kept_load_id = r.k.load_id
        FROM _xs_res r
        WHERE cross_source_pairs.kept_key = r.d.incident_key
          AND cross_source_pairs.kept_file = r.d.source_file
        """
    )
    # A pair seen before (a file loaded again) keeps its first record.
    con.execute(
        f"""
        INSERT INTO cross_source_pairs
        SELECT {load}, r.k.incident_key, r.k.source_file, r.k.load_id, r.d.incident_key,
               r.d.source_file, r.d.load_id, r.minute, r.bkey, r.primary_type,
               r.community_area, r.rule, r.d.row_json
        FROM _xs_res r
        WHERE (r.k.incident_key, r.k.source_file, r.d.incident_key, r.d.source_file) NOT IN (
            SELECT kept_key, kept_file, dropped_key, dropped_file FROM cross_source_pairs)
        """
    )
    con.execute("DELETE FROM incidents WHERE rowid IN (SELECT r.d.rid FROM _xs_res r)")
    return count(con, "SELECT count(*) FROM _xs_res")


#: Columns of :func:`list_cross_source` rows, in order.
PAIR_COLUMNS = (
    "occurred_minute", "block", "primary_type", "community_area", "rule", "kept_file",
    "kept_key", "kept_load_id", "dropped_file", "dropped_key", "dropped_load_id", "load_id",
    "dropped_row",
)  # fmt: skip


def list_cross_source(
    con: duckdb.DuckDBPyConnection, *, file: str | None = None, limit: int | None = None
) -> tuple[list[dict[str, object]], int]:
    """Recorded cross-source pairs (``file``: only pairs with a row from that file), oldest
    incident first, at most ``limit``; and how many there are in all. A warehouse made before
    pairs were recorded has none."""
    if not has_table(con, "cross_source_pairs"):
        return [], 0
    where = ""
    params: list[object] = []
    if file:
        where = " WHERE kept_file = ? OR dropped_file = ?"
        params = [file, file]
    total = count(con, f"SELECT count(*) FROM cross_source_pairs{where}", params)
    sql = (
        f"SELECT {', '.join(PAIR_COLUMNS)} FROM cross_source_pairs{where} "
        "ORDER BY occurred_minute, block, kept_key, dropped_key"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = con.execute(sql, params).fetchall()
    return [dict(zip(PAIR_COLUMNS, r, strict=True)) for r in rows], total
