"""Pricing by local search (districts the LP wants) and diving for a plan of the pool."""

from __future__ import annotations

import time

import numpy as np

from safer77.plan.columns.model import EPS, Region, Relaxation, _one_piece
from safer77.plan.columns.pool import Pool
from safer77.plan.graph import FloatArray


def dive(
    pool: Pool,
    rng: np.random.Generator,
    *,
    deadline: float | None = None,
    backtracks: int = 50,
    pricing: bool = True,
) -> list[int] | None:
    """A plan of the pool's columns found by diving: solve the LP, put its heaviest column
    in the plan, price new columns against the prices that remain, and again, until the LP
    is a plan; a dead end bars the last column chosen (at most ``backtracks`` times). The
    chosen column indices, or None (dead ends, or ``deadline`` on ``time.perf_counter()``
    passed)."""
    chosen: list[int] = []
    barred: set[int] = set()
    priced = False
    while deadline is None or time.perf_counter() <= deadline:
        relaxation = pool.relax(chosen, barred)
        whole = relaxation is not None and all(x > 1 - 1e-6 for x in relaxation.support.values())
        if relaxation is not None and whole and len(relaxation.support) == pool.problem.k:
            plan = sorted(relaxation.support)
            if pool.within_cap(plan):
                return plan
            # whole columns, but more areas split than the cap (the LP's flags were
            # fractions): treated as a dead end below, barring the free column touching
            # most areas first
            unchosen = [j for j in plan if j not in chosen]
            if unchosen and backtracks > 0:
                barred.add(max(unchosen, key=lambda j: (len(pool.columns[j].touches), -j)))
                backtracks, priced = backtracks - 1, True
                continue
            relaxation = None
        if relaxation is None:  # a dead end: undo the last choice
            if not chosen or backtracks <= 0:
                return None
            barred.add(chosen.pop())
            backtracks, priced = backtracks - 1, True
            continue
        if pricing and not priced and price(pool, relaxation, rng, starts=10):
            priced = True
            continue  # the LP again with the new columns, once per column chosen
        priced = False
        weight = {j: x for j, x in relaxation.support.items() if j not in chosen}
        chosen.append(max(weight, key=lambda j: (weight[j], -j)))
    return None


def price(
    pool: Pool,
    relaxation: Relaxation,
    rng: np.random.Generator,
    *,
    starts: int = 60,
    steps: int = 80,
    penalty: float = 1.0,
) -> int:
    """Local search for columns with a positive reduced cost, from the LP's columns and from
    random beats; how many new columns it added.

    It climbs the reduced cost less ``penalty`` per mean workload outside the window (so it
    may step just outside to trade a beat), adding or removing one beat at a time, or, where
    neither helps, swapping a beat in for one out; it keeps every balanced region it passes
    with a positive reduced cost.
    """
    seeds = [pool.columns[j].beats for j in relaxation.support]
    seeds += [(int(b),) for b in rng.integers(pool.problem.graph.n, size=starts)]
    climb = _Climb(pool, relaxation, penalty)
    added = 0
    for seed in seeds:
        added += climb.run(seed, steps)
    return added


class _Walk:
    """A region on the climb, with the beat prices and the ``whole.holds`` rows it sums."""

    def __init__(self, climb: _Climb, seed: tuple[int, ...]) -> None:
        self.region = Region(climb.g, seed)
        self.total = float(climb.d.beat[list(seed)].sum())
        self.held = climb.hb[list(seed)].sum(axis=0)


class _Climb:
    """The local search of :func:`price` against one LP's prices."""

    def __init__(self, pool: Pool, relaxation: Relaxation, penalty: float) -> None:
        self.pool = pool
        self.p = pool.problem
        self.g = self.p.graph
        self.lo, self.hi = self.p.window
        self.d = relaxation.duals
        self.hb = pool.whole.holds
        self.penalty = penalty

    def fitness(
        self, pp: float, shares: FloatArray, price_sum: float, w: float, held: FloatArray
    ) -> float:
        rc = self.pool.reduced_cost(self.d, pp, shares, price_sum, held)
        return rc - self.penalty * max(0.0, self.lo - w, w - self.hi) / self.p.mean

    def run(self, seed: tuple[int, ...], steps: int) -> int:
        """Climb from ``seed`` for at most ``steps`` moves; how many new columns it added."""
        walk = _Walk(self, seed)
        region = walk.region
        here = self.fitness(region.pp(), region.shares, walk.total, region.workload, walk.held)
        added = 0
        for _ in range(steps):
            best, move = self._single(walk, here + EPS)
            if move == 0:
                # no single beat helps: the best swap of a beat in for one out that keeps
                # the district in one piece (a step along the window, not out of it)
                swapped = self._swap(walk, best)
                if swapped is None:
                    break
                best = swapped
            elif move > 0:
                region.add(move - 1)
                walk.total += self.d.beat[move - 1]
                walk.held += self.hb[move - 1]
            else:
                region.remove(-move - 1)
                walk.total -= self.d.beat[-move - 1]
                walk.held -= self.hb[-move - 1]
            here = best
            if here > EPS and self.lo <= region.workload <= self.hi:
                added += self.pool.add(region.column(self.p.tolerance))
        return added

    def _single(self, walk: _Walk, best: float) -> tuple[float, int]:
        """The best fitness above ``best`` of adding or removing one beat, and the move
        (beat + 1 to add, -(beat + 1) to remove, 0 for none)."""
        region, g, d, hb = walk.region, self.g, self.d, self.hb
        total, held = walk.total, walk.held
        move = 0
        for b in sorted(region.frontier()):
            f = self.fitness(
                region.pp(add=b),
                region.shares + g.community[b],
                total + d.beat[b],
                region.workload + g.workload[b],
                held + hb[b],
            )
            if f > best:
                best, move = f, b + 1
        for b in sorted(region.members):
            f = self.fitness(
                region.pp(remove=b),
                region.shares - g.community[b],
                total - d.beat[b],
                region.workload - g.workload[b],
                held - hb[b],
            )
            if f > best and region.removable(b):
                best, move = f, -(b + 1)
        return best, move

    def _swap(self, walk: _Walk, best: float) -> float | None:
        """Make the best swap above ``best`` that keeps the region in one piece; its
        fitness, or None when there is none."""
        region, g, d, hb = walk.region, self.g, self.d, self.hb
        swaps = []
        for a in sorted(region.frontier()):
            for b in sorted(region.members):
                f = self.fitness(
                    region.pp(add=a, remove=b),
                    region.shares + g.community[a] - g.community[b],
                    walk.total + d.beat[a] - d.beat[b],
                    region.workload + g.workload[a] - g.workload[b],
                    walk.held + hb[a] - hb[b],
                )
                if f > best:
                    swaps.append((f, a, b))
        for f, a, b in sorted(swaps, reverse=True):
            if _one_piece(g, (region.members | {a}) - {b}):
                region.add(a)
                region.remove(b)
                walk.total += d.beat[a] - d.beat[b]
                walk.held += hb[a] - hb[b]
                return f
        return None
