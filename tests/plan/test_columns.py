"""The column method (a pool of balanced districts, priced by LP, chosen by MIP) and the cap
on community areas split, on hand-drawn grids whose optima are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from grids import grid
from hypothesis import given, settings
from hypothesis import strategies as st
from test_optimise import ROWS, _pieces

from safer77.errors import InvalidInput
from safer77.plan.columns import (
    Pool,
    Problem,
    Region,
    connected_groups,
    dive,
    grown,
    recombine,
    whole_areas,
)
from safer77.plan.objectives import compactness, splits, weighted
from safer77.plan.optimise import Options, kept_apart, optimise, split_cap
from safer77.plan.partition import Plan
from safer77.plan.proposals import tree_partition
from safer77.plan.score import score

COLUMNS = {frozenset({11, 21, 31}), frozenset({12, 22, 32}), frozenset({13, 23, 33})}
FAST = {"method": "columns", "steps": 0, "mip_seconds": 5.0}


def _parts(plan: Plan) -> set[frozenset[int]]:
    return {frozenset(int(k) for k in plan.graph.keys[plan.assignment == d]) for d in range(plan.k)}


def test_without_annealing_the_mip_turns_rows_into_columns() -> None:
    """No annealing steps: the pool (discs and priced columns) and the MIP alone must find
    the only balanced plan of the 3x3 grid that splits no area, starting from the rows."""
    g = grid(3, 3, area_columns=True)
    start = Plan.from_labels(g, ROWS, reference=ROWS)
    best = optimise(g, start, Options(**FAST))  # type: ignore[arg-type]
    assert _parts(best) == COLUMNS
    assert score(best).splits == 0


def test_without_annealing_the_mip_finds_the_four_squares() -> None:
    """36 equal beats, 4 districts within 5% (9 beats each): the four 3x3 quadrants are the
    only most compact plan (perimeter 12 is reached by the 3x3 square alone)."""
    g = grid(6, 6)
    best = optimise(g, None, Options(districts=4, **FAST))  # type: ignore[arg-type]
    quadrants = {
        frozenset(10 * (r + 1) + c + 1 for r in rows for c in cols)
        for rows in (range(3), range(3, 6))
        for cols in (range(3), range(3, 6))
    }
    assert _parts(best) == quadrants


def test_mip_objective_is_the_plans_score_and_the_lp_bounds_it() -> None:
    """The MIP's objective, recomputed from the plan's own scores, and the LP value over the
    same pool is no worse (a relaxation)."""
    g = grid(4, 4, workload=[float(1 + (i * 5) % 3) for i in range(16)], area_columns=True)
    problem = Problem(g, 4, 10.0, splits=1.0)
    pool = Pool(problem)
    assert g.centre is not None
    grown(pool, g.centre)
    assert len(pool) > 0
    lo, hi = problem.window
    for col in pool.columns:  # every column balanced and in one piece
        assert lo - 1e-9 <= col.workload <= hi + 1e-9
        assert _pieces(g, set(col.beats)) == 1
    relaxation = pool.relax()
    solution = pool.solve(10.0)
    assert relaxation is not None and solution is not None
    plan = pool.plan(solution.columns, (1, 2, 3, 4))
    s = score(plan)
    by_hand = (1 - s.pp_mean) + s.splits / 4
    assert solution.objective == pytest.approx(by_hand)
    assert relaxation.objective <= solution.objective + 1e-9
    assert solution.bound <= solution.objective + 1e-9
    assert s.contiguous and s.max_deviation_pct <= 10 + 1e-9


def test_region_sums_match_a_plan_of_the_same_beats() -> None:
    g = grid(3, 4, workload=[float(i % 4) for i in range(12)], area_columns=True)
    beats = [0, 1, 5, 6, 10]
    labels = np.ones(12, dtype=np.int64)
    labels[beats] = 0
    plan = Plan.from_labels(g, labels)
    col = Region(g, beats).column(0.02)
    assert col.workload == pytest.approx(plan.workload[0])
    assert col.pp == pytest.approx(4 * math.pi * plan.area[0] / plan.perimeter[0] ** 2)
    held = np.flatnonzero(plan.shares[0] >= 0.02)
    assert list(col.touches) == held.tolist()


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(0, 15), min_size=2, max_size=12), st.integers(0, 15), st.data())
def test_a_swap_scores_as_the_region_it_makes(
    beats: set[int], add_seed: int, data: st.DataObject
) -> None:
    """Region.pp with a beat in and another out (a swap) against the region built from scratch, on a
    4x4 grid (neighbouring and distant pairs alike)."""
    g = grid(4, 4)
    region = Region(g, sorted(beats))
    outside = sorted(region.frontier())
    a = outside[add_seed % len(outside)]
    b = data.draw(st.sampled_from(sorted(beats)))
    expected = Region(g, sorted((beats | {a}) - {b})).pp()
    assert region.pp(add=a, remove=b) == pytest.approx(expected)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([(), (1, 0, 0, 0), (0, 2, 0, 1)]))
def test_every_plan_of_the_pool_meets_the_whole_area_rows(
    seed: int, fixed: tuple[int, ...]
) -> None:
    """The rows that tighten the split flags cut off no plan: a random balanced plan of a
    4x4 grid (areas are its columns), with its split flags as counted, meets every row of
    the LP, kept districts holding some areas or not; and an area the plan keeps whole is
    held whole by one of its columns."""
    g = grid(4, 4, area_columns=True)
    plan = tree_partition(g, 4, np.random.default_rng(seed), bound_pct=5.0)
    pool = Pool(Problem(g, 4, 5.0, max_splits=4, fixed_touches=fixed))
    chosen = pool.add_plan(plan)
    assert chosen is not None
    matrix, lower, upper, _, m = pool._rows()
    z = np.zeros(matrix.shape[1])
    z[chosen] = 1
    split = pool.split_mask(chosen)
    z[m:] = split
    if split.sum() > 4:  # over the cap: only the cap row may fail
        upper[-1] = np.inf
    lhs = matrix @ z
    assert (lhs >= lower - 1e-9).all() and (lhs <= upper + 1e-9).all()
    held_whole = {c for j in chosen for c in pool.whole.of(pool.columns[j].beats)}
    for c in np.flatnonzero(~split & pool.whole.eligible):
        assert c in held_whole


@pytest.mark.parametrize("method", ["anneal", "columns"])
def test_split_cap_holds_even_against_compactness(method: str) -> None:
    """3 districts of 3 equal beats on a 3x3 grid whose areas are its columns: rows and
    columns are equally compact, but with at most 0 areas split only the columns remain."""
    g = grid(3, 3, area_columns=True)
    start = Plan.from_labels(g, [1, 2, 3] * 3, reference=[1, 2, 3] * 3)  # the columns
    options = Options(splits=0, max_splits=0, steps=500, seed=2, method=method, mip_seconds=5)
    best = optimise(g, start, options)
    assert _parts(best) == COLUMNS


@pytest.mark.parametrize("method", ["anneal", "columns"])
def test_a_split_cap_below_the_start_is_reached(method: str) -> None:
    """From the rows (every area split) to at most 0 areas split: the cap is priced like the
    workload bound on the way, and only a plan within it is returned as best."""
    g = grid(3, 3, area_columns=True)
    start = Plan.from_labels(g, ROWS, reference=ROWS)
    options = Options(max_splits=0, steps=3000, seed=1, method=method, mip_seconds=5)
    best = optimise(g, start, options)
    assert _parts(best) == COLUMNS and score(best).splits == 0
    with pytest.raises(InvalidInput, match="areas split"):
        optimise(g, start, Options(max_splits=-1, steps=10))


def test_by_default_no_more_areas_split_than_today() -> None:
    """36 equal beats in six one-column areas, 4 districts: the four quadrants are the most
    compact plan but split all six areas. From strips of one and a half columns (2 areas
    split), the default cap ("today") keeps the plan to 2 even with no weight on splits;
    without a cap the quadrants come out."""
    g = grid(6, 6, area_columns=True)
    strips = [
        1
        if c == 0 or (c == 1 and r < 3)
        else 2
        if c in (1, 2)
        else 3
        if c == 3 or (c == 4 and r < 3)
        else 4
        for r in range(6)
        for c in range(6)
    ]
    start = Plan.from_labels(g, strips, reference=strips)
    assert score(start).splits == 2
    capped = optimise(g, start, Options(splits=0, **FAST))  # type: ignore[arg-type]
    assert score(capped).splits <= 2 and score(capped).contiguous
    free = optimise(g, start, Options(splits=0, max_splits=None, **FAST))  # type: ignore[arg-type]
    assert score(free).splits == 6 and score(free).pp_mean > score(capped).pp_mean


def test_balance_comes_before_the_split_cap() -> None:
    """A 3x3 grid, areas are columns weighing 3.1, 3 and 2.9, bound 2%: no plan is both
    within the bound and splits no area (area A alone is 3.3% over). From the columns, 1.3
    points off balance, every balanced plan is at least 2 areas over a cap of 0: the plan
    returned is balanced all the same."""
    g = grid(3, 3, workload=[3.1 / 3, 1.0, 2.9 / 3] * 3, area_columns=True)
    start = Plan.from_labels(g, [1, 2, 3] * 3, reference=[1, 2, 3] * 3)
    options = Options(bound_pct=2.0, max_splits=0, splits=0, steps=3000, seed=0)
    best = optimise(g, start, options)
    assert score(best).max_deviation_pct <= 2.0 + 1e-9
    assert score(best).splits > 0


def test_todays_cap_needs_todays_map_and_district_count() -> None:
    """'today' is the current plan's split count at its own number of districts; with no
    current plan or another count there is no cap (more districts may have to split more)."""
    g = grid(3, 3, area_columns=True)
    rows = Plan.from_labels(g, ROWS, reference=ROWS)
    assert split_cap(rows, Options()) == score(rows).splits == 3
    assert split_cap(rows, Options(districts=3)) == 3
    assert split_cap(rows, Options(districts=4)) is None
    assert split_cap(None, Options()) is None
    assert split_cap(rows, Options(max_splits=None)) is None
    with pytest.raises(InvalidInput, match="zero or more"):
        split_cap(rows, Options(max_splits=-1))


def test_columns_method_refuses_a_weight_on_moves_and_unknown_methods() -> None:
    g = grid(3, 3)
    with pytest.raises(InvalidInput, match="moves"):
        optimise(g, None, Options(districts=3, method="columns", moves=0.5))
    with pytest.raises(InvalidInput, match="method"):
        optimise(g, None, Options(districts=3, method="tabu"))


def test_diving_finds_a_plan_of_the_pool() -> None:
    """Diving (LP, fix the heaviest column, price, again) ends on a plan: k columns covering
    every beat once, each balanced and in one piece."""
    g = grid(5, 5, workload=[float(1 + (i * 7) % 4) for i in range(25)], area_columns=True)
    pool = Pool(Problem(g, 3, 10.0))
    assert g.centre is not None
    grown(pool, g.centre)
    chosen = dive(pool, np.random.default_rng(0))
    assert chosen is not None and len(chosen) == 3
    plan = pool.plan(chosen, (1, 2, 3))  # refuses columns that leave a beat out
    cover = np.zeros(g.n, dtype=int)
    for j in chosen:
        cover[list(pool.columns[j].beats)] += 1
    assert (cover == 1).all()
    s = score(plan)
    assert s.contiguous and s.max_deviation_pct <= 10 + 1e-9


def test_recombining_neighbours_turns_staircases_into_squares() -> None:
    """4 districts of 9 beats on a 6x6 grid, each a column and a half: recombining each pair
    of neighbours along spanning trees offers the 3x3 halves of their 3x6 union, and the MIP
    then picks the four quadrants (the only most compact plan)."""
    g = grid(6, 6)
    labels = np.zeros((6, 6), dtype=np.int64)  # [row, col]
    labels[:, 0], labels[:3, 1], labels[3:, 1], labels[:, 2] = 0, 0, 1, 1
    labels[:, 3], labels[:3, 4], labels[3:, 4], labels[:, 5] = 2, 2, 3, 3
    start = Plan.from_labels(g, labels.ravel())
    pool = Pool(Problem(g, 4, 5.0))
    chosen = pool.add_plan(start)
    assert chosen is not None and len(pool) == 4
    added = recombine(pool, chosen, np.random.default_rng(0), trees=100)
    assert added > 0 and len(pool) == 4 + added
    for col in pool.columns:
        assert len(col.beats) == 9 and _pieces(g, set(col.beats)) == 1
    solution = pool.solve(10.0, chosen)
    assert solution is not None and solution.optimal
    quadrants = {
        frozenset(10 * (r + 1) + c + 1 for r in rows for c in cols)
        for rows in (range(3), range(3, 6))
        for cols in (range(3), range(3, 6))
    }
    assert _parts(pool.plan(solution.columns, (1, 2, 3, 4))) == quadrants


def test_split_cap_without_a_current_plan() -> None:
    g = grid(3, 3, area_columns=True)
    for method in ("anneal", "columns"):
        plan = optimise(g, None, Options(districts=3, max_splits=3, steps=50, method=method))
        assert score(plan).splits <= 3 and score(plan).contiguous


def test_diving_keeps_to_the_split_cap() -> None:
    """A 4x4 grid whose areas are its columns, a pool of the four columns and the four
    quadrants: the LP's fractional split flags would let the quadrants (4 areas split) pass
    a cap of 2; the dive must not."""
    g = grid(4, 4, area_columns=True)
    pool = Pool(Problem(g, 4, 5.0, splits=0.0, max_splits=2))
    strips = np.tile(np.arange(4), 4)
    quads = np.array([(r // 2) * 2 + c // 2 for r in range(4) for c in range(4)])
    for labels in (strips, quads):
        assert pool.add_plan(Plan.from_labels(g, labels)) is not None
    chosen = dive(pool, np.random.default_rng(0), pricing=False)
    assert chosen is not None and pool.splits(chosen) <= 2
    solution = pool.solve(5.0, chosen)
    assert solution is not None and pool.splits(solution.columns) <= 2


def test_the_mip_weighs_plans_as_the_annealer_does_with_a_kept_district() -> None:
    """Row 3 of a 3x4 grid is kept (it holds part of every area): the MIP's objective for its
    plan is the annealer's objective of the same plan, areas shared with row 3 counted."""
    g = grid(3, 4, area_columns=True)
    current = Plan.from_labels(g, [1] * 4 + [2] * 4 + [3] * 4)
    sub, _, _, _ = kept_apart(g, current, (3,))
    fixed = np.ones(4)  # row 3 holds a third of each column
    pool = Pool(Problem(sub, 2, 5.0, splits=1.0, fixed_touches=(1, 1, 1, 1)))
    assert sub.centre is not None
    grown(pool, sub.centre)
    solution = pool.solve(5.0)
    assert solution is not None
    plan = pool.plan(solution.columns, (1, 2))
    annealer = weighted((1.0, compactness), (1.0, splits(0.02, fixed)))
    assert solution.objective == pytest.approx(annealer(plan))
    assert solution.bound <= solution.objective + 1e-9


@given(
    n=st.integers(1, 8),
    edges=st.sets(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=16),
    load=st.lists(st.integers(0, 5), min_size=8, max_size=8),
    lo=st.integers(0, 8),
    width=st.integers(0, 8),
)
@settings(max_examples=150, deadline=None)
def test_connected_groups_are_every_connected_set_in_the_window_once(
    n: int, edges: set[tuple[int, int]], load: list[int], lo: int, width: int
) -> None:
    """Against brute force over every subset of a small random graph."""
    near: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        if a < n and b < n and a != b:
            near[a].add(b)
            near[b].add(a)
    w = np.array(load[:n], dtype=np.float64)
    hi = lo + width
    found = list(connected_groups(near, w, lo, hi, limit=10**6))
    assert len(found) == len(set(found))  # each once

    def one_piece(nodes: set[int]) -> bool:
        start = min(nodes)
        seen, stack = {start}, [start]
        while stack:
            for j in near[stack.pop()]:
                if j in nodes and j not in seen:
                    seen.add(j)
                    stack.append(j)
        return seen == nodes

    expected = set()
    for mask in range(1, 2**n):
        nodes = {i for i in range(n) if mask >> i & 1}
        if lo <= w[list(nodes)].sum() <= hi and one_piece(nodes):
            expected.add(tuple(sorted(nodes)))
    assert set(found) == expected


def test_main_area_is_the_area_covering_most_of_a_beat() -> None:
    g = grid(3, 3, area_columns=True)
    assert g.main_area().tolist() == [0, 1, 2] * 3  # beats row by row, areas are columns
    assert grid(2, 2).main_area().tolist() == [-1] * 4  # no areas given


def test_whole_area_districts_keep_areas_whole() -> None:
    """A 4x4 grid, one community area per column, every beat the same workload: for four
    districts the columns themselves are whole-area districts, for two districts the three
    pairs of neighbouring columns; the MIP over these alone splits nothing."""
    g = grid(4, 4, area_columns=True)
    column = [frozenset(range(c, 16, 4)) for c in range(4)]
    for k, wanted in (
        (4, set(column)),
        (2, {column[c] | column[c + 1] for c in range(3)}),
    ):
        pool = Pool(Problem(g, k, 5.0))
        assert whole_areas(pool) == len(pool) > 0
        beats = {frozenset(c.beats) for c in pool.columns}
        assert wanted <= beats
        lo, hi = pool.problem.window
        assert all(lo <= c.workload <= hi for c in pool.columns)
        assert all(Region(g, c.beats).connected() for c in pool.columns)
        solution = pool.solve(5.0)
        assert solution is not None and solution.optimal
        assert pool.splits(solution.columns) == 0


def test_whole_area_districts_are_trimmed_into_the_window() -> None:
    """A 3x3 grid, one area per column, workloads 2, 1 and 0 by column, three districts
    (mean 3): area A alone (6) is over the window, so only trimming it a beat at a time (and
    growing it back when a step overshoots) makes a district holding A's beats."""
    g = grid(3, 3, workload=[2.0, 1.0, 0.0] * 3, area_columns=True)
    pool = Pool(Problem(g, 3, 5.0))
    assert whole_areas(pool, reach=(0.5, 2.5)) == len(pool)
    lo, hi = pool.problem.window
    for col in pool.columns:
        assert lo <= col.workload <= hi and Region(g, col.beats).connected()
    beats = {frozenset(c.beats) for c in pool.columns}
    assert {frozenset({1, 4, 7}), frozenset({1, 2, 4, 5, 7, 8})} <= beats  # B, and B with C
    assert any(set(c.beats) & {0, 3, 6} for c in pool.columns)  # from A, trimmed
    idle = grid(3, 3, workload=[0.0] * 9, area_columns=True)  # no workload: no window
    assert whole_areas(Pool(Problem(idle, 3, 5.0))) == 0
