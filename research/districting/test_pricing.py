"""Exact pricing against enumeration on small grids, and the Lagrangian bound it gives."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from grids import grid
from hypothesis import given, settings
from hypothesis import strategies as st
from pricing import (
    bands,
    certify,
    exact_price,
    local_price,
    longest,
    reduced_cost,
)

from safer77.plan.columns import Duals, Pool, Problem, Region, Relaxation
from safer77.plan.columns.model import _one_piece
from safer77.plan.graph import BeatGraph
from safer77.plan.proposals import tree_partition


def _districts(g: BeatGraph, problem: Problem) -> list[list[int]]:
    """Every balanced, contiguous set of beats (by enumeration)."""
    lo, hi = problem.window
    out = []
    for mask in range(1, 1 << g.n):
        beats = [i for i in range(g.n) if mask >> i & 1]
        if lo - 1e-9 <= g.workload[beats].sum() <= hi + 1e-9 and _one_piece(g, set(beats)):
            out.append(beats)
    return out


def _problem(seed: int, cap: int | None) -> tuple[BeatGraph, Problem, Pool]:
    """A 3x4 grid with uneven workloads, its areas the grid's columns, and a pool of the
    districts of a few random plans, so the LP's prices want districts it does not have."""
    rng = np.random.default_rng(seed)
    g = grid(3, 4, workload=rng.uniform(0.5, 1.5, 12).tolist(), area_columns=True)
    problem = Problem(g, 3, 30.0, compactness=1.0, splits=0.05, max_splits=cap)
    pool = Pool(problem)
    for _ in range(8):
        pool.add_plan(tree_partition(g, 3, rng, bound_pct=30.0))
    return g, problem, pool


def _every(g: BeatGraph, problem: Problem) -> Pool:
    """A pool of every balanced, contiguous district there is."""
    every = Pool(problem)
    for beats in _districts(g, problem):
        every.add(Region(g, beats).column(problem.tolerance))
    return every


@pytest.mark.parametrize(("seed", "cap"), [(0, None), (1, 2), (3, 2), (4, 1), (5, 2)])
def test_exact_pricing_finds_the_best_district_and_nothing_above_it(
    seed: int, cap: int | None
) -> None:
    g, problem, pool = _problem(seed, cap)
    relaxation = pool.relax()
    assert relaxation is not None
    costs = {tuple(b): reduced_cost(pool, relaxation, b) for b in _districts(g, problem)}
    best = max(costs.values())
    assert best > 1e-6  # the rows alone leave districts the LP wants
    below = exact_price(pool, relaxation, best - 1e-6)
    assert not below.closed
    assert [costs[c.beats] for c in below.columns] == pytest.approx([below.best])
    assert below.best == pytest.approx(best, abs=1e-6)
    assert exact_price(pool, relaxation, best + 1e-6).closed


@pytest.mark.parametrize(("seed", "cap"), [(0, None), (3, 2), (4, 1), (7, 2)])
def test_the_lagrangian_bound_holds_for_every_plan(seed: int, cap: int | None) -> None:
    g, problem, pool = _problem(seed, cap)
    relaxation = pool.relax()
    assert relaxation is not None
    best = max(reduced_cost(pool, relaxation, b) for b in _districts(g, problem))
    # the best plan of all, by the MIP over every district there is
    solution = _every(g, problem).solve(30)
    assert solution is not None and solution.optimal
    assert relaxation.bound(best) <= solution.objective + 1e-9
    # and it is a bound over more than the pool's plans: the pool's own LP is above it
    assert relaxation.bound(best) < relaxation.objective - 1e-6


@pytest.mark.parametrize(("seed", "cap"), [(0, None), (3, 2), (7, 2)])
def test_certify_proves_a_target_below_every_plan_and_only_such(seed: int, cap: int | None) -> None:
    g, problem, _ = _problem(seed, cap)
    every = _every(g, problem)
    solution, relaxation = every.solve(30), every.relax()
    assert solution is not None and solution.optimal and relaxation is not None
    best = solution.objective  # the least objective of any plan
    floor = relaxation.objective  # of any mix of districts: the most an LP bound can prove
    assert floor <= best + 1e-9
    rng = np.random.default_rng(0)
    below = certify(_problem(seed, cap)[2], floor - 0.01, rng)
    assert below.proved
    assert floor - 0.01 <= below.bound <= floor + 1e-9
    above = certify(_problem(seed, cap)[2], best + 0.01, rng)
    assert not above.proved


@pytest.mark.parametrize(("seed", "cap"), [(0, None), (3, 2), (7, 2)])
def test_a_proof_before_any_pricing_bounds_every_plan_not_just_the_pools(
    seed: int, cap: int | None
) -> None:
    g, problem, pool = _problem(seed, cap)
    full = _every(g, problem).relax()
    own = pool.relax()
    assert full is not None and own is not None
    # the pool lacks districts the LP wants: its own LP is above what mixes of all reach
    assert own.objective > full.objective + 1e-6
    # a target so low that the first round's threshold is above every reduced cost
    certificate = certify(pool, full.objective - 1.0, np.random.default_rng(0))
    assert certificate.proved and certificate.rounds == 1 and certificate.columns == 0
    # the proof is the Lagrangian bound (the pool's LP less k times the threshold), which
    # every mix of districts respects, not the pool's own LP value
    assert certificate.bound <= full.objective + 1e-9


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([None, 0, 1]))
def test_exact_pricing_agrees_with_enumeration_for_any_prices(
    seed: int, flow_after: int | None
) -> None:
    """Prices drawn at random, some beats far apart made cheap, so the best set without
    contiguity is often in pieces: the contiguity cuts (solved again until the best set is
    one piece), the flow (one solve a band) or cuts then the flow must find the best
    district still."""
    rng = np.random.default_rng(seed)
    g = grid(3, 4, workload=rng.uniform(0.5, 1.5, 12).tolist(), area_columns=True)
    problem = Problem(g, 3, 40.0, compactness=1.0, splits=0.05)
    pool = Pool(problem)
    beat = rng.normal(0.0, 0.05, g.n)
    beat[rng.choice(g.n, 3, replace=False)] -= 0.2
    duals = Duals(
        beat, float(rng.normal(0, 0.05)), rng.uniform(0, 0.05, 4), rng.uniform(0, 0.05, 4)
    )
    relaxation = Relaxation(0.0, duals, {})
    districts = _districts(g, problem)
    best = max(reduced_cost(pool, relaxation, b) for b in districts)
    below = exact_price(pool, relaxation, best - 1e-6, flow_after=flow_after)
    assert below.best == pytest.approx(best, abs=1e-6)
    if flow_after is not None:  # once the flow holds, every solution is one piece
        assert all(band.rounds <= flow_after + 1 for band in below.bands)
    assert exact_price(pool, relaxation, best + 1e-6, flow_after=flow_after).closed


@pytest.mark.parametrize(("seed", "cap"), [(0, None), (3, 2)])
def test_local_pricing_adds_wanted_districts_and_reaching_far_converges_to_the_full_lp(
    seed: int, cap: int | None
) -> None:
    g, problem, pool = _problem(seed, cap)
    full = _every(g, problem).relax()
    assert full is not None
    relaxation = pool.relax()
    assert relaxation is not None and relaxation.objective > full.objective + 1e-6
    before = len(pool)
    assert local_price(pool, relaxation, hops=1) > 0
    assert all(reduced_cost(pool, relaxation, list(c.beats)) > 0 for c in pool.columns[before:])
    while True:  # reaching every beat and perimeter it is exact pricing: to the full LP
        relaxation = pool.relax()
        assert relaxation is not None
        if not local_price(pool, relaxation, hops=9, stretch=100.0):
            break
    assert relaxation.objective == pytest.approx(full.objective, abs=1e-7)


def test_bands_priced_side_by_side_come_out_the_same() -> None:
    _, _, pool = _problem(3, 2)
    relaxation = pool.relax()
    assert relaxation is not None
    one = exact_price(pool, relaxation, 0.01)
    two = exact_price(pool, relaxation, 0.01, workers=2)
    assert one.columns and one.columns == two.columns
    assert [b.closed for b in one.bands] == [b.closed for b in two.bands]


def test_past_the_deadline_no_band_is_solved_nor_closed() -> None:
    _, _, pool = _problem(0, None)
    relaxation = pool.relax()
    assert relaxation is not None
    priced = exact_price(pool, relaxation, 0.01, deadline=time.perf_counter() - 1)
    assert not priced.closed and not priced.columns
    assert all(b.rounds == 0 and not b.closed for b in priced.bands)


@pytest.mark.parametrize("seed", range(6))
def test_bands_cover_every_district_perimeter(seed: int) -> None:
    g, problem, pool = _problem(seed, None)
    spans = bands(pool)
    assert all(a[1] == pytest.approx(b[0]) for a, b in itertools.pairwise(spans))
    pers = [Region(g, beats).perimeter for beats in _districts(g, problem)]
    assert all(spans[0][0] <= per <= spans[-1][1] for per in pers)
    # the workload ceiling, not every beat's perimeter, ends the last band
    assert max(pers) <= longest(pool) < g.perimeter.sum()
