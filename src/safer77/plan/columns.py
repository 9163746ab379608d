"""Column generation: the best plan made of districts from a pool, by a MIP (HiGHS).

A plan is a choice of ``k`` districts covering every beat once. Each candidate district (a
*column*) is contiguous and balanced (its workload within the bound of the mean) on its own,
so any cover made of columns is a feasible plan, and its mean Polsby-Popper score is the mean
of its columns'. The pool starts with the districts of balanced plans the annealer stood on,
with compact "discs" grown around every beat and with districts of whole community areas
(trimmed into the bound); then, round by round, the LP relaxation over
the pool prices the beats, the district count and the community areas, and a local search
grows columns the LP wants (positive reduced cost). Last, the MIP over the pool, with a binary
flag per community area split (optionally capped), picks the plan, starting from the
annealer's best. The LP value is a bound over the pool's plans only, not over every plan.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array, diags_array, hstack, vstack

from safer77.errors import InvalidInput
from safer77.plan.graph import BeatGraph, FloatArray
from safer77.plan.partition import Plan
from safer77.plan.proposals import bipartitions
from safer77.plan.score import SPLIT_TOLERANCE, held_splits, holds, pp_of

EPS = 1e-9


@dataclass(frozen=True)
class Column:
    """A candidate district: its beats (sorted indices), workload, Polsby-Popper score and
    the community areas (indices) of which it holds at least the split tolerance."""

    beats: tuple[int, ...]
    workload: float
    pp: float
    touches: tuple[int, ...]

    @classmethod
    def of(
        cls,
        beats: Iterable[int],
        workload: float,
        area: float,
        perimeter: float,
        shares: FloatArray,
        tolerance: float,
    ) -> Column:
        """The column of these beats from their sums (area shares per community area)."""
        return cls(
            beats=tuple(sorted(int(b) for b in beats)),
            workload=float(workload),
            pp=pp_of(float(area), float(perimeter)),
            touches=tuple(int(c) for c in np.flatnonzero(holds(shares, tolerance))),
        )


@dataclass(frozen=True)
class Problem:
    """What the plans of a pool answer to.

    ``k`` districts are drawn on ``graph``; ``fixed_touches[c]`` districts outside it (kept
    ones) hold at least the tolerance of area ``c``, so they split areas too.
    The objective (lower is better) is the annealer's:
    ``compactness·(1 - mean Polsby-Popper) + splits·(share of areas split)``.
    """

    graph: BeatGraph
    k: int
    bound_pct: float
    compactness: float = 1.0
    splits: float = 0.25
    max_splits: int | None = None
    tolerance: float = SPLIT_TOLERANCE
    fixed_touches: tuple[int, ...] = ()

    @property
    def areas(self) -> int:
        return int(self.graph.community.shape[1])

    @property
    def mean(self) -> float:
        return float(self.graph.workload.sum()) / self.k

    @property
    def window(self) -> tuple[float, float]:
        m = self.mean
        return m * (1 - self.bound_pct / 100), m * (1 + self.bound_pct / 100)

    def fixed(self) -> FloatArray:
        if not self.fixed_touches:
            return np.zeros(self.areas)
        return np.asarray(self.fixed_touches, dtype=np.float64)

    def value(self, pp: float) -> float:
        """A column's gain in the objective (higher is better); the objective of a plan is
        ``compactness`` less its columns' values plus the price of its splits, which is what
        the LP and the MIP minimise on top of that constant."""
        return self.compactness * pp / self.k

    def objective(self, pp_sum: float, splits: int) -> float:
        """The objective of a plan whose columns' scores sum to ``pp_sum``."""
        share = splits / self.areas if self.areas else 0.0
        return self.compactness * (1 - pp_sum / self.k) + self.splits * share


class Region:
    """A set of beats with running sums (workload, area, perimeter, area shares)."""

    def __init__(self, graph: BeatGraph, beats: Iterable[int] = ()) -> None:
        self.g = graph
        self.members: set[int] = set()
        self.workload = 0.0
        self.area = 0.0
        self.perimeter = 0.0
        self.shares = np.zeros(graph.community.shape[1])
        for b in beats:
            self.add(b)

    def _shared(self, b: int, without: int = -1) -> float:
        return sum(s for j, s in self.g.adjacency[b] if j in self.members and j != without)

    def add(self, b: int) -> None:
        self.perimeter += self.g.perimeter[b] - 2 * self._shared(b)
        self.members.add(b)
        self.workload += self.g.workload[b]
        self.area += self.g.area[b]
        self.shares += self.g.community[b]

    def remove(self, b: int) -> None:
        self.members.discard(b)
        self.perimeter -= self.g.perimeter[b] - 2 * self._shared(b)
        self.workload -= self.g.workload[b]
        self.area -= self.g.area[b]
        self.shares -= self.g.community[b]

    def pp(self, add: int = -1, remove: int = -1) -> float:
        """Polsby-Popper now, or after adding ``add``, removing ``remove``, or both (a swap)."""
        area, per = self.area, self.perimeter
        if remove >= 0:
            area -= self.g.area[remove]
            per -= self.g.perimeter[remove] - 2 * self._shared(remove, without=remove)
        if add >= 0:
            area += self.g.area[add]
            per += self.g.perimeter[add] - 2 * self._shared(add, without=remove)
        return pp_of(area, per)

    def frontier(self) -> set[int]:
        adj = self.g.adjacency
        return {j for b in self.members for j, _ in adj[b] if j not in self.members}

    def removable(self, b: int) -> bool:
        """Whether the others stay one piece (and some remain) without ``b``."""
        rest = self.members - {b}
        return bool(rest) and _one_piece(self.g, rest)

    def connected(self) -> bool:
        return bool(self.members) and _one_piece(self.g, self.members)

    def column(self, tolerance: float) -> Column:
        return Column.of(
            self.members, self.workload, self.area, self.perimeter, self.shares, tolerance
        )


def _reach(g: BeatGraph, start: int, beats: set[int]) -> set[int]:
    """The beats of ``beats`` reachable from ``start`` through them."""
    adj = g.adjacency
    seen, stack = {start}, [start]
    while stack:
        for j, _ in adj[stack.pop()]:
            if j in beats and j not in seen:
                seen.add(j)
                stack.append(j)
    return seen


def _one_piece(g: BeatGraph, beats: set[int]) -> bool:
    return len(_reach(g, next(iter(beats)), beats)) == len(beats)


def pieces(g: BeatGraph, beats: Iterable[int]) -> list[list[int]]:
    """The connected pieces of a set of beats, each sorted, by least beat."""
    left, out = set(beats), []
    while left:
        piece = _reach(g, min(left), left)
        left -= piece
        out.append(sorted(piece))
    return out


@dataclass(frozen=True)
class Duals:
    """LP prices: per beat, for the district count, per community area held (≥ 0), and per
    community area held whole (≥ 0, a gain for the districts that hold all of it)."""

    beat: FloatArray
    count: float
    area: FloatArray
    whole: FloatArray


@dataclass(frozen=True)
class Relaxation:
    """The LP over the pool: its objective (a bound over the pool's plans), duals, and the
    columns it uses."""

    objective: float
    duals: Duals
    support: dict[int, float]  # column index: its weight in the LP's solution
    #: the objective less ``k`` times every column's reduced cost, at best (Lagrangian):
    #: ``cost ≥ π·b + Σ_S d_S + Σ_flags min(0, d_flag)`` with ``d_S ≥ -best`` for the ``k``
    #: columns of a plan; nan when columns were chosen or barred
    floor: float = math.nan
    k: int = 0

    def bound(self, best: float) -> float:
        """The least objective any plan of any districts can have, when no district has a
        reduced cost above ``best`` (see :mod:`safer77.plan.pricing`)."""
        return self.floor - self.k * best


@dataclass(frozen=True)
class Solution:
    """The MIP's choice: column indices, whether HiGHS proved it best over the pool, and the
    best objective any plan of the pool could have (HiGHS's dual bound)."""

    columns: tuple[int, ...]
    optimal: bool
    objective: float
    bound: float
    interrupted: bool = False  # stopped by Ctrl-C


class Wholes:
    """Which community areas a set of beats holds whole: every beat holding the split
    tolerance of the area (so no other district can hold that much of it). Areas no beat
    holds that much of, and areas a kept district holds, are never whole here."""

    def __init__(self, problem: Problem) -> None:
        g = problem.graph
        self.holds = holds(g.community, problem.tolerance).astype(np.float64)  # (beats, areas)
        self.need = self.holds.sum(axis=0)
        self.eligible = (self.need > 0) & (problem.fixed() == 0)

    def mask(self, held: FloatArray) -> np.ndarray[Any, Any]:
        """Per area, whether beats whose ``holds`` rows sum to ``held`` hold it whole."""
        return np.asarray(self.eligible & (held >= self.need - 0.5))

    def of(self, beats: Iterable[int]) -> list[int]:
        """The areas these beats hold whole (indices)."""
        return np.flatnonzero(self.mask(self.holds[list(beats)].sum(axis=0))).tolist()


class Pool:
    """The columns found so far, each once; only balanced ones are kept."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.columns: list[Column] = []
        self._index: dict[tuple[int, ...], int] = {}
        self.whole = Wholes(problem)

    def __len__(self) -> int:
        return len(self.columns)

    def add(self, col: Column) -> bool:
        """Add a balanced column not yet in the pool; whether it was added."""
        lo, hi = self.problem.window
        if col.beats in self._index or not lo - EPS <= col.workload <= hi + EPS:
            return False
        self._index[col.beats] = len(self.columns)
        self.columns.append(col)
        return True

    def add_plan(self, plan: Plan) -> list[int] | None:
        """Add the districts of a plan of the pool's graph; their column indices, or None
        when one of them is not contiguous or not balanced."""
        tol = self.problem.tolerance
        chosen: list[int] = []
        for d in range(plan.k):
            if not plan.connected[d]:
                return None
            col = Column.of(  # the plan keeps each district's sums already
                plan.members(d).tolist(),
                plan.workload[d],
                plan.area[d],
                plan.perimeter[d],
                plan.shares[d],
                tol,
            )
            self.add(col)
            if col.beats not in self._index:
                return None
            chosen.append(self._index[col.beats])
        return chosen

    def reduced_cost(
        self, duals: Duals, pp: float, shares: FloatArray, price_sum: float, held: FloatArray
    ) -> float:
        """The reduced cost, against the LP's prices (the maximisation's: positive means the
        LP wants it), of a district with this Polsby-Popper score, these area shares, beat
        prices summing to ``price_sum`` and ``held`` (rows of ``whole.holds`` summed)."""
        p = self.problem
        touch = holds(shares, p.tolerance).astype(np.float64)
        rc = p.value(pp) - price_sum - duals.count - float(duals.area @ touch)
        return rc + float(duals.whole @ self.whole.mask(held))

    def split_mask(self, chosen: Iterable[int]) -> np.ndarray[Any, Any]:
        """Per area, whether a plan of these columns splits it (kept districts counted)."""
        held = np.zeros(self.problem.areas)
        for j in chosen:
            held[list(self.columns[j].touches)] += 1
        return held_splits(held, self.problem.fixed())

    def splits(self, chosen: Iterable[int]) -> int:
        """Community areas a plan of these columns splits (kept districts counted)."""
        return int(self.split_mask(chosen).sum())

    def within_cap(self, chosen: Iterable[int]) -> bool:
        cap = self.problem.max_splits
        return cap is None or self.splits(chosen) <= cap

    def plan(self, chosen: Iterable[int], names: tuple[int, ...]) -> Plan:
        """The plan made of the chosen columns, districts named in order."""
        labels = np.full(self.problem.graph.n, -1, dtype=np.int64)
        for d, j in enumerate(chosen):
            labels[list(self.columns[j].beats)] = d
        if (labels < 0).any():
            raise InvalidInput("the chosen columns do not cover every beat")
        return Plan.build(self.problem.graph, labels, names)

    def _rows(self) -> tuple[csr_array, FloatArray, FloatArray, FloatArray, int]:
        """Constraint rows over z = (columns, split flags): cover (=1), count (=k), one row
        per area (≤), one per area that can be held whole, the cap (≤) if any; their
        lower and upper sides; and the costs.

        The big-M rows (an area's flag is set when two columns hold it) alone are weak in
        fractions. The whole-area rows tighten them: an area is whole only if one district
        holds every beat holding the split tolerance of it, so its flag is 1 unless such a
        column is chosen (``flag + Σ columns holding it whole ≥ 1``)."""
        p = self.problem
        m, n_areas = len(self.columns), p.areas
        rows: list[int] = []
        cols: list[int] = []
        trows: list[int] = []
        tcols: list[int] = []
        wrows: list[int] = []
        wcols: list[int] = []
        for j, c in enumerate(self.columns):
            rows += c.beats
            cols += [j] * len(c.beats)
            trows += c.touches
            tcols += [j] * len(c.touches)
            held = self.whole.of(c.beats)
            wrows += held
            wcols += [j] * len(held)
        cover = csr_array((np.ones(len(rows)), (rows, cols)), shape=(p.graph.n, m))
        touch = csr_array((np.ones(len(trows)), (trows, tcols)), shape=(n_areas, m))
        whole = csr_array((np.ones(len(wrows)), (wrows, wcols)), shape=(n_areas, m))
        can = np.flatnonzero(self.whole.eligible)
        # at most as many districts as an area has beats can hold part of it: the big-M
        reach = (p.graph.community > EPS).sum(axis=0) + p.fixed() - 1
        flags = diags_array(np.maximum(reach, 1), format="csr")
        parts = [
            hstack([cover, csr_array((p.graph.n, n_areas))]),
            csr_array(np.concatenate([np.ones(m), np.zeros(n_areas)])[None, :]),
            hstack([touch, -flags]),
            -hstack([whole[can], csr_array(np.eye(n_areas)[can])]),  # as ≤ rows
        ]
        lower: list[FloatArray] = [
            np.ones(p.graph.n),
            np.array([p.k]),
            np.full(n_areas, -np.inf),
            np.full(len(can), -np.inf),
        ]
        upper: list[FloatArray] = [
            np.ones(p.graph.n),
            np.array([p.k]),
            1 - p.fixed(),
            -np.ones(len(can)),
        ]
        if p.max_splits is not None:
            parts.append(csr_array(np.concatenate([np.zeros(m), np.ones(n_areas)])[None, :]))
            lower.append(np.array([-np.inf]))
            upper.append(np.array([p.max_splits], dtype=np.float64))
        matrix = csr_array(vstack(parts).tocsr())
        values = np.array([p.value(c.pp) for c in self.columns])
        cost = np.concatenate([-values, np.full(n_areas, p.splits / max(n_areas, 1))])
        return matrix, np.concatenate(lower), np.concatenate(upper), cost, m

    def relax(self, chosen: Iterable[int] = (), barred: Iterable[int] = ()) -> Relaxation | None:
        """The LP over the pool (HiGHS through SciPy), with the ``chosen`` columns in the
        plan and the ``barred`` ones out; None when no plan, even in fractions, is left."""
        p = self.problem
        matrix, lower, upper, cost, m = self._rows()
        eq = lower == upper
        n_eq = int(eq.sum())
        # columns have no upper bound (the cover rows hold them to 1): a bound's price would
        # hide from the rows' prices that a column is wanted, and pricing reads only those
        lo, hi = np.zeros(len(cost)), np.ones(len(cost))
        hi[:m] = np.inf
        chosen, barred = list(chosen), list(barred)
        lo[chosen] = 1
        hi[barred] = 0
        # areas the chosen columns already split are split (the big-M rows alone would let
        # a fractional flag stand for them)
        lo[m:][self.split_mask(chosen)] = 1
        res = linprog(
            cost,
            A_ub=matrix[~eq] if (~eq).any() else None,
            b_ub=upper[~eq] if (~eq).any() else None,
            A_eq=matrix[eq],
            b_eq=upper[eq],
            bounds=np.stack([lo, hi], axis=1),
            method="highs",
        )
        if res.status != 0:
            return None
        # marginals are d(objective)/d(rhs) of the minimisation; prices of the maximisation
        # are their negatives
        eq_prices = -np.asarray(res.eqlin.marginals)
        ub_prices = -np.asarray(res.ineqlin.marginals)
        # the inequality rows in order: areas held, areas held whole (negated, so their
        # price is a gain for the columns holding the area whole), the cap
        can = np.flatnonzero(self.whole.eligible)
        whole = np.zeros(p.areas)
        whole[can] = ub_prices[p.areas : p.areas + len(can)]
        duals = Duals(
            beat=eq_prices[: p.graph.n],
            count=float(eq_prices[p.graph.n]) if n_eq > p.graph.n else 0.0,
            area=ub_prices[: p.areas],
            whole=whole,
        )
        support = {j: float(res.x[j]) for j in range(m) if res.x[j] > 1e-6}
        floor = math.nan
        if not chosen and not barred:
            pi = np.zeros(len(lower))
            pi[eq] = np.asarray(res.eqlin.marginals)
            pi[~eq] = np.asarray(res.ineqlin.marginals)
            reduced = cost - matrix.T @ pi
            floor = p.compactness + float(pi @ upper) + float(np.minimum(reduced[m:], 0).sum())
        return Relaxation(p.compactness + float(res.fun), duals, support, floor, p.k)

    def solve(self, seconds: float, start: list[int] | None = None) -> Solution | None:
        """The MIP over the pool (HiGHS), from the plan ``start`` (column indices) if given;
        None when no plan was found within ``seconds``."""
        p = self.problem
        matrix, lower, upper, cost, m = self._rows()
        n_vars = len(cost)
        with quiet():
            h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.HandleKeyboardInterrupt = True  # Ctrl-C stops the search with the best plan so far
        h.setOptionValue("time_limit", max(float(seconds), 1.0))
        h.setOptionValue("random_seed", 0)
        h.addVars(n_vars, np.zeros(n_vars), np.ones(n_vars))
        h.changeColsCost(n_vars, np.arange(n_vars), cost)
        h.changeColsIntegrality(
            n_vars, np.arange(n_vars), np.full(n_vars, highspy.HighsVarType.kInteger)
        )
        inf = highspy.kHighsInf
        h.addRows(
            matrix.shape[0],
            np.where(np.isfinite(lower), lower, -inf),
            np.where(np.isfinite(upper), upper, inf),
            matrix.nnz,
            matrix.indptr[:-1].astype(np.int32),
            matrix.indices.astype(np.int32),
            matrix.data,
        )
        if start is not None:
            x0 = np.zeros(n_vars)
            x0[start] = 1
            x0[m:] = self.split_mask(start)
            sol = highspy.HighsSolution()
            sol.col_value = x0.tolist()
            sol.value_valid = True
            h.setSolution(sol)
        with quiet():  # highspy prints a line of its own on Ctrl-C
            h.solve()
        status = h.getModelStatus()
        info = h.getInfo()
        if info.primal_solution_status != 2:  # no feasible point found
            return None
        x = np.asarray(h.getSolution().col_value)
        chosen = tuple(j for j in range(m) if x[j] > 0.5)
        pp_sum = sum(self.columns[j].pp for j in chosen)
        splits = self.splits(chosen)  # not the flags: unweighted ones may be set needlessly
        return Solution(
            columns=chosen,
            optimal=status == highspy.HighsModelStatus.kOptimal,
            interrupted=status == highspy.HighsModelStatus.kInterrupt,
            objective=p.objective(pp_sum, splits),
            bound=p.compactness + float(info.mip_dual_bound),
        )


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


@contextmanager
def quiet() -> Iterator[None]:
    """Standard output closed at the file-descriptor level: HiGHS prints a banner on
    stdout when a solver is made, before any option can silence it, which would spoil
    ``--format json``."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def grown(
    pool: Pool, centres: FloatArray, fractions: Iterable[float] = (0.96, 0.99, 1.02, 1.045)
) -> int:
    """Grow districts around every beat, nearest beats first, and add each balanced stage:
    discs (round, and stretched 1.5:1 and 2:1 four ways) and boxes along the axes (1:1 up to
    3:1 either way, since city blocks run north-south and east-west). How many were new."""
    p = pool.problem
    g = p.graph
    lo, hi = p.window
    added = 0
    for c in range(g.n):
        v = centres - centres[c]
        for dist in _shapes(v):
            for fraction in fractions:
                region = Region(g, [c])
                while region.workload < p.mean * fraction:
                    frontier = region.frontier()
                    if not frontier:
                        break
                    region.add(min(frontier, key=lambda b: (dist[b], b)))
                    if lo <= region.workload <= hi:
                        added += pool.add(region.column(p.tolerance))
    return added


def whole_areas(
    pool: Pool,
    *,
    reach: tuple[float, float] = (0.55, 1.6),
    limit: int = 100_000,
    deadline: float | None = None,
) -> int:
    """Districts drawn from whole community areas: every connected group of areas (a beat
    counts in the area covering most of it) whose workload is within ``reach`` times the
    mean, brought into the window a beat at a time, each time by the move that leaves it
    most compact. Such districts split areas only at their edges, where the balance asks for
    it. At most ``limit`` groups, until ``deadline`` (``time.perf_counter()``). How many
    columns were new."""
    p = pool.problem
    g = p.graph
    if p.mean <= 0:  # no workload: every group would do
        return 0
    main = g.main_area()
    units = [np.flatnonzero(main == c) for c in range(p.areas)]
    load = np.array([float(g.workload[u].sum()) for u in units])
    near: list[set[int]] = [set() for _ in range(p.areas)]
    for a, b in main[g.edges].tolist():
        if a != b and a >= 0 and b >= 0:
            near[a].add(b)
            near[b].add(a)
    lo, hi = reach[0] * p.mean, reach[1] * p.mean
    added = 0
    for group in connected_groups(near, load, lo, hi, limit):
        if deadline is not None and time.perf_counter() > deadline:
            break
        region = Region(g, sorted(b for c in group for b in units[c].tolist()))
        if region.connected():
            added += _into_window(pool, region)
    return added


def connected_groups(
    near: list[set[int]], load: FloatArray, lo: float, hi: float, limit: int
) -> Iterator[tuple[int, ...]]:
    """Every connected set of nodes (``near``: neighbours of each) whose ``load`` sums to
    between ``lo`` and ``hi``, each once (Wernicke's ESU enumeration, pruned at ``hi`` since
    loads are not negative), at most ``limit`` of them."""
    count = 0

    def extend(
        group: list[int], ext: list[int], root: int, total: float
    ) -> Iterator[tuple[int, ...]]:
        nonlocal count
        if lo <= total <= hi:
            count += 1
            yield tuple(sorted(group))
        ext = list(ext)
        reach = set(group).union(*(near[x] for x in group))  # holds ext too
        while ext and count < limit:
            v = ext.pop()
            if total + load[v] > hi:
                continue
            fresh = [u for u in sorted(near[v]) if u > root and u not in reach]
            yield from extend([*group, v], ext + fresh, root, total + load[v])

    for root in range(len(near)):
        if count >= limit:
            return
        if load[root] <= hi:
            yield from extend([root], sorted(u for u in near[root] if u > root), root, load[root])


def _into_window(pool: Pool, region: Region, steps: int = 60) -> int:
    """Move ``region`` into the pool's workload window a beat at a time (add the frontier
    beat, or drop the member, that leaves it most compact, without overshooting where it
    can, and never undoing the move before); whether the balanced region was new to the
    pool."""
    p = pool.problem
    g = p.graph
    lo, hi = p.window
    last = -1
    for _ in range(steps):
        if lo <= region.workload <= hi:
            return int(pool.add(region.column(p.tolerance)))
        if region.workload < lo:
            options = sorted(region.frontier() - {last})
            fits = [b for b in options if region.workload + g.workload[b] <= hi]
            if not options:
                return 0
            last = max(fits or options, key=lambda b: (region.pp(add=b), -b))
            region.add(last)
        else:
            ranked = sorted(region.members - {last}, key=lambda b: (-region.pp(remove=b), b))
            fits = [b for b in ranked if region.workload - g.workload[b] >= lo]
            drop = next((b for b in fits + ranked if region.removable(b)), None)
            if drop is None:
                return 0
            region.remove(drop)
            last = drop
    return 0


def _shapes(v: FloatArray) -> Iterator[FloatArray]:
    """Distances of the offsets ``v`` (n, 2) from the centre, one array per shape."""
    for stretch in (1.0, 1.5, 2.0):
        for angle in (0.0,) if stretch == 1 else (0.0, math.pi / 4, math.pi / 2, 3 * math.pi / 4):
            cos, sin = math.cos(angle), math.sin(angle)
            u = v @ np.array([[cos, -sin], [sin, cos]])
            yield np.asarray(np.hypot(u[:, 0] / stretch, u[:, 1] * stretch))
    tie = 1e-3 * np.hypot(v[:, 0], v[:, 1])  # rounds the corners of ties
    for ratio in (1.0, 1.3, 1.7, 2.2, 3.0):
        yield np.maximum(np.abs(v[:, 0]) / ratio, np.abs(v[:, 1])) + tie
        if ratio != 1:
            yield np.maximum(np.abs(v[:, 1]) / ratio, np.abs(v[:, 0])) + tie


def recombine(
    pool: Pool, chosen: Iterable[int], rng: np.random.Generator, *, trees: int = 30
) -> int:
    """Every two neighbouring districts of a plan (column indices) merged and cut again along
    ``trees`` random spanning trees of their beats; both halves added when both are balanced
    (ReCom's move, each cut a column for the next MIP). How many columns were new."""
    p = pool.problem
    g = p.graph
    cols = [pool.columns[j] for j in chosen]
    owner = np.full(g.n, -1, dtype=np.int64)
    for d, col in enumerate(cols):
        owner[list(col.beats)] = d
    ends = owner[g.edges]
    pairs = sorted({(int(min(a, b)), int(max(a, b))) for a, b in ends.tolist() if a != b})
    added = 0
    for a, b in pairs:
        nodes = np.array(sorted(cols[a].beats + cols[b].beats), dtype=np.int64)
        cuts = bipartitions(
            g, nodes, p.mean, p.bound_pct / 100, rng, trees=trees, collect=True, remainder=p.mean
        )
        for part in cuts:
            half = set(part.tolist())
            for side in (half, set(nodes.tolist()) - half):
                added += pool.add(Region(g, sorted(side)).column(p.tolerance))
    return added


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
    p = pool.problem
    g = p.graph
    lo, hi = p.window
    d = relaxation.duals
    tol = p.tolerance
    hb = pool.whole.holds

    def fitness(
        pp: float, shares: FloatArray, price_sum: float, w: float, held: FloatArray
    ) -> float:
        rc = pool.reduced_cost(d, pp, shares, price_sum, held)
        return rc - penalty * max(0.0, lo - w, w - hi) / p.mean

    seeds = [pool.columns[j].beats for j in relaxation.support]
    seeds += [(int(b),) for b in rng.integers(g.n, size=starts)]
    added = 0
    for seed in seeds:
        region = Region(g, seed)
        total = float(d.beat[list(seed)].sum())
        held = hb[list(seed)].sum(axis=0)
        here = fitness(region.pp(), region.shares, total, region.workload, held)
        for _ in range(steps):
            best, move = here + EPS, 0
            for b in sorted(region.frontier()):
                f = fitness(
                    region.pp(add=b),
                    region.shares + g.community[b],
                    total + d.beat[b],
                    region.workload + g.workload[b],
                    held + hb[b],
                )
                if f > best:
                    best, move = f, b + 1
            for b in sorted(region.members):
                f = fitness(
                    region.pp(remove=b),
                    region.shares - g.community[b],
                    total - d.beat[b],
                    region.workload - g.workload[b],
                    held - hb[b],
                )
                if f > best and region.removable(b):
                    best, move = f, -(b + 1)
            if move == 0:
                # no single beat helps: the best swap of a beat in for one out that keeps
                # the district in one piece (a step along the window, not out of it)
                swaps = []
                for a in sorted(region.frontier()):
                    for b in sorted(region.members):
                        f = fitness(
                            region.pp(add=a, remove=b),
                            region.shares + g.community[a] - g.community[b],
                            total + d.beat[a] - d.beat[b],
                            region.workload + g.workload[a] - g.workload[b],
                            held + hb[a] - hb[b],
                        )
                        if f > best:
                            swaps.append((f, a, b))
                for f, a, b in sorted(swaps, reverse=True):
                    if _one_piece(g, (region.members | {a}) - {b}):
                        region.add(a)
                        region.remove(b)
                        total += d.beat[a] - d.beat[b]
                        held += hb[a] - hb[b]
                        best = f
                        break
                else:
                    break
            elif move > 0:
                region.add(move - 1)
                total += d.beat[move - 1]
                held += hb[move - 1]
            else:
                region.remove(-move - 1)
                total -= d.beat[-move - 1]
                held -= hb[-move - 1]
            here = best
            if here > EPS and lo <= region.workload <= hi:
                added += pool.add(region.column(tol))
    return added
