"""Community profiles: each area's violence rate and root-cause indicators with its city rank.

Reads only aggregates: the ``indicators`` tables (``safer77 ingest indicators``) and the stored
statistics. Rank 1 is the area with the most need on that measure (the highest value, or the
lowest where higher is better, like income); ties share the better rank.
"""

from __future__ import annotations

from typing import Any

import duckdb

from safer77.coordinate.environment import rate_ratio_interval
from safer77.metrics.coverage import Coverage, read_coverage, shift_months
from safer77.schema import LOW_N_THRESHOLD
from safer77.warehouse.db import has_table


def load_profiles(
    con: duckdb.DuckDBPyConnection, month: str, coverage: Coverage | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Rows per area key ("1".."77"): measure, value, unit, rank of 77, definition.

    The violence measures from incidents are given only where the loaded files cover violent
    crime at the community-area level in every month of their window, with one scope
    (``coverage``; read from the warehouse when not given)."""
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
                "description": desc if desc and desc != name else _readable(name),
                "root_cause": cause,
                "value": round(float(value), 3),
                "unit": unit,
                "rank": int(rank),
                "of": int(n),
                "source": f"{source} ({year})" if year else source,
            }
        )
    cov = coverage or read_coverage(con)

    def covered(months: int) -> bool:
        window = [shift_months(month, -k) for k in range(months)]
        return cov.window_comparable("violent", window, "community-area")

    extra = [
        _violence(con, month) if covered(12) else {},
        _trend(con, month) if covered(24) else {},
        *_victims(con, month),
    ]
    for measure in reversed(extra):
        for area, row in measure.items():
            out.setdefault(area, []).insert(0, row)
    return out


def population(con: duckdb.DuckDBPyConnection) -> dict[int, float]:
    """Residents per community area, where the ``population`` indicator is loaded."""
    if not has_table(con, "indicators"):
        return {}
    rows = con.execute(
        "SELECT community_area, value FROM indicators WHERE indicator = 'population' AND value > 0"
    ).fetchall()
    return {int(a): float(v) for a, v in rows}


def _window(month: str) -> tuple[str, str]:
    """First day of the 12-month window ending with ``month``, and the day after it."""
    y, m = int(month[:4]), int(month[5:7])
    if m == 12:
        return f"{y:04d}-01-01", f"{y + 1:04d}-01-01"
    return f"{y - 1:04d}-{m + 1:02d}-01", f"{y:04d}-{m + 1:02d}-01"


VICTIM_MEASURES = (
    ("homicide", "homicide_victims_per_100k", "Homicide victims"),
    ("nonfatal_shooting", "shooting_victims_per_100k", "Non-fatal shooting victims"),
)
SOURCES = {"city": "the City's victims file", "gva": "Gun Violence Archive (mass shootings only)"}


def _victims(con: duckdb.DuckDBPyConnection, month: str) -> list[dict[str, dict[str, Any]]]:
    """Victims per 100,000 residents over the 12 months to ``month``, per kind, every area
    with a population counted (zero where none), when the window holds any victim."""
    pop = population(con)
    if not pop or not has_table(con, "victims"):
        return []
    start, stop = _window(month)
    out = []
    for kind, measure, label in VICTIM_MEASURES:
        rows = con.execute(
            "SELECT community_area, count(*) FROM victims WHERE kind = ? AND occurred_at >= ? "
            "AND occurred_at < ? AND community_area IS NOT NULL GROUP BY ALL",
            [kind, start, stop],
        ).fetchall()
        if not rows:
            continue
        sources = [
            SOURCES.get(str(src), str(src))
            for (src,) in con.execute(
                "SELECT DISTINCT source FROM victims WHERE kind = ? AND occurred_at >= ? "
                "AND occurred_at < ? ORDER BY 1",
                [kind, start, stop],
            ).fetchall()
        ]
        counts = {int(a): int(n) for a, n in rows}
        rates = {a: counts.get(a, 0) * 1e5 / p for a, p in pop.items()}
        out.append(
            {
                str(a): {
                    "measure": measure,
                    "description": f"{label} in the 12 months to {month} per 100,000 "
                    f"residents ({counts.get(a, 0):,} victims"
                    + (
                        ", a small number: the rate is unstable"
                        if counts.get(a, 0) < LOW_N_THRESHOLD
                        else ""
                    )
                    + ")",
                    "root_cause": "violence",
                    "value": round(rate, 1),
                    "unit": "per 100,000",
                    "rank": 1 + sum(1 for r in rates.values() if r > rate),
                    "of": len(rates),
                    "source": " and ".join(sources) + " and population",
                }
                for a, rate in rates.items()
            }
        )
    return out


def _trend(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, dict[str, Any]]:
    """Violent incidents in the 12 months to ``month`` against the 12 months before, as a
    percentage change with a 95% interval (Poisson rate ratio); rank 1 = largest rise. Only
    when the statistics cover both 12-month windows."""
    if not has_table(con, "stats_arrest_rate_proxy"):
        return {}
    start, stop = _window(month)
    before = f"{int(start[:4]) - 1:04d}{start[4:]}"
    ((first,),) = con.execute(
        "SELECT min(month) FROM stats_arrest_rate_proxy WHERE level = 'community-area'"
    ).fetchall()
    if first is None or str(first)[:10] > before:
        return {}  # the data do not reach back 24 months: no honest comparison
    rows = con.execute(
        """
        SELECT CAST(area_key AS INTEGER) AS area,
               sum(incidents) FILTER (WHERE month >= CAST(? AS DATE)) AS recent,
               sum(incidents) FILTER (WHERE month < CAST(? AS DATE)) AS earlier
        FROM stats_arrest_rate_proxy
        WHERE level = 'community-area' AND crime_type = 'violent'
          AND month >= CAST(? AS DATE) AND month < CAST(? AS DATE)
        GROUP BY ALL
        """,
        [start, start, before, stop],
    ).fetchall()
    # an area with none in the last 12 months fell by 100%; one with none before has no ratio
    changes = {int(a): (int(r or 0), int(e)) for a, r, e in rows if e}
    if not changes:
        return {}
    pct = {a: 100.0 * (r / e - 1) for a, (r, e) in changes.items()}
    out = {}
    for a, (recent, earlier) in changes.items():
        low, high = rate_ratio_interval(recent, earlier)
        interval = (
            f"95% interval {100 * (low - 1):+.0f}% to {100 * (high - 1):+.0f}%"
            if low is not None and high is not None
            else "no interval"
        )
        out[str(a)] = {
            "measure": "violent_incidents_change_pct",
            "description": f"Change in violent incidents, 12 months to {month} against the 12 "
            f"months before ({recent:,} against {earlier:,}; {interval})",
            "root_cause": "violence",
            "value": round(pct[a], 1),
            "unit": "%",
            "rank": 1 + sum(1 for v in pct.values() if v > pct[a]),
            "of": len(pct),
            "source": "incidents (arrest_rate_proxy statistics)",
        }
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


def _readable(name: str) -> str:
    """An indicator's name as words, for one loaded without a description
    ("per_capita_income" → "Per capita income"; the unit is shown with the value)."""
    words = name.removesuffix("_pct").replace("_", " ").strip()
    return words[:1].upper() + words[1:]
