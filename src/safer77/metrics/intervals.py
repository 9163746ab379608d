"""Binomial confidence intervals (reference implementations, used by tests and reports)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes, trials
        Counts with ``0 <= successes <= trials``; ``trials`` must be positive.
    z
        Normal quantile (1.96 for 95%).

    Returns
    -------
    (low, high)
        Bounds within [0, 1] that contain ``successes / trials``.
    """
    if trials <= 0:
        raise ValueError("trials must be positive")
    if not 0 <= successes <= trials:
        raise ValueError("successes must be between 0 and trials")
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    denom = 1 + z2 / trials
    return max(0.0, min(p, (centre - half) / denom)), min(1.0, max(p, (centre + half) / denom))
