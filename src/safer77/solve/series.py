"""Emerging series: a prospective space-time permutation scan (Kulldorff et al. 2005, as in
SaTScan) over incident points and days, pure numpy.

The incidents of the history window (``history_days`` up to ``as_of``) are binned into square
cells. A candidate series is a cylinder: the cells within a growing radius of a centre cell
(up to ``max_radius_m``) and the last ``w`` days up to ``as_of`` (``w = 1..max_window``), so
every run asks "is something happening *now*?" and can be repeated daily. Its expected count
is ``cell totals x day totals / all``: each place is compared with its own history, and each
day with the whole city's, so busy places and busy days are not series by themselves. The
score is the Poisson generalised likelihood ratio of the cylinder's count against that
expectation (only excesses count). The p-value of the best cylinder comes from
``permutations`` random re-assignments of the days among the incidents (which keeps both the
place totals and the day totals); secondary series are the next best cylinders sharing no
cell with a better one, scored against the same null distribution (conservative). Nothing
about people is used: points, days and a crime type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from safer77.errors import InvalidInput


@dataclass(frozen=True)
class Series:
    centre_x: float
    centre_y: float
    radius_m: float
    cells: int
    days: int  # the window: the last ``days`` days up to as_of
    observed: int
    expected: float
    llr: float
    p_value: float
    incidents: NDArray[np.int64]  # indices into the input arrays


@dataclass(frozen=True)
class ScanResult:
    series: list[Series]  # most likely first
    incidents: int  # in the history window
    cylinders: int
    permutations: int


@dataclass(frozen=True)
class _Space:
    cell_of: NDArray[np.int64]  # per incident
    centres: NDArray[np.float64]  # (cells, 2)
    nbr: NDArray[np.int64]  # (cells, K): neighbour cells by distance, padded with n_cells
    dist: NDArray[np.float64]  # (cells, K) distances (inf in the padding)


def _space(
    x: NDArray[np.float64], y: NDArray[np.float64], cell_m: float, max_radius_m: float
) -> _Space:
    ix = np.floor(x / cell_m).astype(np.int64)
    iy = np.floor(y / cell_m).astype(np.int64)
    keys, cell_of = np.unique(np.stack([ix, iy], axis=1), axis=0, return_inverse=True)
    centres = (keys.astype(float) + 0.5) * cell_m
    n = len(centres)
    tree = cKDTree(centres)
    lists = tree.query_ball_point(centres, r=max_radius_m + 1e-9)
    k_max = max(len(li) for li in lists)
    nbr = np.full((n, k_max), n, dtype=np.int64)
    dist = np.full((n, k_max), np.inf)
    for i, li in enumerate(lists):
        idx = np.asarray(li, dtype=np.int64)
        d = np.hypot(*(centres[idx] - centres[i]).T)
        order = np.lexsort((idx, d))
        nbr[i, : len(idx)] = idx[order]
        dist[i, : len(idx)] = d[order]
    return _Space(cell_of.ravel().astype(np.int64), centres, nbr, dist)


def _llr(obs: NDArray[np.float32], mu: NDArray[np.float32], total: float) -> NDArray[np.float32]:
    """Poisson GLR of each cylinder; 0 where the count does not exceed its expectation.
    (Single precision: the ranks of scores, not their last digits, decide.)"""
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = obs * np.log(obs / mu)
        rest = np.float32(total) - obs
        outside = rest * np.log(rest / (np.float32(total) - mu))
        value = inside + np.where(rest > 0, outside, np.float32(0))
    return np.where((obs > mu) & (mu > 0), value, np.float32(0))


def scan(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    day: NDArray[np.int64],
    *,
    as_of: int,
    history_days: int = 365,
    cell_m: float = 500.0,
    max_radius_m: float = 1000.0,
    max_window: int = 14,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    max_series: int = 10,
) -> ScanResult:
    """Scan metric points (``x``, ``y`` in metres) with integer ``day`` numbers; incidents
    outside ``(as_of - history_days, as_of]`` are ignored. Returns the series with p-value at
    most ``alpha`` (at most ``max_series``), most likely first."""
    if not x.shape == y.shape == day.shape:
        raise InvalidInput("x, y and day must have one value per incident")
    if max_window < 1 or history_days <= max_window:
        raise InvalidInput("the history must be longer than the scanning window")
    if permutations < 1:
        raise InvalidInput("at least one permutation is needed")
    keep = np.flatnonzero((day <= as_of) & (day > as_of - history_days))
    if keep.size == 0:
        return ScanResult([], 0, 0, permutations)
    space = _space(x[keep], y[keep], cell_m, max_radius_m)
    ago = (as_of - day[keep]).astype(np.int64)  # 0 = as_of
    n_cells, total = len(space.centres), float(keep.size)

    cell_total = np.bincount(space.cell_of, minlength=n_cells + 1).astype(float)
    cell_total[n_cells] = 0.0
    z = np.cumsum(cell_total[space.nbr], axis=1)  # (cells, K) incidents of each circle
    day_total = np.bincount(ago, minlength=history_days).astype(float)
    recent = np.cumsum(day_total[:max_window])  # incidents of the last w days
    mu = (z[:, :, None] * recent[None, None, :] / total).astype(np.float32)  # (cells, K, W)
    # Padding (a circle that stops growing) gets an expectation of infinity: never scored.
    mu[~np.isfinite(space.dist)] = np.inf

    def observed(cells: NDArray[np.int64], ago_of: NDArray[np.int64]) -> NDArray[np.float32]:
        counts = np.bincount(
            cells * max_window + ago_of, minlength=(n_cells + 1) * max_window
        ).reshape(n_cells + 1, max_window)
        by_window = np.cumsum(counts, axis=1).astype(np.float32)  # (cells+1, W): last w days
        return np.cumsum(by_window[space.nbr], axis=1)  # (cells, K, W)

    near = ago < max_window
    obs = observed(space.cell_of[near], ago[near])
    llr = _llr(obs, mu, total)
    # Permuting the days among the incidents: only which incidents receive the recent days
    # (and which of them) matters, so draw that many incidents at random for those days.
    recent_days = ago[near]
    rng = np.random.default_rng(seed)
    null_max = np.empty(permutations)
    for i in range(permutations):
        chosen = rng.choice(ago.size, size=recent_days.size, replace=False)
        null_max[i] = float(_llr(observed(space.cell_of[chosen], recent_days), mu, total).max())

    series: list[Series] = []
    taken = np.zeros(n_cells + 1, dtype=bool)
    flat = np.argsort(-llr, axis=None, kind="stable")
    for f in flat[:50_000]:
        value = float(llr.flat[f])
        if value <= 0 or len(series) >= max_series:
            break
        p = (1 + int((null_max >= value).sum())) / (permutations + 1)
        if p > alpha:
            break
        c, k, w = np.unravel_index(f, llr.shape)
        cells = space.nbr[c, : k + 1]
        if taken[cells].any():
            continue
        taken[cells] = True
        members = keep[np.isin(space.cell_of, cells) & (ago <= w)]
        series.append(
            Series(
                centre_x=float(space.centres[c, 0]),
                centre_y=float(space.centres[c, 1]),
                radius_m=float(space.dist[c, k]),
                cells=int(k + 1),
                days=int(w + 1),
                observed=int(obs[c, k, w]),
                expected=float(mu[c, k, w]),
                llr=value,
                p_value=p,
                incidents=np.sort(members),
            )
        )
    return ScanResult(series, int(keep.size), int(np.isfinite(mu).sum()), permutations)
