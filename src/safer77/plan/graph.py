"""The beat graph: beats, their rook adjacency (with a sliver tolerance), their workload and
how much of each community area lies in each beat.

Geometry enters here only; everything downstream works on arrays. Lengths and areas are in
the units of the polygons given to :func:`from_polygons` (metres for the warehouse adapter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from safer77.errors import InvalidInput

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class BeatGraph:
    """Beats as nodes, shared boundaries as edges.

    ``edges`` holds each adjacent pair once (``i < j``, indices into ``keys``) with the length
    of boundary they share in ``shared``; an edge added to join an island to the mainland has
    length 0 and is listed in ``links``. ``community[b, c]`` is the share of community area
    ``c``'s area that lies in beat ``b``; ``community_size[c]`` is that area's own area.
    """

    keys: IntArray
    edges: IntArray  # (E, 2)
    shared: FloatArray  # (E,)
    area: FloatArray
    perimeter: FloatArray
    workload: FloatArray
    area_keys: IntArray
    community: FloatArray  # (n beats, n areas)
    links: tuple[tuple[int, int], ...] = ()  # beat keys joined across water or gaps
    centre: FloatArray | None = None  # (n, 2) centroid of each beat, when drawn from polygons
    community_size: FloatArray | None = None  # (n areas,) when drawn from polygons

    def main_area(self) -> IntArray:
        """Per beat, the community area (index) covering most of it; -1 where none does."""
        if self.community_size is None or not self.community.shape[1]:
            return np.full(self.n, -1, dtype=np.int64)
        overlap = self.community * self.community_size[None, :]
        return np.where(overlap.max(axis=1) > 0, overlap.argmax(axis=1), -1).astype(np.int64)

    @property
    def n(self) -> int:
        return len(self.keys)

    @cached_property
    def neighbours(self) -> tuple[IntArray, ...]:
        """Neighbour indices of each beat (built once: the edges never change)."""
        return _neighbours(self.n, self.edges)

    @cached_property
    def adjacency(self) -> tuple[tuple[tuple[int, float], ...], ...]:
        """(neighbour, shared length) pairs of each beat, as plain Python for fast loops."""
        lists: list[list[tuple[int, float]]] = [[] for _ in range(self.n)]
        for (i, j), s in zip(self.edges.tolist(), self.shared.tolist(), strict=True):
            lists[i].append((j, s))
            lists[j].append((i, s))
        return tuple(tuple(sorted(x)) for x in lists)

    def index(self, key: int) -> int:
        """The index of beat ``key``."""
        pos = int(np.searchsorted(self.keys, key))
        if pos >= self.n or self.keys[pos] != key:
            raise InvalidInput(f"no beat {key} in the beat graph")
        return pos

    def with_workload(self, workload: Sequence[float] | FloatArray) -> BeatGraph:
        """The same graph with another workload per beat (in ``keys`` order)."""
        w = np.asarray(workload, dtype=np.float64)
        if w.shape != (self.n,) or not np.all(np.isfinite(w)) or (w < 0).any():
            raise InvalidInput(f"workload must be {self.n} non-negative numbers")
        return replace(self, workload=w)

    def subgraph(self, beats: IntArray) -> BeatGraph:
        """The graph of ``beats`` (sorted indices) alone; a beat's perimeter still counts its
        boundary with the beats left out."""
        index = np.full(self.n, -1, dtype=np.int64)
        index[beats] = np.arange(len(beats))
        ends = index[self.edges]
        inside = (ends >= 0).all(axis=1)
        keys = set(self.keys[beats].tolist())
        return replace(
            self,
            keys=self.keys[beats],
            edges=ends[inside],
            shared=self.shared[inside],
            area=self.area[beats],
            perimeter=self.perimeter[beats],
            workload=self.workload[beats],
            community=self.community[beats],
            links=tuple(pair for pair in self.links if set(pair) <= keys),
            centre=None if self.centre is None else self.centre[beats],
        )

    def islands(self) -> list[list[int]]:
        """Beat keys of each connected group cut off from the largest one by rook adjacency
        alone (before the ``links`` joined them); empty when all beats touch."""
        rook = self.shared > 0
        return [[int(k) for k in self.keys[c]] for c in _components(self.n, self.edges[rook])[1:]]


def _neighbours(n: int, edges: IntArray) -> tuple[IntArray, ...]:
    lists: list[list[int]] = [[] for _ in range(n)]
    for i, j in edges.tolist():
        lists[i].append(j)
        lists[j].append(i)
    return tuple(np.array(sorted(x), dtype=np.int64) for x in lists)


def _components(n: int, edges: IntArray) -> list[IntArray]:
    """Connected components, largest first (ties: the one holding the lowest index)."""
    m = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    count, labels = connected_components(m, directed=False)
    comps = [np.flatnonzero(labels == c) for c in range(count)]
    return sorted(comps, key=lambda c: (-len(c), int(c[0])))


def rook_edges(
    polygons: Sequence[BaseGeometry], tolerance: float, min_shared: float
) -> tuple[IntArray, FloatArray]:
    """Pairs of polygons sharing at least ``min_shared`` of boundary, gaps and overlaps up to
    ``tolerance`` wide counted as shared (slivers between digitised neighbours).

    The shared length of a pair is their common boundary, or where the two were digitised
    apart, the mean of each one's boundary lying within ``tolerance`` of the other (less the
    ``2 * tolerance`` that reaches round the ends). Corners that merely touch share about
    nothing and are not adjacent (rook, not queen).
    """
    geoms = np.asarray(polygons, dtype=object)
    grown = shapely.buffer(geoms, tolerance)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(grown, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    bounds = shapely.boundary(geoms)
    exact = np.asarray(shapely.length(shapely.intersection(bounds[left], bounds[right])))
    a_in_b = np.asarray(shapely.length(shapely.intersection(bounds[left], grown[right])))
    b_in_a = np.asarray(shapely.length(shapely.intersection(bounds[right], grown[left])))
    # within tolerance of the other, a boundary also runs ``tolerance`` along the edges that
    # meet the shared one at each end: take that off again
    length = np.maximum(exact, (a_in_b + b_in_a) / 2 - 2 * tolerance)
    ok = length >= min_shared
    edges = np.stack([left[ok], right[ok]], axis=1).astype(np.int64)
    return edges.reshape(-1, 2), np.asarray(length[ok], dtype=np.float64)


def from_polygons(
    keys: Sequence[int],
    polygons: Sequence[BaseGeometry],
    *,
    workload: Sequence[float] | None = None,
    areas: tuple[Sequence[int], Sequence[BaseGeometry]] | None = None,
    tolerance: float = 5.0,
    min_shared: float = 30.0,
) -> BeatGraph:
    """The beat graph of projected polygons (units: metres, or any unit if consistent).

    Parameters
    ----------
    keys, polygons
        Beat numbers and their polygons (several parts of one beat must be unioned first).
    workload
        Workload per beat; zeros when omitted.
    areas
        Community-area numbers and polygons, for counting split areas.
    tolerance, min_shared
        Sliver tolerance and the least shared boundary for rook adjacency
        (see :func:`rook_edges`).

    Beats that touch no other beat are joined to the nearest beat of the largest group by a
    zero-length edge (``links``), so every plan can be contiguous; ``islands`` lists them.
    """
    order = np.argsort(np.asarray(keys, dtype=np.int64), kind="stable")
    ks = np.asarray(keys, dtype=np.int64)[order]
    if len(np.unique(ks)) != len(ks):
        raise InvalidInput("beat numbers repeat; union the parts of a beat first")
    if len(ks) == 0:
        raise InvalidInput("no beats")
    geoms = np.asarray(polygons, dtype=object)[order]
    edges, shared = rook_edges(list(geoms), tolerance, min_shared)
    links: list[tuple[int, int]] = []
    comps = _components(len(ks), edges)
    if len(comps) > 1:
        main = comps[0]
        extra: list[tuple[int, int]] = []
        for comp in comps[1:]:
            # the closest pair between this group and the main one
            dist = shapely.distance(geoms[comp][:, None], geoms[main][None, :])
            a, b = np.unravel_index(int(np.argmin(dist)), dist.shape)
            i, j = sorted((int(comp[a]), int(main[b])))
            extra.append((i, j))
            links.append((int(ks[i]), int(ks[j])))
        edges = np.concatenate([edges, np.array(extra, dtype=np.int64)])
        shared = np.concatenate([shared, np.zeros(len(extra))])
    w = np.zeros(len(ks)) if workload is None else np.asarray(workload, np.float64)[order]
    if areas is None:
        area_keys = np.zeros(0, dtype=np.int64)
        community = np.zeros((len(ks), 0))
        sizes = np.zeros(0)
    else:
        area_keys, community, sizes = overlap_shares(list(geoms), areas[0], areas[1])
    graph = BeatGraph(
        keys=ks,
        edges=edges,
        shared=shared,
        area=np.asarray(shapely.area(geoms), dtype=np.float64),
        perimeter=np.asarray(shapely.length(geoms), dtype=np.float64),
        workload=np.zeros(len(ks)),
        area_keys=area_keys,
        community=community,
        links=tuple(links),
        centre=np.asarray(shapely.get_coordinates(shapely.centroid(geoms)), dtype=np.float64),
        community_size=sizes,
    )
    return graph.with_workload(w)


def overlap_shares(
    beats: Sequence[BaseGeometry], keys: Sequence[int], polygons: Sequence[BaseGeometry]
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Area numbers (sorted), the (beats x areas) share of each area's area in each beat, and
    each area's area."""
    order = np.argsort(np.asarray(keys, dtype=np.int64), kind="stable")
    ak = np.asarray(keys, dtype=np.int64)[order]
    ageoms = np.asarray(polygons, dtype=object)[order]
    shares = np.zeros((len(beats), len(ak)))
    total = np.asarray(shapely.area(ageoms), dtype=np.float64)
    tree = shapely.STRtree(np.asarray(beats, dtype=object))
    a_idx, b_idx = tree.query(ageoms, predicate="intersects")
    if len(a_idx):
        inter = shapely.area(shapely.intersection(np.asarray(beats, object)[b_idx], ageoms[a_idx]))
        np.add.at(shares, (b_idx, a_idx), np.asarray(inter) / total[a_idx])
    return ak, shares, total
