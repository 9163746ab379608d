"""Invariants of the statistics, over generated incident sets (hypothesis)."""

from __future__ import annotations

import math
from collections import Counter

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import load_rows, portal_row
from safer77.metrics import arrest_stats
from safer77.metrics.intervals import Z95, wilson

TYPES = [
    ("THEFT", "06", "$500 AND UNDER"),
    ("ROBBERY", "03", "ARMED - HANDGUN"),
    ("BATTERY", "08B", "SIMPLE"),
    ("BATTERY", "04B", "AGGRAVATED - HANDGUN"),
]

incident = st.tuples(
    st.integers(0, 13),  # month offset from 2023-01
    st.integers(1, 4),  # district
    st.integers(1, 3),  # beat within district
    st.integers(1, 6),  # community area
    st.integers(0, len(TYPES) - 1),
    st.booleans(),  # arrest
)


def load(rows: list[tuple[int, int, int, int, int, bool]]) -> duckdb.DuckDBPyConnection:
    generated = []
    for i, (m, d, b, ca, t, arrest) in enumerate(rows, start=1):
        ptype, fbi, desc = TYPES[t]
        generated.append(
            portal_row(
                id=str(i),
                date=f"{1 + m % 12:02d}/15/{2023 + m // 12} 10:00:00 AM",
                district=f"{d:03d}",
                beat=f"{d:02d}{b}1",
                community_area=str(ca),
                primary_type=ptype,
                fbi_code=fbi,
                description=desc,
                arrest="true" if arrest else "false",
            )
        )
    con = load_rows(generated)
    assert con.execute("SELECT count(*) FROM incidents").fetchall()[0][0] == len(rows)
    return con


def by_cell(rows: list, by: str) -> dict[tuple[str, str], Counter[str]]:
    out: dict[tuple[str, str], Counter[str]] = {}
    for r in rows:
        c = out.setdefault((r.month, r.crime_type), Counter())
        c["incidents"] += r.incidents
        c["arrests"] += r.arrests
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(incident, min_size=1, max_size=120))
def test_levels_add_up_and_rates_are_bounded(
    rows: list[tuple[int, int, int, int, int, bool]],
) -> None:
    con = load(rows)
    for selector in ({}, {"category": "violent"}, {"category": "index"}, {"crime_type": "BATTERY"}):
        city = by_cell(arrest_stats(con, by="city", **selector), "city")
        for level in ("district", "community-area", "beat"):
            cells = arrest_stats(con, by=level, **selector)
            assert by_cell(cells, level) == city, (level, selector)
            for r in cells:
                assert r.arrest_rate is not None
                assert 0.0 <= r.ci_low <= r.arrest_rate <= r.ci_high <= 1.0  # type: ignore[operator]
                assert r.low_n == (r.incidents < 20)
    # the city's monthly incidents equal a plain count of what was generated
    months = Counter(f"{2023 + m // 12}-{1 + m % 12:02d}" for m, *_ in rows)
    assert {r.month: r.incidents for r in arrest_stats(con)} == months
    con.close()


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_bounds_solve_the_score_equation(kn: tuple[int, int]) -> None:
    k, n = kn
    low, high = wilson(k, n)
    p = k / n
    assert 0 <= low <= p <= high <= 1
    # Each bound not clamped at 0 or 1 satisfies (p - b)^2 = z^2 b (1 - b) / n.
    for b in (low, high):
        if 0 < b < 1 and b != p:
            assert math.isclose((p - b) ** 2, Z95**2 * b * (1 - b) / n, rel_tol=1e-6)


@settings(max_examples=20, deadline=None)
@given(st.lists(incident, min_size=1, max_size=60))
def test_sql_interval_equals_reference(rows: list[tuple[int, int, int, int, int, bool]]) -> None:
    con = load(rows)
    for r in arrest_stats(con, by="district"):
        low, high = wilson(r.arrests, r.incidents)
        assert math.isclose(r.ci_low or 0.0, low, abs_tol=1e-12)
        assert math.isclose(r.ci_high or 0.0, high, abs_tol=1e-12)
    con.close()
