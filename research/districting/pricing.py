"""Exact pricing: whether any district at all, not just one a local search reaches, has a
reduced cost above a threshold against the LP's prices (a MIP per band of perimeters, HiGHS).

The LP over a pool bounds only the plans made of the pool's districts. Its prices bound every
plan once no district has a positive reduced cost, and short of that (Lagrangian bound): if no
balanced, contiguous district has a reduced cost above ``t``, no plan of ``k`` districts scores
better than the LP's dual value plus ``k·t`` (:meth:`Relaxation.bound`). This module decides
"no district above ``t``" exactly.

The reduced cost of a district ``S`` is ``c·pp(S)/k - D(S)`` where ``pp = 4πA/P²`` and ``D``
is linear in the beats and in the areas held and held whole. Its sign above ``t`` is the sign
of ``g = c·4πA/k - (D + t)·P²``. Within a band ``L ≤ P ≤ U`` the square ``q = P²`` is held
between tangents and a chord, and each product of a binary with ``q`` is linear (McCormick,
exact at binary points), so ``g`` is a MILP whose optimum is at least every district's. Its
perimeter is the beats' less twice the boundary between two chosen beats. Contiguity is
added lazily: a disconnected optimum gets, for each pair of its pieces, cuts
``x_a + x_b - Σ_{N(C)} x ≤ 1`` (to hold ``a`` and ``b`` a district must hold some beat around
``a``'s piece ``C``), and the band is solved again. A band still in pieces after
:data:`FLOW_AFTER` solves holds contiguity by a single-commodity flow instead (one chosen
beat, the root, sends a unit to every other chosen beat along arcs between chosen beats), so
its next solve is one piece. HiGHS solves each band with a cutoff at zero, so a band is
closed when HiGHS proves no solution is above it.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import repeat

import highspy
import numpy as np

from safer77.plan.columns import EPS, Column, Pool, Region, Relaxation, pieces, price, quiet
from safer77.plan.graph import BeatGraph

#: Tangents of ``P²`` per band; between two of them ``q`` may fall below ``P²`` by at most
#: a quarter of their spacing squared, which only loosens the relaxation.
TANGENTS = 9

#: Solves of a band with contiguity cuts before its MILP holds contiguity by a flow instead.
#: Cuts settle most bands in a few solves, and the flow alone slows those (on the real map
#: the 29.8-37.3 km band was open after 23 s with cuts, 61 s with cuts then the flow, and
#: not settled in 600 s with the flow alone); but a band of long perimeters can take dozens
#: of rounds of cuts (58.2-72.8 km: 68 solves, 3,831 s), where the flow alone took 258 s
#: and cuts then the flow 1,055 s (docs/plan.md).
FLOW_AFTER = 5

#: What counts as ``g > 0`` (``g`` scaled by the band's top perimeter squared): a band is
#: closed when HiGHS proves ``g ≤ CUTOFF``, so the threshold holds to about 1e-8
CUTOFF = 1e-9


@dataclass(frozen=True)
class Band:
    """One band of perimeters and what its MILP found."""

    low: float
    high: float
    closed: bool  # no district in the band is above the threshold
    seconds: float
    rounds: int  # solves (one more per round of contiguity cuts)


@dataclass
class Priced:
    """Every band's outcome and the districts found above the threshold."""

    threshold: float
    bands: list[Band] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    best: float = -math.inf  # the highest reduced cost among ``columns``

    @property
    def closed(self) -> bool:
        """Whether no district of any perimeter is above the threshold (proved)."""
        return bool(self.bands) and all(b.closed for b in self.bands)


def reduced_cost(pool: Pool, relaxation: Relaxation, beats: list[int]) -> float:
    """The reduced cost of the district of these beats against the LP's prices (the
    maximisation's: positive means the LP wants it)."""
    return _reduced_cost(pool, relaxation, Region(pool.problem.graph, beats))


def _reduced_cost(pool: Pool, relaxation: Relaxation, region: Region) -> float:
    beats = sorted(region.members)
    d = relaxation.duals
    held = pool.whole.holds[beats].sum(axis=0)
    return pool.reduced_cost(d, region.pp(), region.shares, float(d.beat[beats].sum()), held)


def bands(pool: Pool, ratio: float = 1.25) -> list[tuple[float, float]]:
    """Perimeter bands, each ``ratio`` times the last, from the isoperimetric least
    perimeter of the smallest beat up to :func:`longest`: every balanced district's
    perimeter lies in one."""
    g = pool.problem.graph
    low = math.sqrt(4 * math.pi * float(g.area.min())) * (1 - 1e-6)
    high = longest(pool) * (1 + 1e-6)
    out = []
    while low < high:
        out.append((low, min(low * ratio, high)))
        low *= ratio
    return out


def longest(pool: Pool) -> float:
    """No balanced district's perimeter is longer: it is at most its beats' perimeters
    summed, and the most those can sum to within the workload ceiling is the fractional
    knapsack's (beats taken by perimeter per unit of workload, the last one in part)."""
    g = pool.problem.graph
    _, ceiling = pool.problem.window
    weight = np.maximum(g.workload, 0.0)
    order = np.argsort(-g.perimeter / np.maximum(weight, 1e-12), kind="stable")
    total, room = 0.0, ceiling + EPS
    for b in order.tolist():
        if weight[b] > room:
            return total + float(g.perimeter[b]) * room / float(weight[b])
        total += float(g.perimeter[b])
        room -= float(weight[b])
    return total


def exact_price(
    pool: Pool,
    relaxation: Relaxation,
    threshold: float,
    *,
    ratio: float = 1.25,
    seconds: float = 600.0,
    cut_rounds: int = 200,
    deadline: float | None = None,
    workers: int = 1,
    progress: Callable[[Band], None] | None = None,
    flow_after: int | None = FLOW_AFTER,
) -> Priced:
    """Whether any balanced, contiguous district has a reduced cost above ``threshold``:
    each band of perimeters closed, or the districts found above it (a band stops at the
    first solve that finds some). ``seconds`` per solve, none after ``deadline``
    (``time.perf_counter()``); a band that runs out of time or cut rounds stays open.
    ``workers`` processes solve bands side by side; the outcome is the same. Contiguity is
    held by cuts for a band's first ``flow_after`` solves, then by a flow in its MILP (0:
    the flow from the start, one solve a band; None: cuts only)."""
    out = Priced(threshold)
    spans = bands(pool, ratio)
    with ExitStack() as stack:
        results: Iterable[tuple[Band, list[tuple[Column, float]]]]
        if workers > 1:
            executor = stack.enter_context(
                ProcessPoolExecutor(
                    workers,
                    mp_context=multiprocessing.get_context("spawn"),  # HiGHS threads die in fork
                    initializer=_share,
                    initargs=(pool, relaxation),  # sent once per worker, not once per band
                )
            )
            results = executor.map(
                _price_shared, spans, repeat(threshold), repeat(seconds), repeat(cut_rounds),
                repeat(deadline), repeat(flow_after),
            )  # fmt: skip
        else:
            results = (
                _price_band(
                    pool,
                    relaxation,
                    threshold,
                    lo,
                    hi,
                    seconds,
                    cut_rounds,
                    deadline,
                    flow_after=flow_after,
                )
                for lo, hi in spans
            )
        for band, found in results:
            if progress is not None:
                progress(band)
            out.bands.append(band)
            for column, rc in found:
                if column not in out.columns:
                    out.columns.append(column)
                out.best = max(out.best, rc)
    return out


_shared: tuple[Pool, Relaxation] | None = None  # a worker's pool and prices


def _share(pool: Pool, relaxation: Relaxation) -> None:
    global _shared
    _shared = (pool, relaxation)


def _price_shared(
    span: tuple[float, float],
    threshold: float,
    seconds: float,
    cut_rounds: int,
    deadline: float | None,
    flow_after: int | None,
) -> tuple[Band, list[tuple[Column, float]]]:
    assert _shared is not None
    return _price_band(
        *_shared, threshold, *span, seconds, cut_rounds, deadline, flow_after=flow_after
    )


def local_price(
    pool: Pool,
    relaxation: Relaxation,
    *,
    hops: int = 2,
    seconds: float = 10.0,
    threshold: float = 1e-6,
    stretch: float = 1.6,
) -> int:
    """Pricing by small MILPs, a large-neighbourhood search between the local search and
    :func:`exact_price`: for each district the LP uses, the districts above ``threshold``
    made of its beats and those up to ``hops`` steps around it, with a perimeter within
    ``stretch`` times its own (the bands' MILPs on those beats alone, ``seconds`` a band).
    How many new columns it added."""
    g = pool.problem.graph
    spans = bands(pool)
    added = 0
    for j in sorted(relaxation.support):
        beats = pool.columns[j].beats
        around = set(beats)
        for _ in range(hops):
            around |= {int(b) for a in list(around) for b in g.neighbours[a]}
        per = Region(g, beats).perimeter
        for low, high in spans:
            if high < per / stretch or low > per * stretch:
                continue
            until = time.perf_counter() + seconds  # for the band, cut rounds included
            _, found = _price_band(
                pool, relaxation, threshold, low, high, seconds, 50, until, frozenset(around)
            )
            added += sum(pool.add(column) for column, _ in found)
    return added


def _price_band(
    pool: Pool,
    relaxation: Relaxation,
    threshold: float,
    low: float,
    high: float,
    seconds: float,
    cut_rounds: int,
    deadline: float | None,
    allowed: frozenset[int] | None = None,
    flow_after: int | None = FLOW_AFTER,
) -> tuple[Band, list[tuple[Column, float]]]:
    """One band: whether it is closed, and the districts above the threshold found in it
    (of ``allowed`` beats only, if given) with their reduced costs. Contiguity is held by
    cuts for the first ``flow_after`` solves, then by a flow (None: cuts only)."""
    began = time.perf_counter()
    model = _BandModel(pool, relaxation, threshold, low, high, allowed)
    closed, rounds = False, 0
    above: list[tuple[Column, float]] = []
    while rounds < cut_rounds and not above:
        left = seconds if deadline is None else min(seconds, deadline - time.perf_counter())
        if left <= 0:
            break
        if flow_after is not None and rounds >= flow_after and not model.flows:
            model.add_flow()
        rounds += 1
        found = model.solve(left)
        if not found:
            closed = model.closed
            break
        for beats in found:
            parts = pieces(pool.problem.graph, beats)
            if len(parts) > 1:
                model.cut(parts)
                continue
            region = Region(pool.problem.graph, beats)
            rc = _reduced_cost(pool, relaxation, region)
            if rc <= threshold:  # only the relaxation's slack put it above: not again
                model.exclude(beats)
                continue
            above.append((region.column(pool.problem.tolerance), rc))
    return Band(low, high, closed, time.perf_counter() - began, rounds), above


def _most_beats(g: BeatGraph, ceiling: float) -> int:
    """The most beats a district within the workload ceiling can hold (the lightest first)."""
    light = np.sort(np.maximum(g.workload, 0.0))
    return max(int((np.cumsum(light) <= ceiling).sum()), 1)


class _BandModel:
    """The MILP of one band: maximise ``g/U²`` (as minimising its negative, cut off at 0).

    Columns: beats ``x``, edges ``y`` (both ends chosen), the scaled perimeter
    ``P/U``, ``s = q/U²``, one flag ``t`` per area whose price is positive (the district
    holds the tolerance of it), one flag ``h`` per area held whole with a positive price,
    and the products of ``s`` with each priced flag and beat."""

    def __init__(
        self,
        pool: Pool,
        relaxation: Relaxation,
        threshold: float,
        low: float,
        high: float,
        allowed: frozenset[int] | None = None,
        solutions: int = 3,
    ) -> None:
        p = pool.problem
        g = p.graph
        d = relaxation.duals
        n = g.n
        self.n = n
        inf = highspy.kHighsInf
        with quiet():
            h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("objective_bound", -CUTOFF)  # only g > 0 is a solution
        h.setOptionValue("mip_improving_solution_save", True)
        # a band with districts above the threshold is open whichever they are: stop soon
        # (a band with none still runs to its proof)
        h.setOptionValue("mip_max_improving_sols", max(int(solutions), 1))
        self.h = h
        lo_s = (low / high) ** 2
        cost: list[float] = []
        lower: list[float] = []
        upper: list[float] = []
        integer: list[int] = []

        def var(lb: float, ub: float, c: float = 0.0, binary: bool = False) -> int:
            cost.append(c)
            lower.append(lb)
            upper.append(ub)
            if binary:
                integer.append(len(cost) - 1)
            return len(cost) - 1

        rows: list[tuple[float, float, dict[int, float]]] = []

        def row(lb: float, ub: float, terms: dict[int, float]) -> None:
            rows.append((lb, ub, terms))

        scale = p.compactness * 4 * math.pi / (p.k * high * high)
        x = [
            var(0, 1 if allowed is None or i in allowed else 0, -scale * g.area[i], binary=True)
            for i in range(n)
        ]
        per = var(low / high, 1.0)
        s = var(lo_s, 1.0, float(d.count + threshold))
        # the perimeter: beats' own less twice each boundary between two chosen beats
        terms = {per: 1.0}
        for i in range(n):
            terms[x[i]] = -float(g.perimeter[i]) / high
        for (a, b), shared in zip(g.edges.tolist(), g.shared.tolist(), strict=True):
            if shared <= 0:
                continue
            y = var(0, 1)
            row(-inf, 0, {y: 1, x[a]: -1})
            row(-inf, 0, {y: 1, x[b]: -1})
            row(-1, inf, {y: 1, x[a]: -1, x[b]: -1})
            terms[y] = 2 * shared / high
        row(0, 0, terms)
        # s ≥ P² (tangents) and s ≤ the chord through the band's ends
        for p0 in np.linspace(low / high, 1.0, TANGENTS).tolist():
            row(-p0 * p0, inf, {s: 1, per: -2 * p0})
        row(-inf, -(low / high), {s: 1, per: -(low / high + 1)})
        # the workload window
        wl, wh = p.window
        row(wl - EPS, wh + EPS, {x[i]: float(g.workload[i]) for i in range(n)})

        def product(flag: int, price: float) -> None:
            """``z = flag·s`` (exact when ``flag`` is 0 or 1), costing ``price·z``."""
            z = var(0, 1, price)
            row(-inf, 0, {z: 1, flag: -1})  # z ≤ flag
            row(0, inf, {z: 1, flag: -lo_s})  # z ≥ lo_s·flag
            row(-inf, -lo_s, {z: 1, s: -1, flag: -lo_s})  # z ≤ s - lo_s·(1 - flag)
            row(-1, inf, {z: 1, s: -1, flag: -1})  # z ≥ s - (1 - flag)

        for i in range(n):
            if abs(d.beat[i]) > 1e-12:
                product(x[i], float(d.beat[i]))
        tol = p.tolerance
        for c in np.flatnonzero(d.area > 1e-12).tolist():
            t = var(0, 1, binary=True)
            # holding the tolerance sets the flag (a hair of slack only loosens it)
            share = {x[i]: float(g.community[i, c]) for i in np.flatnonzero(g.community[:, c])}
            row(-inf, tol + 1e-9, {**share, t: -1.0})
            product(t, float(d.area[c]))
        wholes = pool.whole
        for c in np.flatnonzero((d.whole > 1e-12) & wholes.eligible).tolist():
            hc = var(0, 1, binary=True)
            for b in np.flatnonzero(wholes.holds[:, c]).tolist():
                row(-inf, 0, {hc: 1, x[b]: -1})
            product(hc, -float(d.whole[c]))
        # a district of two or more beats holds a neighbour of each of its beats
        lone = (g.workload >= wl - EPS) & (g.workload <= wh + EPS)
        for i in range(n):
            if not lone[i]:
                row(-inf, 0, {x[i]: 1, **{x[j]: -1 for j in g.neighbours[i].tolist()}})
        self.x = x
        self.most = _most_beats(g, wh + EPS)
        self.seen: set[tuple[int, ...]] = set()
        self.neighbours = [nb.tolist() for nb in g.neighbours]
        n_vars = len(cost)
        h.addVars(n_vars, np.array(lower), np.array(upper))
        h.changeColsCost(n_vars, np.arange(n_vars), np.array(cost))
        h.changeColsIntegrality(
            len(integer),
            np.array(integer, dtype=np.int32),
            np.full(len(integer), highspy.HighsVarType.kInteger),
        )
        for lb, ub, row_terms in rows:
            self._add(lb, ub, row_terms)

    flows = False  # contiguity is held by a flow (no cuts needed)

    def add_flow(self) -> None:
        """Hold contiguity by a single-commodity flow from now on: one chosen beat (the root)
        sends a unit to every other chosen beat along arcs between chosen beats, so every
        solution is one piece (a set in pieces has no root reaching them all) and every
        district is a solution (its spanning tree carries the flow)."""
        h, x, n, most = self.h, self.x, self.n, self.most
        inf = highspy.kHighsInf
        arcs = [(a, b) for a in range(n) for b in self.neighbours[a]]
        first = int(h.getNumCol())
        flows = range(first, first + len(arcs))  # along each arc, at most most - 1
        roots = range(flows.stop, flows.stop + n)  # which beat is the root
        supply = range(roots.stop, roots.stop + n)  # what each beat sends out
        upper = [*[most - 1.0] * len(arcs), *[1.0] * n, *[float(most)] * n]
        h.addVars(len(upper), np.zeros(len(upper)), np.array(upper))
        h.changeColsIntegrality(
            n, np.array(roots, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
        )
        net = [{x[i]: 1.0, supply[i]: -1.0} for i in range(n)]  # x + out - in - supply = 0
        for f, (a, b) in zip(flows, arcs, strict=True):
            self._add(-inf, 0, {f: 1, x[a]: 1 - most})  # only between chosen beats
            self._add(-inf, 0, {f: 1, x[b]: 1 - most})
            net[a][f] = 1.0
            net[b][f] = -1.0
        self._add(1, 1, dict.fromkeys(roots, 1.0))
        for i in range(n):
            self._add(-inf, 0, {roots[i]: 1, x[i]: -1})  # the root is chosen
            self._add(-inf, 0, {supply[i]: 1, roots[i]: -most})  # only the root supplies
            self._add(0, 0, net[i])
        self.flows = True

    def _add(self, lb: float, ub: float, terms: dict[int, float]) -> None:
        idx = np.array(list(terms), dtype=np.int32)
        val = np.array(list(terms.values()))
        self.h.addRow(lb, ub, len(idx), idx, val)

    closed = False  # the last solve proved no solution has g > 0

    def solve(self, seconds: float) -> list[list[int]]:
        """The beats of every improving solution HiGHS found (g > 0), best last; none when
        the band is proved empty (``closed``) or time ran out first."""
        h = self.h
        h.setOptionValue("time_limit", max(float(seconds), 1.0))
        with quiet():
            h.solve()
        status, info = h.getModelStatus(), h.getInfo()
        # proved: no solution beats the cutoff, or the best bound does not
        self.closed = status == highspy.HighsModelStatus.kInfeasible or (
            status == highspy.HighsModelStatus.kOptimal and info.mip_dual_bound >= -CUTOFF
        )
        if self.closed:
            return []
        # HiGHS keeps the saved solutions of earlier solves: only new ones count
        found = []
        values = [sol.col_value for sol in h.getSavedMipSolutions()]
        for value in [*values, h.getSolution().col_value]:
            col = np.asarray(value)
            beats = tuple(i for i in range(self.n) if col[self.x[i]] > 0.5)
            if beats and beats not in self.seen:
                self.seen.add(beats)
                found.append(list(beats))
        return found

    def cut(self, pieces: list[list[int]]) -> None:
        """Contiguity cuts between every two pieces of a disconnected solution."""
        g_adj = self.neighbours
        inf = highspy.kHighsInf
        for k, piece in enumerate(pieces):
            ring = sorted({j for i in piece for j in g_adj[i]} - set(piece))
            for other in pieces[:k] + pieces[k + 1 :]:
                b = other[0]
                for a in piece:
                    terms = {self.x[a]: 1.0, self.x[b]: 1.0}
                    for j in ring:
                        terms[self.x[j]] = -1.0
                    self._add(-inf, 1.0, terms)

    def exclude(self, beats: list[int]) -> None:
        """No-good cut: not this set of beats again."""
        chosen = set(beats)
        terms = {self.x[i]: (1.0 if i in chosen else -1.0) for i in range(self.n)}
        self._add(-highspy.kHighsInf, len(chosen) - 1.0, terms)


@dataclass(frozen=True)
class Certificate:
    """The outcome of :func:`certify`: whether no plan reaches the target; the least
    objective any plan can have when proved (nan when not); the LP over the pool at the
    last round (a bound over the pool's plans only); rounds of exact pricing; districts
    they added to the pool."""

    proved: bool
    bound: float
    lp: float
    rounds: int
    columns: int


def certify(
    pool: Pool,
    target: float,
    rng: np.random.Generator,
    *,
    seconds: float = 600.0,
    deadline: float | None = None,
    margin: float = 0.95,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Certificate:
    """Whether no plan of any balanced, contiguous districts has an objective below
    ``target`` (the pool's problem: its cap on splits included), by column generation with
    exact pricing.

    Each round solves the LP over the pool and asks :func:`exact_price` whether any district
    has a reduced cost above ``t``, the largest that would still leave the Lagrangian bound
    above the target (times ``margin``). If none has, that bound is the proof. Otherwise the
    districts found join the pool, the local search prices from them until it finds nothing
    more, and the next round begins. It stops, unproved, when the LP over the pool itself
    falls below the target (then better plans may well exist) or at ``deadline``
    (``time.perf_counter()``)."""
    k = pool.problem.k
    rounds = added = 0
    lp = math.nan
    relaxation = pool.relax()
    while deadline is None or time.perf_counter() < deadline:
        if relaxation is None:  # no plan at all, not even in fractions
            return Certificate(True, math.inf, math.inf, rounds, added)
        lp = relaxation.objective
        threshold = (relaxation.floor - target) / k * margin
        if threshold <= 0:
            break
        rounds += 1
        priced = exact_price(
            pool,
            relaxation,
            threshold,
            seconds=seconds,
            deadline=deadline,
            workers=workers,
            progress=None if progress is None else lambda b: progress(_band_line(b)),
        )
        if priced.closed:
            return Certificate(True, relaxation.bound(threshold), lp, rounds, added)
        added += sum(pool.add(c) for c in priced.columns)
        if progress is not None:
            progress(f"round {rounds}: {len(priced.columns)} districts above {threshold:.2e}")
        if not priced.columns:  # a band ran out of time: no proof, nothing to add
            break
        relaxation = pool.relax()
        while relaxation is not None and price(pool, relaxation, rng):
            relaxation = pool.relax()
    return Certificate(False, math.nan, lp, rounds, added)


def _band_line(band: Band) -> str:
    state = "closed" if band.closed else "open" if band.rounds else "not tried (time)"
    return (
        f"perimeter {band.low / 1000:.1f}-{band.high / 1000:.1f} km: {state} "
        f"({band.rounds} solves, {band.seconds:.0f} s)"
    )
