"""Low-clearance groups: the exact test, the false-discovery control, and a planted group."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from safer77.solve.clusters import (
    Outcome,
    age_band,
    benjamini_hochberg,
    low_clearance_groups,
    period,
    poisson_binomial_cdf,
)


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8), st.integers(0, 8))
def test_poisson_binomial_equals_enumeration(probs: list[float], k: int) -> None:
    total = 0.0
    for outcome in itertools.product([0, 1], repeat=len(probs)):
        if sum(outcome) <= k:
            total += float(
                np.prod([p if o else 1 - p for p, o in zip(probs, outcome, strict=True)])
            )
    assert poisson_binomial_cdf(probs, k) == pytest.approx(total, abs=1e-9)


def test_benjamini_hochberg_by_hand() -> None:
    # m = 5: sorted p times m / rank = .005, .025, .05, .0625, .5 -> running minimum from the top
    p = [0.04, 0.001, 0.5, 0.01, 0.03]
    assert benjamini_hochberg(p) == pytest.approx([0.05, 0.005, 0.5, 0.025, 0.05])


def test_bands_and_periods() -> None:
    assert [age_band(a) for a in (None, 0, 17, 18, 64, 65, 99)] == [
        None,
        "0-17",
        "0-17",
        "18-24",
        "50-64",
        "65+",
        "65+",
    ]
    assert period(2013) == "2013-2015" and period(2012) == "2010-2012" and period(2012, 1) == "2012"


def city(seed: int, planted: float | None) -> list[Outcome]:
    """40 areas x 60 cases over 2010-2019; each year's clearance rate falls with recency; area
    7 clears at ``planted`` times the rate when given."""
    rng = np.random.default_rng(seed)
    out = []
    for area in range(1, 41):
        for i in range(60):
            year = 2010 + i % 10
            rate = 0.7 - 0.04 * (year - 2010)
            if planted is not None and area == 7:
                rate *= planted
            cleared = rng.random() < rate
            exceptional = cleared and rng.random() < 0.2
            out.append(
                Outcome(
                    case=f"R{area:02d}{i:03d}",
                    year=year,
                    arrest=cleared and not exceptional,
                    exceptional=exceptional,
                    attrs={"area": str(area), "sex": "F" if i % 3 == 0 else "M"},
                )
            )
    return out


def test_a_planted_low_clearance_group_is_found_and_listed() -> None:
    groups = low_clearance_groups(city(1, planted=0.4), ["area"])
    flagged = [g for g in groups if g.flagged]
    assert [g.key for g in flagged] == [{"area": "7"}]
    (g,) = flagged
    cases = [o for o in city(1, planted=0.4) if o.attrs["area"] == "7"]
    assert g.n == 60 == len(cases) and g.cleared == sum(o.cleared for o in cases)
    assert list(g.unsolved) == sorted(o.case for o in cases if not o.cleared)
    assert g.low <= g.rate <= g.high and g.rate < g.expected_rate


def test_without_a_planted_group_flags_stay_within_the_error_rate() -> None:
    runs = [low_clearance_groups(city(seed, planted=None), ["area", "sex"]) for seed in range(60)]
    any_flag = sum(any(g.flagged for g in groups) for groups in runs)
    # FDR control at 5% under the global null bounds the chance of any flag by 5%: with 60
    # seeded runs, more than 8 would be a failure of the method (binomial tail < 1%).
    assert any_flag <= 8
    assert not any(g.flagged for g in runs[0])  # the seeded example itself flags nothing


def test_small_groups_are_not_tested() -> None:
    groups = low_clearance_groups(city(2, planted=None), ["area"], min_n=61)
    assert groups == []
