"""The environment from 311: how fast each area's requests are fixed, whether violence is
more frequent near open requests, and what to fix first (pure functions over arrays).

**Time to repair** is the days from a request's creation to its closing (requests 311
marked as duplicates of another are left out). Its median carries a distribution-free 95%
interval (binomial order statistics), and the open backlog is counted on the window's last day.

**Risk-terrain test.** The city is cut into square cells and the window into months. A
cell-month is *exposed* when a request of the tested kinds was open in it, or in a cell
next to it, at some time in that month. The relative risk is the violent-incident rate of
exposed cell-months over that of the others, with a Poisson 95% interval. Its p-value comes
from a permutation test that shuffles which cells are exposed *within each community area and
month* (the number of exposed cells of every area-month kept), so that a poorer area having
both more requests and more violence does not count as an effect of the requests; what is
left is "within the same area and month, are incidents nearer open requests than elsewhere?".
It is an association, not a proof that fixing causes less violence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safer77.errors import InvalidInput

Z95 = 1.959963984540054


@dataclass(frozen=True)
class MedianCI:
    n: int
    median: float | None
    low: float | None
    high: float | None


def median_ci(values: Sequence[float] | NDArray[np.float64], level: float = 0.95) -> MedianCI:
    """The median and a distribution-free interval: order statistics ``x(j) .. x(k)`` with
    the largest ``j`` (and matching ``k = n + 1 - j``) such that
    ``P(j <= Binomial(n, 1/2) < k) >= level``. Fewer than 6 values give no interval."""
    x = np.sort(np.asarray(values, dtype=float))
    n = int(x.size)
    if n == 0:
        return MedianCI(0, None, None, None)
    from scipy.stats import binom  # ~0.6 s to import: paid by the pages that use it only

    med = float(np.median(x))
    # coverage of [x(j), x(n+1-j)] (1-based) = 1 - 2 * P(B <= j - 1)
    j = int(binom.ppf((1 - level) / 2, n, 0.5))
    while j >= 1 and 1 - 2 * binom.cdf(j - 1, n, 0.5) < level:
        j -= 1
    if j < 1:
        return MedianCI(n, med, None, None)
    return MedianCI(n, med, float(x[j - 1]), float(x[n - j]))


@dataclass(frozen=True)
class ExposureTest:
    exposed_cells: int  # exposed cell-months
    other_cells: int
    exposed_incidents: int
    other_incidents: int
    relative_risk: float | None
    rr_low: float | None
    rr_high: float | None
    p_value: float  # one-sided: violence higher near exposure
    permutations: int


def relative_risk(
    exposed_incidents: int, exposed_cells: int, other_incidents: int, other_cells: int
) -> tuple[float | None, float | None, float | None]:
    """Rate ratio with a log-normal (Poisson) 95% interval; None where a rate is 0/0."""
    if exposed_cells == 0 or other_cells == 0 or other_incidents == 0:
        return None, None, None
    rr = (exposed_incidents / exposed_cells) / (other_incidents / other_cells)
    low, high = rate_ratio_interval(exposed_incidents, other_incidents)
    scale = other_cells / exposed_cells
    return rr, None if low is None else low * scale, None if high is None else high * scale


def rate_ratio_interval(a: int, b: int) -> tuple[float | None, float | None]:
    """95% interval of the ratio of two Poisson counts over equal exposure (log-normal);
    None when either count is 0."""
    if a == 0 or b == 0:
        return None, None
    rr = a / b
    se = float(np.sqrt(1 / a + 1 / b))
    return rr * float(np.exp(-Z95 * se)), rr * float(np.exp(Z95 * se))


def exposure_test(
    incidents: NDArray[np.float64],
    exposed: NDArray[np.bool_],
    strata: NDArray[np.int64],
    *,
    permutations: int = 999,
    seed: int = 0,
) -> ExposureTest:
    """Relative risk of incidents in exposed units and its stratified permutation p-value.

    ``incidents``, ``exposed`` and ``strata`` are flat arrays over the units (cell-months);
    units with stratum < 0 are left out. Each permutation draws, in every stratum, which of
    its units are exposed (as many as observed) uniformly at random: done exactly by
    sequential sampling without replacement over the units that hold incidents only, so the
    cost follows the number of incidents, not of cells.
    """
    if not incidents.shape == exposed.shape == strata.shape:
        raise InvalidInput("incidents, exposure and strata must have one value per unit")
    if permutations < 1:
        raise InvalidInput("at least one permutation is needed")
    keep = strata >= 0
    inc = incidents[keep].astype(np.int64)
    exp = exposed[keep]
    st = strata[keep]
    n_exp = int(exp.sum())
    n_other = int(exp.size - n_exp)
    i_exp = int(inc[exp].sum())
    i_other = int(inc.sum() - i_exp)
    rr, low, high = relative_risk(i_exp, n_exp, i_other, n_other)

    # Per stratum: its size, its exposed count, and the incident counts of its units.
    order = np.argsort(st, kind="stable")
    st_sorted = st[order]
    bounds = np.flatnonzero(np.diff(st_sorted)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [st_sorted.size]))
    rng = np.random.default_rng(seed)
    total = np.zeros(permutations, dtype=np.int64)
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        members = order[a:b]
        counts = inc[members]
        hot = counts[counts > 0]
        if hot.size == 0:
            continue
        n = b - a
        k = int(exp[members].sum())
        if k == 0:
            continue
        if k == n:
            total += int(hot.sum())
            continue
        chosen = np.zeros(permutations, dtype=np.int64)
        for j, c in enumerate(hot.tolist()):
            pick = rng.random(permutations) * (n - j) < (k - chosen)
            chosen += pick
            total += c * pick
    p = (1 + int((total >= i_exp).sum())) / (permutations + 1)
    return ExposureTest(n_exp, n_other, i_exp, i_other, rr, low, high, p, permutations)


def dilate(mask: NDArray[np.bool_], steps: int) -> NDArray[np.bool_]:
    """Cells within ``steps`` cells (queen moves) of a marked cell, over the last two axes."""
    out = mask.copy()
    for _ in range(steps):
        grown = out.copy()
        grown[..., 1:, :] |= out[..., :-1, :]
        grown[..., :-1, :] |= out[..., 1:, :]
        step = grown.copy()
        step[..., :, 1:] |= grown[..., :, :-1]
        step[..., :, :-1] |= grown[..., :, 1:]
        out = step
    return out
