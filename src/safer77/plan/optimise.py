"""The optimiser: simulated annealing over proposals, under hard constraints and a workload
bound, as an iterator that can be stopped after any step with the best plan so far.

Constraints (contiguity, and any given) hold for every plan the search stands on. The workload
bound holds for every plan it returns as best; on the way, plans may miss it at a price per
percentage point that grows over each cycle (from ``penalty[0]`` to ``penalty[1]``) while the
temperature falls, so the search can cross narrow passes between balanced plans. Each cycle
of ``cycle`` steps restarts from the best plan: the same seed and number of steps give the
same plan, and stopping early gives the best one seen so far.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from safer77.errors import InvalidInput
from safer77.plan.constraints import Constraint, contiguous, deviation_excess, split_excess
from safer77.plan.graph import BeatGraph, FloatArray
from safer77.plan.objectives import Objective, compactness, moves, splits, weighted
from safer77.plan.partition import Plan
from safer77.plan.proposals import Proposal, flip, recom, tree_partition
from safer77.plan.score import SPLIT_TOLERANCE, holds, lower_bound, pairing, split_mask


@dataclass(frozen=True)
class Step:
    """One step of the optimiser: the plan it stands on and the best seen."""

    step: int
    plan: Plan
    energy: float
    best: Plan
    best_energy: float
    feasible: bool  # the best plan meets the workload bound (and the split cap, if any)
    stage: str = ""  # what the search is doing, when it is not annealing
    interrupted: bool = False  # the search was stopped by Ctrl-C (the MIP of "columns")


def anneal(
    start: Plan,
    *,
    objective: Objective,
    proposals: Sequence[tuple[float, Proposal]],
    rng: np.random.Generator,
    bound_pct: float,
    constraints: Sequence[Constraint] = (contiguous,),
    steps: int = 100_000,
    cycle: int = 20_000,
    temperature: tuple[float, float] = (0.05, 1e-5),
    penalty: tuple[float, float] = (0.01, 1.0),
    over_cap: Callable[[Plan], float] | None = None,
) -> Iterator[Step]:
    """Anneal from ``start`` for ``steps`` steps, yielding after each one.

    ``proposals`` are (weight, proposal) pairs, one drawn per step with probability in
    proportion to its weight. A proposed plan that breaks one of ``constraints`` is never
    accepted; ``start`` must satisfy them. ``temperature`` and ``penalty`` (objective units
    per percentage point outside the bound) go geometrically from their first to their second
    value over each cycle. ``over_cap`` (units over a cap, e.g. areas split beyond
    ``--max-splits``) is priced like points off balance; the best plan is the one with the
    fewest points off balance, then the least over the cap, then the lowest objective.
    """
    for check in constraints:
        if not check(start):
            raise InvalidInput(f"the start plan fails {getattr(check, '__name__', check)}")
    weights = np.array([w for w, _ in proposals], dtype=np.float64)
    if not len(weights) or (weights < 0).any() or weights.sum() <= 0:
        raise InvalidInput("proposals need positive weights")
    cum = np.cumsum(weights / weights.sum())

    def rank(plan: Plan) -> tuple[float, float, float]:
        off = deviation_excess(plan, bound_pct)
        return (off, 0.0 if over_cap is None else over_cap(plan), objective(plan))

    plan = start
    off, cap, obj = rank(plan)
    best, best_key = plan, (off, cap, obj)
    t_ratio = temperature[1] / temperature[0]
    p_ratio = penalty[1] / penalty[0]
    for step in range(1, steps + 1):
        pos = (step - 1) % cycle
        if pos == 0 and step > 1:
            plan, (off, cap, obj) = best, best_key
        temp = temperature[0] * t_ratio ** (pos / cycle)
        price = penalty[0] * p_ratio ** (pos / cycle)
        kind = min(int(np.searchsorted(cum, rng.random(), side="right")), len(proposals) - 1)
        cand = proposals[kind][1](plan, rng)
        if cand is not plan and all(check(cand) for check in constraints):
            key = rank(cand)
            c_off, c_cap, c_obj = key
            delta = (c_obj + price * (c_off + c_cap)) - (obj + price * (off + cap))
            if delta <= 0 or rng.random() < math.exp(-delta / temp):
                plan, off, cap, obj = cand, c_off, c_cap, c_obj
                if key < best_key:
                    best, best_key = plan, key
        feasible = best_key[0] == best_key[1] == 0
        yield Step(step, plan, obj + price * (off + cap), best, best_key[2], feasible)


@dataclass(frozen=True)
class Options:
    """What ``plan districts`` optimises and for how long."""

    districts: int | None = None  # default: as many as the current plan has (kept ones too)
    # districts of the current plan kept as they are and out of the balance (31: O'Hare)
    keep: tuple[int, ...] = (31,)
    bound_pct: float | None = None  # default: 5, or the lower bound + 1 if that is higher
    compactness: float = 1.0
    splits: float = 0.25
    moves: float = 0.0  # beats moved cost splits and compactness on the real map
    split_tolerance: float = SPLIT_TOLERANCE
    steps: int = 200_000
    cycle: int = 50_000
    recom_share: float = 0.1
    temperature: tuple[float, float] = (0.01, 1e-5)
    seed: int = 0
    extra_constraints: tuple[Constraint, ...] = field(default=())
    # cap on community areas split (kept districts count): a number, None for no cap, or
    # "today": no more than the current plan splits (no cap without a current plan)
    max_splits: int | Literal["today"] | None = "today"
    # "anneal", or "columns": anneal, then a MIP over a pool of balanced districts
    method: str = "anneal"
    rounds: int = 30  # pricing rounds of the column search
    mip_seconds: float = 60.0  # time limit of each MIP (the plan may depend on it)
    polish: int = 5  # rounds of recombining neighbouring districts and choosing again
    seconds: float | None = None  # with "columns": the whole search's time budget


@dataclass(frozen=True)
class Setup:
    """``steps`` search the plans of the redrawn beats (all beats unless districts are kept);
    ``full`` turns one into the plan of every beat, the kept districts as they are."""

    start: Plan
    bound_pct: float
    objective: Objective
    steps: Iterator[Step]
    full: Callable[[Plan], Plan]
    kept: tuple[int, ...] = ()
    max_splits: int | None = None  # the cap on areas split (kept districts count), if any


def bound_for(graph: BeatGraph, k: int, requested: float | None) -> float:
    """The workload bound: as requested, else 5% or (lower bound + 1) if that is higher."""
    if requested is not None:
        if requested <= 0:
            raise InvalidInput("the deviation bound must be a positive percentage")
        return requested
    return max(5.0, lower_bound(graph.workload, k) + 1.0)


def start_plan(graph: BeatGraph, current: Plan | None, k: int, rng: np.random.Generator) -> Plan:
    """The current plan when it is contiguous with ``k`` districts; else a spanning-tree plan
    whose districts take the numbers of the current districts they overlap most."""
    if current is not None and current.k == k and contiguous(current):
        return Plan.build(graph, current.assignment, current.names, current.assignment)
    plan = tree_partition(graph, k, rng)
    if current is None:
        return plan
    _, rows, cols = pairing(plan, current)
    to_current = dict(zip(rows.tolist(), cols.tolist(), strict=True))
    spare = iter(range(max(current.names) + 1, max(current.names) + 1 + k))
    names = tuple(
        current.names[to_current[d]] if d in to_current else next(spare) for d in range(k)
    )
    # reference: the label (in this plan) of each beat's current district, -1 if unmatched
    back = {c: r for r, c in to_current.items()}
    ref = np.array([back.get(int(c), -1) for c in current.assignment], dtype=np.int64)
    return Plan.build(graph, plan.assignment, names, ref)


def kept_apart(
    graph: BeatGraph, current: Plan | None, keep: tuple[int, ...]
) -> tuple[BeatGraph, Plan | None, tuple[int, ...], Callable[[Plan], Plan]]:
    """The graph and current plan of the beats not in a kept district, the kept districts
    found in ``current``, and how to put a plan of those beats back among the kept ones."""
    kept = tuple(d for d in keep if current is not None and d in current.names)
    if current is None or not kept:
        return graph, current, (), lambda p: Plan.build(graph, p.assignment, p.names, p.reference)
    labels = current.labels()
    rest = np.flatnonzero(~np.isin(labels, kept))
    if not len(rest):
        raise InvalidInput("every district is kept; nothing to redraw")
    sub = graph.subgraph(rest)
    sub_current = Plan.from_labels(sub, labels[rest], reference=labels[rest])

    def full(plan: Plan) -> Plan:
        new = labels.copy()
        new[rest] = plan.labels()
        return Plan.from_labels(graph, new, reference=labels)

    return sub, sub_current, kept, full


def districting(graph: BeatGraph, current: Plan | None, options: Options) -> Setup:
    """The start plan, bound, objective and step iterator for redrawing districts; the
    districts in ``options.keep`` stay as they are and out of the balance."""
    if options.steps < 0:
        raise InvalidInput("steps must be zero or more")
    if options.method not in METHODS:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}; got {options.method!r}")
    if options.method == "columns" and options.moves:
        raise InvalidInput("the columns method does not weigh beats moved; use --moves 0")
    k = options.districts or (current.k if current is not None else 0)
    fixed_touches = kept_touches(graph, current, options)
    cap = split_cap(current, options)
    graph, current, kept, full = kept_apart(graph, current, options.keep)
    k -= len(kept)
    if k < 1:
        raise InvalidInput("say how many districts (--districts); there is no current plan")
    if k > graph.n:
        raise InvalidInput(f"{k} districts need at least {k} beats; there are {graph.n}")
    rng = np.random.default_rng(options.seed)
    bound = bound_for(graph, k, options.bound_pct)
    start = start_plan(graph, current, k, rng)
    over_cap = None if cap is None else split_excess(cap, options.split_tolerance, fixed_touches)

    def excess(plan: Plan) -> float:  # points off balance plus areas over the cap
        return deviation_excess(plan, bound) + (0.0 if over_cap is None else over_cap(plan))

    objective = weighted(
        (options.compactness, compactness),
        (options.splits, splits(options.split_tolerance, fixed_touches)),
        (options.moves, moves),
    )
    iterator = anneal(
        start,
        objective=objective,
        proposals=[
            (1 - options.recom_share, flip),
            (options.recom_share, recom(bound, objective=objective)),
        ],
        rng=rng,
        bound_pct=bound,
        constraints=(contiguous, *options.extra_constraints),
        over_cap=over_cap,
        steps=options.steps,
        cycle=min(options.cycle, max(options.steps, 1)),
        temperature=options.temperature,
    )
    if options.method == "columns":
        from safer77.plan.columns import method  # the MIP's modules, only for this method

        problem = method.problem(graph, k, bound, cap, fixed_touches, options)
        iterator = method.steps(iterator, start, problem, objective, excess, options, rng)
    return Setup(full(start), bound, objective, iterator, full, kept, cap)


METHODS = ("anneal", "columns")


def split_cap(current: Plan | None, options: Options) -> int | None:
    """The cap on community areas split that ``options.max_splits`` asks for: "today" is
    as many as ``current`` splits (kept districts included), and no cap when there is no
    current plan or another number of districts is asked for (more districts may have to
    split more areas)."""
    cap = options.max_splits
    if cap == "today":
        if current is None or (options.districts and options.districts != current.k):
            return None
        return int(split_mask(current, options.split_tolerance).sum())
    if cap is not None and (not isinstance(cap, int) or cap < 0):
        raise InvalidInput(f"the cap on areas split must be a number, zero or more; got {cap!r}")
    return cap


def kept_touches(graph: BeatGraph, current: Plan | None, options: Options) -> FloatArray:
    """Per community area, how many kept districts hold at least the split tolerance of
    it (they count towards --max-splits)."""
    if current is None:
        return np.zeros(graph.community.shape[1])
    kept = [d for d, name in enumerate(current.names) if name in options.keep]
    held = holds(current.shares[kept], options.split_tolerance).sum(axis=0)
    return np.asarray(held, dtype=np.float64)


def optimise(graph: BeatGraph, current: Plan | None, options: Options) -> Plan:
    """The best plan after ``options.steps`` steps (of every beat, kept districts too)."""
    setup = districting(graph, current, options)
    best = None
    for step in setup.steps:
        best = step.best
    return setup.start if best is None else setup.full(best)
