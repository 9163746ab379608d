"""Priority ranking: the city's rule, the composite index, its sensitivity and phasing."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest

from safer77.coordinate.priority import (
    Measure,
    city_rule,
    composite,
    phases,
    rank_desc,
    sensitivity,
    standardise,
)
from safer77.coordinate.ranking import PriorityOptions, priority_table
from safer77.errors import InvalidInput
from safer77.warehouse import load_incidents
from safer77.warehouse.indicators import load_indicators


def test_city_rule_averages_the_window_and_breaks_ties_by_area_number() -> None:
    yearly = {1: [3, 3, 3], 2: [9, 0, 0], 3: [1, 2, 0], 4: [0, 0, 0], 5: [2, 4, 3]}
    ranked = city_rule(yearly)
    # averages: 1 -> 3, 2 -> 3, 3 -> 1, 4 -> 0, 5 -> 3: three-way tie at 3, lowest number first
    assert [(a, r) for a, _, r in ranked] == [(1, 1), (2, 2), (5, 3), (3, 4), (4, 5)]
    assert ranked[0][1] == 3.0


def test_composite_is_the_weighted_mean_of_oriented_z_scores() -> None:
    poverty = np.array([10.0, 20.0, 30.0])  # z = -1.2247, 0, 1.2247
    income = np.array([30.0, 20.0, 10.0])  # higher is better: same orientation as poverty
    z, score = composite(
        [Measure("poverty", poverty, 3.0), Measure("income", income, 1.0, higher_is_worse=False)]
    )
    expected = standardise(poverty)
    assert np.allclose(z[:, 0], expected) and np.allclose(z[:, 1], expected)
    assert np.allclose(score, expected)
    assert list(rank_desc(score, [1, 2, 3])) == [3, 2, 1]
    with pytest.raises(InvalidInput, match="non-negative"):
        composite([Measure("x", poverty, -1.0)])


def test_sensitivity_is_deterministic_per_seed_and_phases_follow_ranks() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(30, 4))
    keys = list(range(1, 31))
    a = sensitivity(z, [1, 1, 1, 1], keys, top=5, draws=300, rng=np.random.default_rng(9))
    b = sensitivity(z, [1, 1, 1, 1], keys, top=5, draws=300, rng=np.random.default_rng(9))
    assert np.array_equal(a.rank_low, b.rank_low) and np.array_equal(a.share_top, b.share_top)
    assert (a.rank_low <= a.median_rank).all() and (a.median_rank <= a.rank_high).all()
    assert a.share_top.sum() == pytest.approx(5.0)  # five places in the top 5 in every draw
    # one dominant measure and tight weights: the order is stable
    strong = np.column_stack([np.arange(30, 0, -1.0), np.zeros(30)])
    s = sensitivity(strong, [1, 0.001], keys, top=5, draws=200, rng=np.random.default_rng(1))
    assert s.stable_top == 5
    assert phases([1, 2, 3, 4, 5, 6, 11], capacity=5) == [1, 1, 1, 1, 1, 2, 3]


@pytest.mark.realdata
def test_city_rule_on_real_homicides_equals_an_independent_count(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    path = shared_data / "crimes" / "chicago_homicides_2001_present.csv.gz"
    load_incidents(con, path)
    result = priority_table(con, PriorityOptions(start=2018, end=2020, top=15))
    ours = [r["community_area"] for r in result.rows if r["city_rule_top"]]
    # independent: Python's csv over the file, one row per victim
    counts: Counter[int] = Counter()
    with gzip.open(path, "rt", newline="") as fh:
        for row in csv.DictReader(fh):
            year = datetime.strptime(row["Date"], "%m/%d/%Y %I:%M:%S %p").year
            if 2018 <= year <= 2020 and row["Community Area"]:
                counts[int(float(row["Community Area"]))] += 1
    expected = sorted(range(1, 78), key=lambda a: (-counts[a], a))[:15]
    assert ours == expected
    assert result.rows[0]["victims_per_year"] == pytest.approx(counts[expected[0]] / 3, abs=1e-3)


@pytest.mark.realdata
def test_composite_with_weights_is_reproducible(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    load_incidents(con, shared_data / "crimes" / "chicago_homicides_2001_present.csv.gz")
    load_indicators(
        con,
        shared_data / "boundaries" / "community_areas_with_pop_2000_2010.geojson",
        "population-2010",
    )
    load_indicators(
        con,
        shared_data / "indicators" / "census_2008_2012_socioeconomic_by_community_area.csv",
        "census-2008-2012",
    )
    opts = PriorityOptions(
        weights={"violence_rate": 0.5, "poverty_pct": 0.3, "per_capita_income": 0.2},
        draws=200,
        seed=5,
    )
    first, second = priority_table(con, opts), priority_table(con, opts)
    assert first == second
    ranks = [r["rank"] for r in first.rows]
    assert ranks == sorted(ranks) and sorted(ranks) == list(range(1, 78))
    assert all(r["rank_low"] <= r["rank"] <= r["rank_high"] for r in first.rows[:15])
    assert first.stable_top is not None and 0 <= first.stable_top <= 15
    assert [r["phase"] for r in first.rows[:6]] == [1, 1, 1, 1, 1, 2]
