"""Column generation (``plan districts --method columns``): the best plan made of districts
from a pool, by a MIP (HiGHS).

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

- :mod:`.model`: columns, the problem, regions with running sums, the LP's and MIP's results;
- :mod:`.pool`: the pool, its LP relaxation and its MIP;
- :mod:`.seeds`: districts grown around beats, of whole areas, and recombined;
- :mod:`.search`: pricing by local search, and diving for a plan of the pool;
- :mod:`.method`: the ``--method columns`` search that :mod:`safer77.plan.optimise` runs.

The default ``plan districts`` (annealing) imports none of these.
"""

from safer77.plan.columns.model import (
    EPS,
    Column,
    Duals,
    Problem,
    Region,
    Relaxation,
    Solution,
    pieces,
)
from safer77.plan.columns.pool import Pool, Wholes, quiet
from safer77.plan.columns.search import dive, price
from safer77.plan.columns.seeds import connected_groups, grown, recombine, whole_areas

__all__ = [
    "EPS",
    "Column",
    "Duals",
    "Pool",
    "Problem",
    "Region",
    "Relaxation",
    "Solution",
    "Wholes",
    "connected_groups",
    "dive",
    "grown",
    "pieces",
    "price",
    "quiet",
    "recombine",
    "whole_areas",
]
