"""Revisions: the figures of months a previous release published that this release changes,
with the count of changed records behind each.

A **changed record** is one the warehouse received since the previous release (its row carries
a later load than the previous release's last one): a record the portal revised (an arrest
added, a type reclassified, moved to another area) or one reported late. Its old version, as
the previous release counted it, is kept by :func:`keep_prior_versions` when a load replaces
it. A changed record is *behind* a figure when its old and new versions count differently in
that figure's cell: it entered or left the cell (incidents), or it counts as an arrest there
and did not before, or the reverse (arrests); the arrest rate is behind any change in the
incidents, the arrests or the incidents recording the Arrest flag.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb

from safer77.release.figures import COLUMNS as FIGURE_COLUMNS
from safer77.release.figures import LEVELS, figures_relation
from safer77.warehouse.db import count, has_table, sql_str

COLUMNS: Final = (*FIGURE_COLUMNS[:5], "old", "new", "records_changed")

#: How revisions are measured, in words (the site's methodology and docs/methodology.md).
METHOD: Final[tuple[str, ...]] = (
    "Every monthly release keeps the figures it published in data/figures.csv (month, level, "
    "key, crime type, metric, value: incidents, arrests and the arrest rate of the city, each "
    "community area and each district, for all crimes, each category and each crime type). "
    "The next release compares its figures for the months the previous release published "
    "with them; every figure that differs is a revision, listed on the release's Revisions "
    "page and in data/revisions.csv with its old and new value (empty where a release has no "
    "such figure) and the number of records behind the change.",
    "A record is behind a figure when the warehouse received it since the previous release "
    "(the portal's Updated On is later than that release's high-water mark) and it counts "
    "differently in that figure than before: it was reported late, was moved into or out of "
    "the month, area or crime type, or gained or lost its arrest. A record sent again "
    "unchanged, or changed only in fields no figure counts (coordinates within the same "
    "area), is behind no figure.",
    "Each area's page names its months revised since they were first published, and old "
    "releases stay online as they were published, each with a manifest of every file's "
    "sha256.",
    "A month's arrest rate (proxy) usually rises after it is first published, as arrests "
    "made later are added to its records. Each release's methodology page measures by how "
    "much, from the records its warehouse holds: for every month, the rate as it stood one, "
    "two, three, six and twelve months after the month ended (counting as arrests only the "
    "arrested records last updated by then) against the rate now. It is an upper bound: a "
    "record updated later for another reason counts as a late arrest.",
)

#: The fields that place a record in the published cells, as the statistics read them.
_CELL_FIELDS: Final = (
    "month", "primary_type", "category", "index_crime", "community_area", "district", "arrest",
)  # fmt: skip

PRIOR_DDL: Final = """
    CREATE TABLE IF NOT EXISTS release_prior_versions (
        load_id INTEGER NOT NULL,        -- the load that replaced this version
        prior_load_id INTEGER NOT NULL,  -- the load that had stored it
        incident_key BIGINT NOT NULL,
        month DATE, primary_type VARCHAR, category VARCHAR, index_crime BOOLEAN,
        community_area INTEGER, district INTEGER, arrest BOOLEAN
    )
"""


def snapshot_before_load(con: duckdb.DuckDBPyConnection) -> None:
    """Keep (in a temp table) what every stored record counts in, before a load may replace
    it; :func:`keep_prior_versions` then stores the versions the load replaced."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _release_before AS SELECT incident_key, load_id, "
        f"{', '.join(_CELL_FIELDS)} FROM incidents"
    )


def keep_prior_versions(con: duckdb.DuckDBPyConnection, load_id: int) -> int:
    """Store the versions that load ``load_id`` replaced (from :func:`snapshot_before_load`);
    return how many."""
    con.execute(PRIOR_DDL)
    try:
        before = count(con, "SELECT count(*) FROM release_prior_versions")
        con.execute(
            f"INSERT INTO release_prior_versions SELECT {int(load_id)}, b.load_id, "
            f"b.incident_key, {', '.join('b.' + f for f in _CELL_FIELDS)} "
            "FROM _release_before b JOIN incidents i ON i.incident_key = b.incident_key "
            f"WHERE i.load_id = {int(load_id)} AND b.load_id <> {int(load_id)}"
        )
        return count(con, "SELECT count(*) FROM release_prior_versions") - before
    finally:
        con.execute("DROP TABLE IF EXISTS _release_before")


def changed_records(con: duckdb.DuckDBPyConnection, since_load: int) -> int:
    """Build temp table ``_changed_cells`` (month, level, key, crime_type, incidents, arrests,
    any): per published cell, the changed records behind each metric, for records received
    after load ``since_load``. Returns the number of changed records."""
    fields = ", ".join(_CELL_FIELDS)
    prior = (
        f"SELECT incident_key, 'old' AS side, {fields} FROM ("
        f"SELECT *, row_number() OVER (PARTITION BY incident_key ORDER BY load_id) AS r "
        f"FROM release_prior_versions WHERE load_id > {int(since_load)} "
        f"AND prior_load_id <= {int(since_load)}) WHERE r = 1"
        if has_table(con, "release_prior_versions")
        else f"SELECT incident_key, 'old' AS side, {fields} FROM incidents WHERE false"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _changed_versions AS
        SELECT incident_key, 'new' AS side, {fields} FROM incidents
        WHERE load_id > {int(since_load)}
        UNION ALL {prior}
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _changed_cells AS
        WITH typed AS (
            SELECT incident_key, side, strftime(month, '%Y-%m') AS month, community_area,
                   district, arrest, ct
            FROM _changed_versions,
                 unnest(['ALL', primary_type, category,
                         CASE WHEN index_crime THEN 'index' END]) AS t(ct)
            WHERE ct IS NOT NULL AND month IS NOT NULL
        ),
        placed AS (
            SELECT incident_key, side, month, 'city' AS level, 'city' AS key, ct, arrest
            FROM typed
            UNION ALL
            SELECT incident_key, side, month, 'community-area', CAST(community_area AS VARCHAR),
                   ct, arrest FROM typed WHERE community_area IS NOT NULL
            UNION ALL
            SELECT incident_key, side, month, 'district', CAST(district AS VARCHAR), ct, arrest
            FROM typed WHERE district IS NOT NULL
        ),
        per_record AS (
            SELECT month, level, key, ct,
                   count(*) FILTER (WHERE side = 'old') AS n_old,
                   count(*) FILTER (WHERE side = 'new') AS n_new,
                   count(*) FILTER (WHERE side = 'old' AND arrest) AS a_old,
                   count(*) FILTER (WHERE side = 'new' AND arrest) AS a_new,
                   count(arrest) FILTER (WHERE side = 'old') AS f_old,
                   count(arrest) FILTER (WHERE side = 'new') AS f_new
            FROM placed GROUP BY incident_key, month, level, key, ct
        )
        SELECT month, level, key, ct AS crime_type,
               count(*) FILTER (WHERE n_old <> n_new) AS incidents,
               count(*) FILTER (WHERE a_old <> a_new) AS arrests,
               count(*) FILTER (WHERE n_old <> n_new OR a_old <> a_new OR f_old <> f_new)
                   AS "any"
        FROM per_record GROUP BY ALL
        """
    )
    assert LEVELS == ("city", "community-area", "district")  # the levels placed above
    return count(con, "SELECT count(DISTINCT incident_key) FROM _changed_versions")


@dataclass(frozen=True)
class Revisions:
    """What :func:`write_revisions` found."""

    figures: int  # figures revised
    months: list[str]  # months with a revised figure
    records: int  # changed records received since the previous release
    city: list[dict[str, str]]  # the city's revised figures for all crimes (the feed's lines)


def write_revisions(
    con: duckdb.DuckDBPyConnection,
    previous: Path,
    current: Path,
    since_load: int,
    target: Path,
) -> Revisions:
    """Compare the figures of the previous release (``previous``) with this release's
    (``current``), over the months the previous release published, and write the figures
    that differ to ``target`` (``revisions.csv``): old and new values (empty where a release
    has no such figure) and the changed records behind each."""
    records = changed_records(con, since_load)
    keys = "month, level, key, crime_type, metric"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _revisions AS
        SELECT {keys}, p.value AS old, n.value AS new
        FROM (SELECT * FROM {figures_relation(previous)}) p
        FULL OUTER JOIN (SELECT * FROM {figures_relation(current)}) n USING ({keys})
        WHERE month IN (SELECT DISTINCT month FROM {figures_relation(previous)})
          AND p.value IS DISTINCT FROM n.value
        """
    )
    metric_count = (
        "CASE r.metric WHEN 'incidents' THEN c.incidents WHEN 'arrests' THEN c.arrests "
        'ELSE c."any" END'
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""
        COPY (
            SELECT r.month, r.level, r.key, r.crime_type, r.metric, r.old, r.new,
                   coalesce({metric_count}, 0) AS records_changed
            FROM _revisions r LEFT JOIN _changed_cells c
              ON c.month = r.month AND c.level = r.level AND c.key = r.key
             AND c.crime_type = r.crime_type
            ORDER BY r.month, CASE r.level WHEN 'city' THEN 0 WHEN 'community-area' THEN 1
                     ELSE 2 END, TRY_CAST(r.key AS INTEGER) NULLS FIRST, r.key, r.crime_type,
                     CASE r.metric WHEN 'incidents' THEN 0 WHEN 'arrests' THEN 1 ELSE 2 END
        ) TO {sql_str(str(target))} (HEADER, DELIMITER ',', QUOTE '"')
        """
    )
    months = [
        str(r[0])
        for r in con.execute("SELECT DISTINCT month FROM _revisions ORDER BY 1").fetchall()
    ]
    city = [r for r in read_revisions(target) if r["level"] == "city" and r["crime_type"] == "ALL"]
    n = count(con, "SELECT count(*) FROM _revisions")
    for t in ("_revisions", "_changed_cells", "_changed_versions"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return Revisions(n, months, records, city)


def no_revisions(target: Path) -> None:
    """The revisions file of a first release: the header alone."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")


def read_revisions(path: Path) -> list[dict[str, str]]:
    """The rows of a revisions.csv (none when the file is absent)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


#: Ages (months after the month's end) at which the arrest-rate revision is measured.
AGES: Final = (1, 2, 3, 6, 12)


def revision_by_age(
    con: duckdb.DuckDBPyConnection, min_incidents: int = 100
) -> list[dict[str, object]]:
    """How much a month's citywide arrest rate (proxy) rises after it is first published,
    by the month's age, measured from the records the warehouse holds.

    For every month with at least ``min_incidents`` incidents that records the Arrest flag,
    and every age *k* in :data:`AGES` that the warehouse's newest update has passed, the rate
    as it stood *k* months after the month ended is estimated by counting as arrests only the
    arrested records last updated by then (a record updated later may have gained its arrest
    later); the revision is today's rate minus that one, in percentage points. Per age: the
    months measured, the median and the 90th percentile of the revision. An upper bound: a
    record updated later for another reason counts as a late arrest."""
    rows = con.execute(
        f"""
        WITH newest AS (SELECT max(updated_on) AS t FROM incidents),
        ages AS (SELECT unnest({list(AGES)}) AS age),
        per AS (
            SELECT i.month, a.age,
                   count(i.arrest) AS flagged,
                   count(*) FILTER (WHERE i.arrest) AS arrests,
                   count(*) FILTER (WHERE i.arrest AND i.updated_on <
                       i.month + to_months(a.age + 1)) AS arrests_then
            FROM incidents i, ages a, newest
            WHERE i.month IS NOT NULL AND i.month + to_months(a.age + 1) <= newest.t
            GROUP BY i.month, a.age
            HAVING count(i.arrest) >= {int(min_incidents)}
        )
        SELECT age, count(*) AS months,
               median(100.0 * (arrests - arrests_then) / flagged) AS median_pp,
               quantile_cont(100.0 * (arrests - arrests_then) / flagged, 0.9) AS p90_pp
        FROM per GROUP BY age ORDER BY age
        """
    ).fetchall()
    return [
        {
            "age_months": int(age),
            "months_measured": int(n),
            "median_revision_pp": round(float(med), 2),
            "p90_revision_pp": round(float(p90), 2),
        }
        for age, n, med, p90 in rows
    ]
