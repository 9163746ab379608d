"""Hotspots: flagging, Gi*/KDE scores, the hold-out evaluation (PAI) and its determinism."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from safer77.coordinate.hotspots import (
    Grid,
    Score,
    evaluate,
    flag,
    score_gi_star,
    score_kde,
)
from safer77.coordinate.study import hotspot_evaluation
from safer77.warehouse import load_boundaries, load_incidents


def test_pai_is_hit_rate_over_area_share() -> None:
    s = Score(month="2024-01", method="kde", incidents=40, hits=10, area_share=0.05)
    assert s.hit_rate == 0.25 and s.pai == pytest.approx(5.0)
    assert Score("2024-01", "kde", 0, 0, 0.05).pai is None


def test_flag_takes_the_share_of_city_cells_with_seeded_ties() -> None:
    inside = np.ones((10, 10), dtype=bool)
    inside[:, 0] = False  # 90 city cells
    scores = np.zeros((10, 10))
    scores[5, 5] = 3.0
    a = flag(scores, inside, 0.05, np.random.default_rng(1))
    b = flag(scores, inside, 0.05, np.random.default_rng(1))
    assert a.sum() == round(0.05 * 90) and a[5, 5] and not a[:, 0].any()
    assert np.array_equal(a, b)


def test_gi_star_and_kde_peak_on_a_cluster() -> None:
    counts = np.zeros((9, 9))
    counts[3:6, 3:6] = 5.0  # a 3x3 cluster in the middle
    counts[0, 8] = 5.0  # an isolated busy cell
    inside = np.ones((9, 9), dtype=bool)
    z = score_gi_star(counts, inside)
    assert np.unravel_index(np.argmax(z), z.shape) == (4, 4)
    assert z[4, 4] > z[0, 8]
    k = score_kde(counts, 1.0)
    assert np.unravel_index(np.argmax(k), k.shape) == (4, 4)


def synthetic_months(seed: int, months: int = 10) -> tuple[Grid, list[tuple[str, np.ndarray]]]:
    """A 20x20 city with a persistent hotspot (a 3x3 block) over a Poisson background."""
    rng = np.random.default_rng(seed)
    rate = np.full((20, 20), 0.2)
    rate[12:15, 4:7] = 4.0
    grid = Grid(0.0, 0.0, 1.0, 20, 20, np.ones((20, 20), dtype=bool))
    return grid, [(f"2024-{m + 1:02d}", rng.poisson(rate).astype(float)) for m in range(months)]


def test_evaluation_finds_a_planted_hotspot_and_is_deterministic() -> None:
    grid, monthly = synthetic_months(3)
    first = evaluate(grid, monthly, holdout=4, seed=9)
    again = evaluate(grid, monthly, holdout=4, seed=9)
    assert first == again
    assert [s.month for s in first[::3]] == ["2024-07", "2024-08", "2024-09", "2024-10"]
    by_method = {m: [s.pai for s in first if s.method == m] for m in ("naive", "kde", "gi_star")}
    # the hotspot holds ~36 of ~110 incidents a month in 2.25% of the area
    assert min(by_method["gi_star"]) > 5 and min(by_method["kde"]) > 5
    assert all(s.area_share == pytest.approx(0.05) for s in first)
    with pytest.raises(Exception, match="more months"):
        evaluate(grid, monthly, holdout=10)


@pytest.mark.slow
@pytest.mark.realdata
def test_real_carjackings_hold_out_six_months(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    load_incidents(con, shared_data / "crimes" / "chicago_carjackings_2020.geojson")
    load_boundaries(
        con,
        "community-areas",
        shared_data / "boundaries" / "community_areas_with_pop_2000_2010.geojson",
    )
    scores = hotspot_evaluation(con, crime_types=None, holdout=6, seed=1)
    assert scores == hotspot_evaluation(con, crime_types=None, holdout=6, seed=1)
    assert len(scores) == 18 and {s.month for s in scores} == {
        f"2020-{m:02d}" for m in range(7, 13)
    }
    for s in scores:
        print(s.month, s.method, s.incidents, s.hits, round(s.pai or 0, 2))
        assert s.incidents > 50 and s.pai is not None and s.pai > 1
