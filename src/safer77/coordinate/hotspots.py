"""Hotspots on a grid, and how well they predict next month (pure functions over arrays).

Three ways to pick the cells to watch, each flagging the same share of the city's area:

* **naive**: last month's counts;
* **KDE**: a Gaussian kernel density of all training incidents (a Gaussian filter on the
  grid of counts, bandwidth in cells);
* **Gi***: Getis-Ord Gi* z-scores of the training counts with queen neighbours (PySAL esda).

Each is fitted on months 1..m and scored on month m+1 with the hit rate (share of that month's
incidents inside the flagged cells) and the prediction accuracy index, PAI = hit rate / area
share (1 = no better than chance). Ties are broken by a seeded random order, never by position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter

from safer77.errors import InvalidInput

METHODS = ("naive", "kde", "gi_star")


@dataclass(frozen=True)
class Grid:
    """Square cells over the study area; ``inside`` marks cells in the city."""

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    inside: NDArray[np.bool_]  # (ny, nx)

    def cell(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int64]:
        """Flat cell index of each point (-1 outside the grid or the city)."""
        ix = np.floor((x - self.x0) / self.size).astype(np.int64)
        iy = np.floor((y - self.y0) / self.size).astype(np.int64)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        flat = np.where(ok, iy * self.nx + ix, -1)
        inside = self.inside.ravel()
        return np.where(ok & inside[np.clip(flat, 0, None)], flat, -1)

    def counts(self, cells: NDArray[np.int64]) -> NDArray[np.float64]:
        c = np.bincount(cells[cells >= 0], minlength=self.nx * self.ny).astype(float)
        return c.reshape(self.ny, self.nx)


def make_grid(
    x: NDArray[np.float64], y: NDArray[np.float64], size: float, inside: NDArray[np.bool_] | None
) -> Grid:
    """A grid over the points' extent; without a mask every cell counts as inside."""
    if size <= 0:
        raise InvalidInput("cell size must be positive")
    x0, y0 = float(x.min()), float(y.min())
    nx = int(np.floor((x.max() - x0) / size)) + 1
    ny = int(np.floor((y.max() - y0) / size)) + 1
    mask = np.ones((ny, nx), dtype=bool) if inside is None else inside
    return Grid(x0, y0, size, nx, ny, mask)


def score_naive(last_month: NDArray[np.float64]) -> NDArray[np.float64]:
    return last_month


def score_kde(training: NDArray[np.float64], bandwidth_cells: float) -> NDArray[np.float64]:
    return np.asarray(gaussian_filter(training, sigma=bandwidth_cells, mode="constant"))


def score_gi_star(training: NDArray[np.float64], inside: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Gi* z-scores on the grid (queen contiguity, the cell itself included); cells outside the
    city take part as zeros, so the edge of the city is not a false cold spot."""
    import esda
    from libpysal.weights import lat2W

    ny, nx = training.shape
    w = lat2W(ny, nx, rook=False)
    w.transform = "B"
    g = esda.G_Local(training.ravel(), w, star=True, permutations=0, transform="B")
    z = np.asarray(g.Zs, dtype=float).reshape(ny, nx)
    return np.where(np.isfinite(z), z, -np.inf)


def flag(
    scores: NDArray[np.float64], inside: NDArray[np.bool_], share: float, rng: np.random.Generator
) -> NDArray[np.bool_]:
    """The top ``share`` of the city's cells by score (ties in a seeded random order)."""
    cells = np.flatnonzero(inside.ravel())
    k = max(1, round(share * len(cells)))
    tiebreak = rng.permutation(len(cells))
    order = np.lexsort((tiebreak, -scores.ravel()[cells]))
    out = np.zeros(inside.size, dtype=bool)
    out[cells[order[:k]]] = True
    return out.reshape(inside.shape)


@dataclass(frozen=True)
class Score:
    month: str
    method: str
    incidents: int
    hits: int
    area_share: float

    @property
    def hit_rate(self) -> float | None:
        return self.hits / self.incidents if self.incidents else None

    @property
    def pai(self) -> float | None:
        rate = self.hit_rate
        return rate / self.area_share if rate is not None and self.area_share else None


def evaluate(
    grid: Grid,
    monthly: Sequence[tuple[str, NDArray[np.float64]]],
    *,
    holdout: int,
    share: float = 0.05,
    bandwidth_cells: float = 1.5,
    seed: int = 0,
) -> list[Score]:
    """Fit on months 1..m and score month m+1, for each of the last ``holdout`` months."""
    if holdout < 1 or holdout >= len(monthly):
        raise InvalidInput(f"need more months than the {holdout} held out (have {len(monthly)})")
    inside = grid.inside
    n_inside = int(inside.sum())
    out: list[Score] = []
    for t in range(len(monthly) - holdout, len(monthly)):
        month, test = monthly[t]
        training = np.sum([c for _, c in monthly[:t]], axis=0)
        scores = {
            "naive": score_naive(monthly[t - 1][1]),
            "kde": score_kde(training, bandwidth_cells),
            "gi_star": score_gi_star(training, inside),
        }
        for method in METHODS:
            rng = np.random.default_rng([seed, t, METHODS.index(method)])
            flagged = flag(scores[method], inside, share, rng)
            out.append(
                Score(
                    month=month,
                    method=method,
                    incidents=int(test[inside].sum()),
                    hits=int(test[flagged].sum()),
                    area_share=float(flagged.sum() / n_inside),
                )
            )
    return out
