"""The 311 environment arithmetic: median intervals, the stratified permutation test and the
neighbourhood mask, each against an independent computation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.ndimage import binary_dilation

from safer77.coordinate.environment import dilate, exposure_test, median_ci, relative_risk


@pytest.mark.parametrize(("n", "j"), [(10, 2), (20, 6), (30, 10), (50, 18), (100, 40)])
def test_median_interval_matches_the_binomial_table(n: int, j: int) -> None:
    # Published order statistics for a >= 95% median interval (e.g. Conover, Practical
    # Nonparametric Statistics, table A3): x(j) .. x(n + 1 - j).
    values = np.arange(1, n + 1, dtype=float) * 10
    ci = median_ci(values[::-1])
    assert ci.low == values[j - 1] and ci.high == values[n - j]


def test_median_interval_needs_six_values() -> None:
    assert median_ci([1, 2, 3, 4, 5]).low is None
    assert median_ci([1, 2, 3, 4, 5, 6]).low == 1
    assert median_ci([]).median is None


@given(st.lists(st.integers(0, 60), min_size=6, max_size=80))
def test_median_interval_brackets_the_median(values: list[int]) -> None:
    ci = median_ci(values)
    assert ci.low is not None and ci.high is not None and ci.median is not None
    assert ci.low <= ci.median <= ci.high


def test_relative_risk_by_hand() -> None:
    rr, low, high = relative_risk(30, 100, 20, 400)
    assert rr == pytest.approx((30 / 100) / (20 / 400))
    assert low is not None and high is not None and low < rr < high
    assert relative_risk(0, 10, 0, 10) == (None, None, None)


def exact_p(incidents: np.ndarray, exposed: np.ndarray, strata: np.ndarray) -> float:
    """Enumerate every within-stratum placement of the exposed units."""
    observed = incidents[exposed].sum()
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    options = []
    for g in groups:
        k = int(exposed[g].sum())
        options.append([incidents[list(c)].sum() for c in itertools.combinations(g, k)])
    totals = [sum(t) for t in itertools.product(*options)]
    return float(np.mean(np.array(totals) >= observed))


def test_permutation_p_value_converges_to_the_exact_one() -> None:
    rng = np.random.default_rng(3)
    strata = np.repeat([0, 1, 2], [7, 6, 8])
    incidents = rng.poisson(0.8, strata.size).astype(float)
    exposed = np.zeros(strata.size, dtype=bool)
    exposed[[0, 1, 2, 7, 8, 13, 14, 15]] = True
    incidents[exposed] += 1  # a planted, modest effect
    test = exposure_test(incidents, exposed, strata, permutations=40_000, seed=1)
    assert test.p_value == pytest.approx(exact_p(incidents, exposed, strata), abs=0.006)
    assert test.exposed_incidents == int(incidents[exposed].sum())


def test_permutation_is_deterministic_per_seed_and_finds_a_planted_effect() -> None:
    rng = np.random.default_rng(0)
    strata = np.repeat(np.arange(40), 50)
    exposed = rng.random(strata.size) < 0.2
    null = rng.poisson(0.3, strata.size).astype(float)
    planted = null + rng.poisson(0.6, strata.size) * exposed
    a = exposure_test(planted, exposed, strata, permutations=499, seed=5)
    b = exposure_test(planted, exposed, strata, permutations=499, seed=5)
    assert a == b
    assert a.p_value == pytest.approx(1 / 500) and a.relative_risk is not None
    assert a.relative_risk > 2
    assert exposure_test(null, exposed, strata, permutations=499, seed=5).p_value > 0.05


def test_units_without_a_stratum_are_left_out() -> None:
    inc = np.array([5.0, 0, 1, 1])
    exp = np.array([True, False, True, False])
    strata = np.array([-1, -1, 0, 0])
    t = exposure_test(inc, exp, strata, permutations=10, seed=0)
    assert (t.exposed_incidents, t.other_incidents, t.exposed_cells) == (1, 1, 1)


@given(st.integers(0, 3), st.integers(0, 2**20))
def test_dilate_equals_a_queen_dilation(steps: int, seed: int) -> None:
    mask = np.random.default_rng(seed).random((3, 9, 11)) < 0.05
    expected = np.stack(
        [
            binary_dilation(m, structure=np.ones((3, 3)), iterations=steps) if steps else m
            for m in mask
        ]
    )
    assert np.array_equal(dilate(mask, steps), expected)
