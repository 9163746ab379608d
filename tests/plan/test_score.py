"""Scores on the hand-drawn 3x3 grid (community areas = columns); expected values are worked
out by hand in the comments."""

from __future__ import annotations

import math

import pytest
from grids import grid

from safer77.plan.partition import Plan
from safer77.plan.score import lower_bound, moved, score

ROWS = [1, 1, 1, 2, 2, 2, 3, 3, 3]  # district = row
COLUMNS = [1, 2, 3, 1, 2, 3, 1, 2, 3]


def test_rows_split_every_column_area_and_columns_split_none() -> None:
    g = grid(3, 3, area_columns=True)
    rows = score(Plan.from_labels(g, ROWS))
    assert rows.splits == 3 and rows.split_areas == (1, 2, 3)
    cols = score(Plan.from_labels(g, COLUMNS))
    assert cols.splits == 0 and cols.split_areas == ()
    # L-shapes: district 1 = 11 12 21, district 2 = 13 22 23, district 3 = bottom row;
    # area 1 (left column) lies in districts 1 and 3, area 2 in 1, 2, 3, area 3 in 2 and 3
    ell = score(Plan.from_labels(g, [1, 1, 2, 1, 2, 2, 3, 3, 3]))
    assert ell.split_areas == (1, 2, 3)
    # a piece under the tolerance does not split: half of one beat is 1/6 of its column
    assert score(Plan.from_labels(g, ROWS), split_tolerance=0.4).splits == 0


def test_contiguity_is_detected() -> None:
    g = grid(3, 3)
    # a chequerboard: district 1 = corners + centre, district 2 = the four edge middles;
    # every pair in either touches at a corner at most, so both are in pieces
    s = score(Plan.from_labels(g, [1, 2, 1, 2, 1, 2, 1, 2, 1]))
    assert not s.contiguous and s.discontiguous == (1, 2)
    # a U (11 21 31 32 33 23 13) is one piece; 12 22 is the other district
    u = score(Plan.from_labels(g, [1, 2, 1, 1, 2, 1, 1, 1, 1]))
    assert u.contiguous
    assert score(Plan.from_labels(g, ROWS)).contiguous


def test_polsby_popper_and_deviation_by_hand() -> None:
    g = grid(3, 3, workload=[4, 1, 1, 1, 1, 1, 1, 1, 1])
    s = score(Plan.from_labels(g, ROWS))
    # each row is a 3 km x 1 km rectangle: 4*pi*3 / 8**2
    assert s.pp_mean == pytest.approx(4 * math.pi * 3 / 64)
    # workloads 6, 3, 3; mean 4 -> +50%, -25%, -25%
    assert [round(d.deviation_pct, 6) for d in s.districts] == [50.0, -25.0, -25.0]
    assert s.max_deviation_pct == pytest.approx(50)
    assert s.mean_abs_deviation_pct == pytest.approx(100 / 3)
    square = score(Plan.from_labels(g, [1, 1, 2, 1, 1, 2, 3, 3, 3]))
    # district 1 is a 2x2 square: 4*pi*4/64 = pi/4
    assert square.districts[0].polsby_popper == pytest.approx(math.pi / 4)


def test_beats_moved_ignores_renumbering() -> None:
    g = grid(3, 3)
    rows = Plan.from_labels(g, ROWS)
    assert moved(Plan.from_labels(g, [7, 7, 7, 5, 5, 5, 9, 9, 9]), rows) == 0
    # beat 13 to row 2's district: one beat moved whatever the numbers
    assert moved(Plan.from_labels(g, [7, 7, 5, 5, 5, 5, 9, 9, 9]), rows) == 1


@pytest.mark.parametrize(
    ("workload", "k", "expected"),
    [
        ([1] * 9, 3, 0.0),  # even beats, even split
        ([10, 1, 1, 1], 2, (10 - 6.5) / 6.5 * 100),  # the heaviest beat alone is over
        ([5, 5, 5], 2, (10 - 7.5) / 7.5 * 100),  # 3 beats in 2 districts: two share one
        ([3, 3, 3, 3, 3], 2, (9 - 7.5) / 7.5 * 100),  # 5 in 2: one district gets 3 beats
        ([4, 1, 1], 3, 100.0),  # the 4 alone is twice the mean of 2
        # 5 beats in 3 districts: one gets a single beat, 1 against a mean of 5/3 (40% under;
        # two beats together are only 20% over)
        ([1, 1, 1, 1, 1], 3, 40.0),
    ],
)
def test_lower_bound_by_hand(workload: list[float], k: int, expected: float) -> None:
    assert lower_bound(workload, k) == pytest.approx(expected)  # type: ignore[arg-type]
