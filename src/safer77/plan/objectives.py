"""Objectives: plain callables ``Plan -> float``, lower is better, each scaled to 0..1."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from safer77.plan.graph import FloatArray
from safer77.plan.partition import Plan
from safer77.plan.score import SPLIT_TOLERANCE, polsby_popper, split_mask

Objective = Callable[[Plan], float]


def compactness(plan: Plan) -> float:
    """One minus the mean Polsby-Popper score of the districts."""
    return float(1 - polsby_popper(plan).mean())


def splits(tolerance: float = SPLIT_TOLERANCE, fixed: FloatArray | None = None) -> Objective:
    """The share of community areas split between districts; ``fixed[c]`` districts outside
    the plan (kept ones) hold at least ``tolerance`` of area ``c`` as well."""

    def share(plan: Plan) -> float:
        mask = split_mask(plan, tolerance, fixed)
        return float(mask.mean()) if len(mask) else 0.0

    return share


def moves(plan: Plan) -> float:
    """The share of beats not in the district they are in today (``plan.reference``)."""
    if plan.reference is None:
        return 0.0
    return float(np.mean(plan.assignment != plan.reference))


def weighted(*terms: tuple[float, Objective]) -> Objective:
    """The weighted sum of objectives."""

    def total(plan: Plan) -> float:
        return sum(w * f(plan) for w, f in terms if w)

    return total
