"""``--method columns``: anneal, keeping the balanced districts the annealer stands on; seed
and price a pool; then pick the best plan of the pool by MIP, starting from the annealer's
best, and recombine neighbouring districts for a few more rounds."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

import numpy as np

from safer77.plan.columns.model import Problem, Solution
from safer77.plan.columns.pool import Pool
from safer77.plan.columns.search import dive, price
from safer77.plan.columns.seeds import grown, recombine, whole_areas
from safer77.plan.constraints import deviation_excess
from safer77.plan.graph import BeatGraph, FloatArray
from safer77.plan.objectives import Objective
from safer77.plan.optimise import Options, Step
from safer77.plan.partition import Plan
from safer77.plan.score import pairing


def problem(
    graph: BeatGraph,
    k: int,
    bound: float,
    cap: int | None,
    fixed_touches: FloatArray,
    options: Options,
) -> Problem:
    """What the pool's plans answer to: the annealer's objective, bound and split cap."""
    return Problem(
        graph,
        k,
        bound,
        compactness=options.compactness,
        splits=options.splits,
        max_splits=cap,
        tolerance=options.split_tolerance,
        fixed_touches=tuple(int(x) for x in fixed_touches),
    )


@dataclass(frozen=True)
class _Clock:
    """The search's time budget (``options.seconds``), shared out by fractions."""

    began: float
    budget: float | None

    def past(self, share: float) -> bool:
        return self.budget is not None and time.perf_counter() - self.began > share * self.budget

    def at(self, share: float) -> float | None:
        return None if self.budget is None else self.began + share * self.budget


@dataclass
class _Best:
    """The best plan so far, its objective, and whether it is balanced and within the cap."""

    done: int  # annealing steps taken
    plan: Plan
    energy: float
    feasible: bool

    def report(self, stage: str, interrupted: bool = False) -> Step:
        plan, energy = self.plan, self.energy
        return Step(self.done, plan, energy, plan, energy, self.feasible, stage, interrupted)


def steps(
    annealing: Iterator[Step],
    start: Plan,
    problem: Problem,
    objective: Objective,
    excess: Callable[[Plan], float],
    options: Options,
    rng: np.random.Generator,
) -> Iterator[Step]:
    """Anneal, keeping the balanced districts it stands on; then price columns and pick
    the best plan of the pool by MIP, starting from the annealer's best."""
    clock = _Clock(time.perf_counter(), options.seconds)
    pool = Pool(problem)
    last = yield from _anneal(annealing, pool, clock)
    plan = start if last is None else last.best
    best = _Best(0 if last is None else last.step, plan, objective(plan), excess(plan) == 0)
    chosen = pool.add_plan(plan) if best.feasible else None
    if problem.graph.centre is not None:
        grown(pool, problem.graph.centre)
    # the whole-area districts are many when districts are few: time-boxed either way
    deadline = clock.at(0.45)
    if deadline is None:
        deadline = time.perf_counter() + options.mip_seconds / 2
    whole_areas(pool, deadline=deadline)
    yield best.report(f"{len(pool):,} districts in the pool")
    yield from _price(pool, options, rng, best, clock)
    if chosen is None:  # no balanced plan from the annealer to start the MIP from
        yield best.report("diving for a first plan of the pool")
        chosen = dive(pool, rng, deadline=clock.at(0.8))
    solution = yield from _choose(pool, chosen, objective, options, rng, best, clock)
    interrupted = solution is not None and solution.interrupted
    yield best.report(_outcome(solution), interrupted=interrupted)


def _anneal(
    annealing: Iterator[Step], pool: Pool, clock: _Clock
) -> Generator[Step, None, Step | None]:
    """The annealer's steps for 30% of the budget, each 100th plan's districts pooled when
    balanced; the last step."""
    last = None
    for step in annealing:
        if step.step % 100 == 0 and deviation_excess(step.plan, pool.problem.bound_pct) == 0:
            pool.add_plan(step.plan)
        last = step
        yield step
        if clock.past(0.3):
            break
    return last


def _price(
    pool: Pool, options: Options, rng: np.random.Generator, best: _Best, clock: _Clock
) -> Iterator[Step]:
    """Rounds of pricing (until 60% of the budget) while they add columns."""
    for r in range(1, options.rounds + 1):
        if clock.past(0.6):
            break
        relaxation = pool.relax()
        if relaxation is None:
            break
        added = price(pool, relaxation, rng)
        bound = relaxation.objective
        yield best.report(f"round {r}: {len(pool):,} districts, pool bound {bound:.4f}")
        if not added:
            break


def _choose(
    pool: Pool,
    chosen: list[int] | None,
    objective: Objective,
    options: Options,
    rng: np.random.Generator,
    best: _Best,
    clock: _Clock,
) -> Generator[Step, None, Solution | None]:
    """The MIP from ``chosen``, then up to ``options.polish`` rounds of recombining its
    neighbouring districts and choosing again; ``best`` takes each better plan. The last
    solution, or None when the MIP found none."""
    solution = None
    for polish in range(options.polish + 1):
        if polish and (solution is None or clock.past(0.95)):
            break
        if polish:
            assert solution is not None
            added = recombine(pool, solution.columns, rng)
            if not added:
                break
        seconds = options.mip_seconds
        if clock.budget is not None:
            seconds = min(seconds, max(clock.budget - (time.perf_counter() - clock.began), 1.0))
        what = "choosing" if not polish else f"recombination {polish}: choosing"
        yield best.report(f"{what} among {len(pool):,} districts (MIP, up to {seconds:.0f} s)")
        found = pool.solve(seconds, chosen if solution is None else list(solution.columns))
        if found is None:
            break
        solution = found
        plan = _matched(pool.plan(found.columns, tuple(range(pool.problem.k))), best.plan)
        energy = objective(plan)
        if not best.feasible or energy < best.energy - 1e-12:
            best.plan, best.energy, best.feasible = plan, energy, True
        elif polish:
            break  # the recombined districts did not help
        if found.interrupted:
            break
    return solution


def _outcome(solution: Solution | None) -> str:
    if solution is None:
        return "MIP: no plan found in time; the annealer's best stands"
    if solution.interrupted:
        return f"MIP: {solution.objective:.4f} (stopped by Ctrl-C)"
    if solution.optimal:
        proof = "proved best over the pool"
    elif math.isfinite(solution.bound):
        proof = f"no plan of the pool below {solution.bound:.4f}"
    else:
        proof = "not proved best over the pool"
    return f"MIP: {solution.objective:.4f} ({proof})"


def _matched(plan: Plan, like: Plan) -> Plan:
    """``plan`` with its districts labelled as the districts of ``like`` they share most
    beats with (names and reference from ``like``)."""
    _, rows, cols = pairing(plan, like)
    label = np.empty(plan.k, dtype=np.int64)
    label[rows] = cols
    return Plan.build(plan.graph, label[plan.assignment], like.names, like.reference)
