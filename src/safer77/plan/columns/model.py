"""Columns (candidate districts), the problem they answer to, regions with running sums,
and what the LP and the MIP over a pool return."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from safer77.plan.graph import BeatGraph, FloatArray
from safer77.plan.score import SPLIT_TOLERANCE, holds, pp_of

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
        reduced cost above ``best`` (research/districting/pricing.py decides that)."""
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
