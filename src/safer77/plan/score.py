"""Scoring any plan: workload balance, contiguity, compactness, community areas split, beats
moved, and a lower bound on the best balance any plan of these beats could reach."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from safer77.plan.graph import FloatArray, IntArray
from safer77.plan.partition import Plan

#: A community area counts as split when at least two districts each hold this share of it
#: (smaller pieces are slivers where beat and area boundaries were digitised apart).
SPLIT_TOLERANCE = 0.02


def balanced_mask(plan: Plan, kept: tuple[int, ...] = ()) -> np.ndarray[Any, Any]:
    """Per district, whether it takes part in the balance (its number is not in ``kept``)."""
    return np.array([name not in kept for name in plan.names], dtype=bool)


def deviations(plan: Plan, kept: tuple[int, ...] = ()) -> FloatArray:
    """Each district's workload minus the mean, in percent of the mean (0 when all is 0); the
    mean is over the districts not in ``kept`` (kept out of the balance, e.g. the airport)."""
    balanced = balanced_mask(plan, kept)
    mean = plan.workload[balanced].sum() / max(int(balanced.sum()), 1)
    if mean <= 0:
        return np.zeros(plan.k)
    return np.asarray((plan.workload - mean) / mean * 100, dtype=np.float64)


def pp_of(area: float, perimeter: float) -> float:
    """4πA/P² of one shape (0 for no perimeter)."""
    return 4 * math.pi * area / perimeter**2 if perimeter > 0 else 0.0


def polsby_popper(plan: Plan) -> FloatArray:
    """4πA/P² of each district: 1 for a disc, about 0.785 for a square."""
    p2 = plan.perimeter**2
    out = np.zeros(plan.k)
    np.divide(4 * math.pi * plan.area, p2, out=out, where=p2 > 0)
    return out


def split_mask(
    plan: Plan, tolerance: float = SPLIT_TOLERANCE, fixed: FloatArray | None = None
) -> np.ndarray[Any, Any]:
    """Per community area, whether two or more districts each hold ``tolerance`` of it;
    ``fixed[c]`` districts outside the plan (kept ones) hold that much of area ``c`` too."""
    return held_splits(holds(plan.shares, tolerance).sum(axis=0), fixed)


def holds(shares: Any, tolerance: float = SPLIT_TOLERANCE) -> np.ndarray[Any, Any]:
    """Whether each share of an area (running sums drift by rounding) reaches the
    tolerance."""
    return np.asarray(np.asarray(shares) >= tolerance - 1e-9)


def held_splits(held: Any, fixed: FloatArray | None = None) -> np.ndarray[Any, Any]:
    """Per area, whether ``held`` (districts holding the tolerance of it) plus ``fixed``
    reaches two."""
    total = np.asarray(held, dtype=np.float64)
    if fixed is not None and len(fixed):
        total = total + fixed
    return np.asarray(total >= 2)


def split_areas(plan: Plan, tolerance: float = SPLIT_TOLERANCE) -> IntArray:
    """Numbers of the community areas the plan splits."""
    return np.asarray(plan.graph.area_keys[split_mask(plan, tolerance)], dtype=np.int64)


def lower_bound(workload: FloatArray, k: int) -> float:
    """A lower bound (percent) on the max workload deviation of any split of these beats into
    ``k`` districts, contiguous or not, since beats cannot be divided.

    Pigeonhole: among the ``j*k + 1`` heaviest beats some district gets ``j + 1``, so it carries
    at least the ``j + 1`` lightest of them; and some district gets at most ``n // k`` beats,
    so it carries at most the ``n // k`` heaviest.
    """
    w = np.sort(np.asarray(workload, dtype=np.float64))[::-1]
    n = len(w)
    mean = w.sum() / k
    if mean <= 0 or n < k:
        return 0.0 if mean <= 0 else 100.0
    best = 0.0
    j = 0
    while j * k + 1 <= n:
        top = j * k + 1
        best = max(best, (w[top - j - 1 : top].sum() - mean) / mean)
        j += 1
    best = max(best, (mean - w[: n // k].sum()) / mean)
    return float(best * 100)


def moved(plan: Plan, current: Plan) -> int:
    """Beats whose district changes from ``current``, districts matched to keep the most beats
    in place (so renumbering alone moves nothing)."""
    common, rows, cols = pairing(plan, current)
    return int(plan.graph.n - common[rows, cols].sum())


def pairing(plan: Plan, other: Plan) -> tuple[IntArray, IntArray, IntArray]:
    """The districts of two plans of the same beats paired one to one so that pairs share
    the most beats: beats in common per (plan, other) district, and the pairs' rows and
    columns in that table."""
    common = np.zeros((plan.k, other.k), dtype=np.int64)
    np.add.at(common, (plan.assignment, other.assignment), 1)
    rows, cols = linear_sum_assignment(common, maximize=True)
    return common, np.asarray(rows, np.int64), np.asarray(cols, np.int64)


@dataclass(frozen=True)
class DistrictScore:
    district: int
    beats: int
    workload: float
    deviation_pct: float
    polsby_popper: float
    contiguous: bool


@dataclass(frozen=True)
class Score:
    """The scores of one plan; ``moved`` is None when there is no current plan to compare."""

    districts: tuple[DistrictScore, ...]
    max_deviation_pct: float
    mean_abs_deviation_pct: float
    contiguous: bool
    discontiguous: tuple[int, ...]
    pp_min: float
    pp_mean: float
    splits: int
    split_areas: tuple[int, ...]
    moved: int | None
    lower_bound_pct: float
    kept: tuple[int, ...] = ()  # districts kept as they are and out of the balance

    def summary(self) -> dict[str, Any]:
        """The plan-wide figures as one flat row."""
        return {
            "districts": len(self.districts),
            "max_deviation_pct": round(self.max_deviation_pct, 2),
            "mean_abs_deviation_pct": round(self.mean_abs_deviation_pct, 2),
            "contiguous": self.contiguous,
            "polsby_popper_min": round(self.pp_min, 4),
            "polsby_popper_mean": round(self.pp_mean, 4),
            "areas_split": self.splits,
            "beats_moved": self.moved,
            "lower_bound_pct": round(self.lower_bound_pct, 2),
            "kept_out_of_balance": " ".join(str(d) for d in self.kept) or "none",
        }


def score(
    plan: Plan,
    current: Plan | None = None,
    *,
    split_tolerance: float = SPLIT_TOLERANCE,
    kept: tuple[int, ...] = (),
) -> Score:
    """Every score of ``plan``; beats moved are counted from ``current`` when given. Districts
    in ``kept`` are out of the balance: the mean, the deviations and the lower bound are of
    the others (compactness and splits still count every district)."""
    kept = tuple(d for d in kept if d in plan.names)
    balanced = balanced_mask(plan, kept)
    dev = deviations(plan, kept)
    in_balance = np.isin(plan.assignment, np.flatnonzero(balanced))
    pp = polsby_popper(plan)
    sizes = np.bincount(plan.assignment, minlength=plan.k)
    per = tuple(
        DistrictScore(
            district=plan.names[d],
            beats=int(sizes[d]),
            workload=float(plan.workload[d]),
            deviation_pct=float(dev[d]),
            polsby_popper=float(pp[d]),
            contiguous=bool(plan.connected[d]),
        )
        for d in range(plan.k)
    )
    split = split_areas(plan, split_tolerance)
    return Score(
        districts=per,
        max_deviation_pct=float(np.abs(dev[balanced]).max()),
        mean_abs_deviation_pct=float(np.abs(dev[balanced]).mean()),
        contiguous=bool(plan.connected.all()),
        discontiguous=tuple(plan.names[d] for d in np.flatnonzero(~plan.connected)),
        pp_min=float(pp.min()),
        pp_mean=float(pp.mean()),
        splits=len(split),
        split_areas=tuple(int(a) for a in split),
        moved=None if current is None else moved(plan, current),
        lower_bound_pct=lower_bound(plan.graph.workload[in_balance], int(balanced.sum())),
        kept=kept,
    )
