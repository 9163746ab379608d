"""The figures a release publishes, one per month x level x key x crime type x metric, as
``data/figures.csv``: the ground truth that the next release's revisions are measured against.

Values are written as text in one fixed format (counts as integers, rates with six decimals),
so that two releases compare by string and a rebuild writes the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import duckdb

from safer77.warehouse.db import sql_str

COLUMNS: Final = ("month", "level", "key", "crime_type", "metric", "value")
METRICS: Final = ("incidents", "arrests", "arrest_rate")
#: The levels the site publishes pages for (beats are computed but not published).
LEVELS: Final = ("city", "community-area", "district")

#: The figures as a relation over the stored statistics (``stats_arrest_rate_proxy``). A metric
#: without a value (no source records the Arrest flag) has no row.
FIGURES_SQL: Final = f"""
    SELECT month, level, key, crime_type, metric, value FROM (
        SELECT strftime(month, '%Y-%m') AS month, level, area_key AS key, crime_type,
               CAST(incidents AS VARCHAR) AS incidents,
               CAST(arrests AS VARCHAR) AS arrests,
               printf('%.6f', arrest_rate) AS arrest_rate
        FROM stats_arrest_rate_proxy
        WHERE level IN ({", ".join(sql_str(lv) for lv in LEVELS)})
    ) UNPIVOT (value FOR metric IN ({", ".join(METRICS)}))
    WHERE value IS NOT NULL
"""

#: Sort order: months, then the city before areas before districts, keys by number.
ORDER: Final = (
    "ORDER BY month, CASE level WHEN 'city' THEN 0 WHEN 'community-area' THEN 1 ELSE 2 END, "
    "TRY_CAST(key AS INTEGER) NULLS FIRST, key, crime_type, "
    "CASE metric WHEN 'incidents' THEN 0 WHEN 'arrests' THEN 1 ELSE 2 END"
)


def write_figures(con: duckdb.DuckDBPyConnection, target: Path) -> int:
    """Write every figure of the stored statistics to ``target`` (CSV); return how many."""
    target.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT * FROM ({FIGURES_SQL}) {ORDER}) TO {sql_str(str(target))} "
        "(HEADER, DELIMITER ',', QUOTE '\"')"
    )
    return int(con.execute(f"SELECT count(*) FROM ({FIGURES_SQL})").fetchall()[0][0])


def figures_relation(path: Path) -> str:
    """SQL reading a figures.csv written by :func:`write_figures` (every column as text)."""
    cols = ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS)
    return f"read_csv({sql_str(str(path))}, header = true, columns = {{{cols}}})"


def headline(con: duckdb.DuckDBPyConnection, figures: Path, month: str) -> dict[str, str]:
    """The city's figures for all crimes in ``month`` (metric -> value), for the feed."""
    rows = con.execute(
        f"SELECT metric, value FROM {figures_relation(figures)} "
        "WHERE month = ? AND level = 'city' AND crime_type = 'ALL'",
        [month],
    ).fetchall()
    return {str(m): str(v) for m, v in rows}
