"""Public counts of unsolved homicides per community area: the only part of the solve
analytics that reaches the public site (no case numbers, no victim details)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from safer77.metrics.intervals import wilson
from safer77.schema import LOW_N_THRESHOLD
from safer77.solve.study import clusters
from safer77.warehouse.db import replace_table

TABLE = "solve_area_counts"
DEFINITION = (
    "UCR clearance of homicides from CPD's case records (cleared by arrest or exceptionally), "
    "linked to the portal's homicide rows for the community area"
)


def area_counts(
    con: duckdb.DuckDBPyConnection,
    *,
    clearance: Path | None = None,
    database_url: str | None = None,
    first_year: int = 2010,
    last_year: int | None = None,
    fdr: float = 0.05,
) -> list[dict[str, Any]]:
    """Per community area over the injury years: homicides, cleared by arrest and
    exceptionally, unsolved, the clearance rate with its 95% interval, what comparable cases
    (same injury years) achieve city-wide, and whether the area's clearance is significantly
    below that (Benjamini-Hochberg over the areas)."""
    study = clusters(
        con,
        clearance=clearance,
        database_url=database_url,
        by=("area",),
        first_year=first_year,
        last_year=last_year,
        min_n=1,
        fdr=fdr,
    )
    tested = {g.key["area"]: g for g in study.groups}
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    years = []
    for c in study.linkage.linked:
        year = c.record.injury_at.year
        if c.community_area is None or year < first_year or (last_year and year > last_year):
            continue
        years.append(year)
        t = tally[c.community_area]
        t[0] += 1
        t[1] += c.cleared_arrest
        t[2] += c.cleared_exceptional
    label = f"{min(years)}-{max(years)}" if years else ""
    rows = []
    for area in sorted(tally):
        n, arrest, exceptional = tally[area]
        g = tested.get(str(area))
        low, high = wilson(arrest + exceptional, n)
        rows.append(
            {
                "community_area": area,
                "years": label,
                "homicides": n,
                "cleared_arrest": arrest,
                "cleared_exceptional": exceptional,
                "unsolved": n - arrest - exceptional,
                "clearance": round((arrest + exceptional) / n, 4),
                "ci_low": round(low, 4),
                "ci_high": round(high, 4),
                "expected": round(g.expected_rate, 4) if g else None,
                "below_comparable": bool(g and g.flagged),
                "low_n": n < LOW_N_THRESHOLD,
                "definition": DEFINITION,
            }
        )
    return rows


SCHEMA = pa.schema(
    [
        ("community_area", pa.int64()),
        ("years", pa.string()),
        ("homicides", pa.int64()),
        ("cleared_arrest", pa.int64()),
        ("cleared_exceptional", pa.int64()),
        ("unsolved", pa.int64()),
        ("clearance", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("expected", pa.float64()),
        ("below_comparable", pa.bool_()),
        ("low_n", pa.bool_()),
        ("definition", pa.string()),
    ]
)


def save_area_counts(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Replace the warehouse's ``solve_area_counts`` table."""
    replace_table(con, TABLE, pa.Table.from_pylist(rows, schema=SCHEMA))
