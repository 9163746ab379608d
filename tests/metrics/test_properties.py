"""Invariants of the statistics, over generated incident sets (hypothesis)."""

from __future__ import annotations

import math
from collections import Counter

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import load_rows, portal_row
from safer77.metrics import ArrestRow, arrest_stats
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
    st.sampled_from([True, False, False, None]),  # arrest; None: the export has no flag
)


def load(rows: list[tuple[int, int, int, int, int, bool | None]]) -> duckdb.DuckDBPyConnection:
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
                arrest="" if arrest is None else "true" if arrest else "false",
            )
        )
    con = load_rows(generated)
    assert con.execute("SELECT count(*) FROM incidents").fetchall()[0][0] == len(rows)
    return con


def by_cell(rows: list[ArrestRow]) -> dict[tuple[str, str], Counter[str]]:
    out: dict[tuple[str, str], Counter[str]] = {}
    for r in rows:
        c = out.setdefault((r.month, r.crime_type), Counter())
        c["incidents"] += r.incidents
        c["arrests"] += r.arrests or 0
    return out


Gen = list[tuple[int, int, int, int, int, bool | None]]


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(incident, min_size=1, max_size=120))
def test_levels_add_up_and_rates_are_bounded(rows: Gen) -> None:
    con = load(rows)
    for selector in ({}, {"category": "violent"}, {"category": "index"}, {"crime_type": "BATTERY"}):
        city = by_cell(arrest_stats(con, by="city", **selector))
        for level in ("district", "community-area", "beat"):
            cells = arrest_stats(con, by=level, **selector)
            assert by_cell(cells) == city, (level, selector)
            for r in cells:
                if r.arrest_rate is None:  # no row of the cell carries the flag
                    assert r.arrests is None and r.ci_low is None and r.low_n
                else:
                    assert r.ci_low is not None and r.ci_high is not None
                    assert 0.0 <= r.ci_low <= r.arrest_rate <= r.ci_high <= 1.0
    # the city's monthly incidents equal a plain count of what was generated
    months = Counter(f"{2023 + m // 12}-{1 + m % 12:02d}" for m, *_ in rows)
    assert {r.month: r.incidents for r in arrest_stats(con)} == months
    con.close()


@settings(max_examples=20, deadline=None)
@given(st.lists(incident, min_size=1, max_size=80))
def test_district_cells_equal_a_recount(rows: Gen) -> None:
    """Rates and intervals are over the incidents whose flag is known (a hand recount)."""
    expected: dict[tuple[str, str], Counter[str]] = {}
    for m, d, _, _, _, arrest in rows:
        c = expected.setdefault((f"{2023 + m // 12}-{1 + m % 12:02d}", str(d)), Counter())
        c["incidents"] += 1
        c["flagged"] += arrest is not None
        c["arrests"] += arrest is True
    con = load(rows)
    got = {(r.month, r.key): r for r in arrest_stats(con, by="district")}
    assert set(got) == set(expected)
    for cell, c in expected.items():
        r = got[cell]
        assert r.incidents == c["incidents"] and r.low_n == (c["flagged"] < 20)
        if c["flagged"] == 0:
            assert (r.arrests, r.arrest_rate, r.ci_low, r.ci_high) == (None, None, None, None)
            continue
        low, high = wilson(c["arrests"], c["flagged"])
        assert r.arrests == c["arrests"] and r.arrest_rate == c["arrests"] / c["flagged"]
        assert r.ci_low is not None and r.ci_high is not None
        assert math.isclose(r.ci_low, low, abs_tol=1e-12)
        assert math.isclose(r.ci_high, high, abs_tol=1e-12)
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
