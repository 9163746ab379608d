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
to a day finds no further pair (see docs/operations.md for the figures). A pair needs at least
one side without an ID: two different portal IDs are two records (one per victim), never one.

Matching is one-to-one. The portal writes one row per victim, so an incident with three
victims is three rows with the same key in each file. Within a key, the rows of each side are
ranked the same way (rows without an ID first, then the most fields filled, then by incident
key) and rank *i* is paired with rank *i*; a pair of two IDs is no pair, and rows left over are
distinct incidents. Rows with an equal community area are
paired first; rows missing it on one side are paired among the rest.

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

_TEMP = ("_xs_rows", "_xs_pairs", "_xs_res")

#: The dropped row's fields kept with its pair (as JSON).
_DROPPED_FIELDS = ", ".join(f"{f} := d.{f}" for f in ("incident_key", *VERSION_FIELDS))

#: How the rows of one side of a key are ranked for pairing: rows without an ID first (so that
#: in a file where only some rows have one, they meet the other side's rows with an ID), then
#: the fullest.
_BEST_FIRST = "id IS NOT NULL, filled DESC, incident_key"

#: The key without the community area.
_KEY = ("agency", "minute", "bkey", "primary_type")


def _block_key(column: str) -> str:
    b = f"regexp_replace(upper(trim({column})), '\\s+', ' ', 'g')"
    return f"CASE WHEN starts_with({b}, '0000X ') THEN '000XX' || substr({b}, 6) ELSE {b} END"


def _filled(prefix: str = "") -> str:
    return " + ".join(f"CAST({prefix}{f} IS NOT NULL AS INTEGER)" for f in FILLED_FIELDS)


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
    cols = (
        "rowid AS rid, incident_key, id, agency, source_file, load_id, community_area, block, "
        "primary_type, month, date_trunc('minute', occurred_at) AS minute"
    )
    near = "agency, minute, primary_type"  # cheap to compare: narrows before blocks are
    key = ", ".join(_KEY)
    try:
        con.execute(
            f"""
            CREATE TEMP TABLE _xs_rows AS
            WITH new AS (
                SELECT {cols}, true AS is_new FROM incidents
                WHERE load_id = {load} AND block IS NOT NULL
                  AND incident_key NOT IN ({replaced})
            ), old AS (
                SELECT {cols}, false AS is_new FROM incidents
                WHERE {other} AND block IS NOT NULL
                  AND (agency, month, primary_type) IN
                      (SELECT DISTINCT agency, month, primary_type FROM new)
                  {"" if new_without_id else "AND id IS NULL"}
            ), near AS (
                SELECT * FROM (SELECT * FROM new UNION ALL SELECT * FROM old)
                WHERE ({near}) IN (SELECT {near} FROM new INTERSECT SELECT {near} FROM old)
            ), keyed AS (
                SELECT n.*, {_block_key("n.block")} AS bkey, {_filled("i.")} AS filled
                FROM near n JOIN incidents i ON i.rowid = n.rid
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
    finally:
        for t in _TEMP:
            con.execute(f"DROP TABLE IF EXISTS {t}")


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
        SELECT CASE WHEN new_wins THEN new_rid ELSE old_rid END AS kept_rid,
               CASE WHEN new_wins THEN old_rid ELSE new_rid END AS dropped_rid,
               minute, bkey, primary_type, community_area, rule
        FROM (
            SELECT p.new_rid, p.old_rid, p.rule, n.minute, n.bkey, n.primary_type,
                   coalesce(n.community_area, o.community_area) AS community_area,
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
        UPDATE cross_source_pairs SET kept_key = k.incident_key, kept_file = k.source_file,
               kept_load_id = k.load_id
        FROM _xs_res r, incidents d, incidents k
        WHERE d.rowid = r.dropped_rid AND k.rowid = r.kept_rid
          AND cross_source_pairs.kept_key = d.incident_key
          AND cross_source_pairs.kept_file = d.source_file
        """
    )
    # A pair seen before (a file loaded again) keeps its first record.
    con.execute(
        f"""
        INSERT INTO cross_source_pairs
        SELECT {load}, k.incident_key, k.source_file, k.load_id, d.incident_key, d.source_file,
               d.load_id, r.minute, r.bkey, r.primary_type, r.community_area, r.rule,
               to_json(struct_pack({_DROPPED_FIELDS}))::VARCHAR
        FROM _xs_res r
        JOIN incidents k ON k.rowid = r.kept_rid
        JOIN incidents d ON d.rowid = r.dropped_rid
        WHERE (k.incident_key, k.source_file, d.incident_key, d.source_file) NOT IN (
            SELECT kept_key, kept_file, dropped_key, dropped_file FROM cross_source_pairs)
        """
    )
    con.execute("DELETE FROM incidents WHERE rowid IN (SELECT dropped_rid FROM _xs_res)")
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
