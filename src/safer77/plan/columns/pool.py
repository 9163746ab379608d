"""The pool of balanced columns, its LP relaxation (SciPy's HiGHS) and its MIP (HiGHS)."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import highspy
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array, diags_array, hstack, vstack

from safer77.errors import InvalidInput
from safer77.plan.columns.model import EPS, Column, Duals, Problem, Relaxation, Solution
from safer77.plan.graph import FloatArray
from safer77.plan.partition import Plan
from safer77.plan.score import held_splits, holds


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
