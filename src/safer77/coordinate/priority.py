"""Priority communities: the city's rule, a composite index, its sensitivity to the weights, and
phasing (pure functions over arrays; the warehouse enters through :mod:`.inputs`).

* **City rule**: areas ranked by their average yearly serious victimizations over a window
  (the city used homicides + non-fatal shootings, 2018-2020, top 15); ties go to the lower area
  number, so the ranking is reproducible.
* **Composite index**: a weighted mean of standardised measures (violence rate and chosen
  root-cause indicators), each oriented so that higher means more need.
* **Sensitivity**: the weights are redrawn many times (Dirichlet around the chosen weights,
  seeded); each area gets a rank interval and the share of draws that put it in the top N.
* **Phasing**: with capacity for K areas per phase, phase p takes ranks (p-1)K+1 .. pK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safer77.errors import InvalidInput

#: Dirichlet concentration per measure of the weight redraws: the draws' mean is the chosen
#: weights; larger values give smaller perturbations.
CONCENTRATION = 50.0


def rank_desc(scores: NDArray[np.float64], keys: Sequence[int]) -> NDArray[np.int64]:
    """1-based ranks, highest score first; ties to the lower key (area number)."""
    order = np.lexsort((np.asarray(keys), -scores))
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def city_rule(yearly: Mapping[int, Sequence[int]]) -> list[tuple[int, float, int]]:
    """``[(area, average per year, rank)]`` ranked by average yearly victimizations."""
    areas = sorted(yearly)
    avg = np.array([float(np.mean(yearly[a])) if len(yearly[a]) else 0.0 for a in areas])
    ranks = rank_desc(avg, areas)
    return sorted(zip(areas, avg.tolist(), ranks.tolist(), strict=True), key=lambda t: t[2])


def standardise(values: NDArray[np.float64], higher_is_worse: bool = True) -> NDArray[np.float64]:
    """z-scores oriented so that higher means more need (a constant measure scores 0)."""
    sd = values.std()
    z = (values - values.mean()) / sd if sd > 0 else np.zeros_like(values)
    return z if higher_is_worse else -z


@dataclass(frozen=True)
class Measure:
    name: str
    values: NDArray[np.float64]  # one per area, in the order of ``areas``
    weight: float
    higher_is_worse: bool = True


def composite(measures: Sequence[Measure]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The standardised matrix (areas x measures) and the weighted-mean index."""
    if not measures:
        raise InvalidInput("a composite index needs at least one measure with a weight")
    weights = np.array([m.weight for m in measures], dtype=float)
    if (weights < 0).any() or weights.sum() <= 0:
        raise InvalidInput("weights must be non-negative and not all zero")
    z = np.column_stack([standardise(m.values, m.higher_is_worse) for m in measures])
    return z, z @ (weights / weights.sum())


@dataclass(frozen=True)
class Sensitivity:
    median_rank: NDArray[np.float64]
    rank_low: NDArray[np.int64]  # 5th percentile
    rank_high: NDArray[np.int64]  # 95th percentile
    share_top: NDArray[np.float64]  # share of draws in the top N
    stable_top: int  # areas in the top N in at least 95% of draws


def sensitivity(
    z: NDArray[np.float64],
    weights: Sequence[float],
    keys: Sequence[int],
    *,
    top: int,
    draws: int,
    rng: np.random.Generator,
    concentration: float = CONCENTRATION,
) -> Sensitivity:
    """Ranks under weights redrawn from a Dirichlet centred on ``weights`` (larger
    ``concentration``: smaller perturbations)."""
    w = np.asarray(weights, dtype=float)
    alpha = np.maximum(w / w.sum() * concentration * len(w), 1e-6)
    samples = rng.dirichlet(alpha, size=draws)  # draws x measures
    scores = samples @ z.T  # draws x areas
    ranks = np.vstack([rank_desc(s, keys) for s in scores])
    return Sensitivity(
        median_rank=np.median(ranks, axis=0),
        rank_low=np.percentile(ranks, 5, axis=0, method="lower").astype(np.int64),
        rank_high=np.percentile(ranks, 95, axis=0, method="higher").astype(np.int64),
        share_top=(ranks <= top).mean(axis=0),
        stable_top=int(((ranks <= top).mean(axis=0) >= 0.95).sum()),
    )


def phases(ranks: Sequence[int], capacity: int) -> list[int]:
    """Phase of each area given its rank and ``capacity`` areas per phase."""
    if capacity < 1:
        raise InvalidInput("capacity must be at least 1 area per phase")
    return [(r - 1) // capacity + 1 for r in ranks]
