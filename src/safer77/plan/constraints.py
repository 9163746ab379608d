"""Constraints: plain callables ``Plan -> bool`` that every accepted plan satisfies."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from safer77.plan.graph import FloatArray
from safer77.plan.partition import Plan
from safer77.plan.score import deviations, split_mask

Constraint = Callable[[Plan], bool]


def contiguous(plan: Plan) -> bool:
    """Every district is one piece (through rook adjacency or an island's link)."""
    return bool(plan.connected.all())


def deviation_excess(plan: Plan, bound_pct: float) -> float:
    """How far, in percentage points summed over districts, workloads lie outside
    ``bound_pct`` of the mean (0 for a balanced plan)."""
    return float(np.clip(np.abs(deviations(plan)) - bound_pct, 0, None).sum())


def within_deviation(bound_pct: float) -> Constraint:
    """Every district's workload within ``bound_pct`` percent of the mean."""

    def check(plan: Plan) -> bool:
        return deviation_excess(plan, bound_pct) == 0

    return check


def split_excess(
    cap: int, tolerance: float, fixed: FloatArray | None = None
) -> Callable[[Plan], float]:
    """How many community areas beyond ``cap`` a plan splits (0 within it); ``fixed[c]``
    districts outside the plan (kept ones) hold at least ``tolerance`` of area ``c`` too."""

    def excess(plan: Plan) -> float:
        return float(max(int(split_mask(plan, tolerance, fixed).sum()) - cap, 0))

    return excess
