"""Community profiles: each area's violence rate and root-cause indicators with its city rank.

Reads only aggregates: the ``indicators`` tables (``safer77 ingest indicators``) and the stored
statistics. Rank 1 is the area with the most need on that measure (the highest value, or the
lowest where higher is better, like income); ties share the better rank.
"""

from __future__ import annotations

from typing import Any

import duckdb

from safer77.warehouse.db import has_table


def load_profiles(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, list[dict[str, Any]]]:
    """Rows per area key ("1".."77"): measure, value, unit, rank of 77, definition."""
    if not (has_table(con, "indicators") and has_table(con, "indicator_catalog")):
        return {}
    rows = con.execute(
        """
        SELECT i.community_area, c.name, c.description, c.unit, c.root_cause, i.value,
               rank() OVER (PARTITION BY c.name ORDER BY
                   CASE WHEN c.higher_is_better THEN i.value ELSE -i.value END) AS rank,
               count(*) OVER (PARTITION BY c.name) AS n, c.source, c.year
        FROM indicators i JOIN indicator_catalog c ON c.name = i.indicator
        ORDER BY i.community_area, c.root_cause, c.name
        """
    ).fetchall()
    out: dict[str, list[dict[str, Any]]] = {}
    for area, name, desc, unit, cause, value, rank, n, source, year in rows:
        out.setdefault(str(area), []).append(
            {
                "measure": name,
                "description": desc,
                "root_cause": cause,
                "value": round(float(value), 3),
                "unit": unit,
                "rank": int(rank),
                "of": int(n),
                "source": f"{source} ({year})" if year else source,
            }
        )
    violence = _violence(con, month)
    for area, row in violence.items():
        out.setdefault(area, []).insert(0, row)
    return out


def _violence(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, dict[str, Any]]:
    """Violent incidents per 100,000 residents over the 12 months to ``month``."""
    if not has_table(con, "stats_arrest_rate_proxy"):
        return {}
    rows = con.execute(
        """
        WITH v AS (
            SELECT CAST(area_key AS INTEGER) AS area, sum(incidents) AS n
            FROM stats_arrest_rate_proxy
            WHERE level = 'community-area' AND crime_type = 'violent'
              AND month > CAST(? AS DATE) - INTERVAL 12 MONTH AND month <= CAST(? AS DATE)
            GROUP BY ALL
        ), r AS (
            SELECT v.area, v.n, i.value AS population, v.n * 1e5 / i.value AS rate
            FROM v JOIN indicators i ON i.community_area = v.area AND i.indicator = 'population'
            WHERE i.value > 0
        )
        SELECT area, n, population, rate, rank() OVER (ORDER BY rate DESC), count(*) OVER ()
        FROM r
        """,
        [f"{month}-01", f"{month}-01"],
    ).fetchall()
    return {
        str(area): {
            "measure": "violent_incidents_per_100k",
            "description": f"Violent incidents in the 12 months to {month} per 100,000 residents "
            f"({int(n):,} incidents, population {int(pop):,})",
            "root_cause": "violence",
            "value": round(float(rate), 1),
            "unit": "per 100,000",
            "rank": int(rank),
            "of": int(total),
            "source": "incidents (arrest_rate_proxy statistics) and population",
        }
        for area, n, pop, rate, rank, total in rows
    }
