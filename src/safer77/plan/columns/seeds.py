"""Districts that seed the pool: grown around every beat, drawn from whole community areas,
and recombined from neighbouring districts of a plan."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator

import numpy as np

from safer77.plan.columns.model import Region
from safer77.plan.columns.pool import Pool
from safer77.plan.graph import FloatArray
from safer77.plan.proposals import bipartitions


def grown(
    pool: Pool, centres: FloatArray, fractions: Iterable[float] = (0.96, 0.99, 1.02, 1.045)
) -> int:
    """Grow districts around every beat, nearest beats first, and add each balanced stage:
    discs (round, and stretched 1.5:1 and 2:1 four ways) and boxes along the axes (1:1 up to
    3:1 either way, since city blocks run north-south and east-west). How many were new."""
    p = pool.problem
    g = p.graph
    lo, hi = p.window
    added = 0
    for c in range(g.n):
        v = centres - centres[c]
        for dist in _shapes(v):
            for fraction in fractions:
                region = Region(g, [c])
                while region.workload < p.mean * fraction:
                    frontier = region.frontier()
                    if not frontier:
                        break
                    region.add(min(frontier, key=lambda b: (dist[b], b)))
                    if lo <= region.workload <= hi:
                        added += pool.add(region.column(p.tolerance))
    return added


def whole_areas(
    pool: Pool,
    *,
    reach: tuple[float, float] = (0.55, 1.6),
    limit: int = 100_000,
    deadline: float | None = None,
) -> int:
    """Districts drawn from whole community areas: every connected group of areas (a beat
    counts in the area covering most of it) whose workload is within ``reach`` times the
    mean, brought into the window a beat at a time, each time by the move that leaves it
    most compact. Such districts split areas only at their edges, where the balance asks for
    it. At most ``limit`` groups, until ``deadline`` (``time.perf_counter()``). How many
    columns were new."""
    p = pool.problem
    g = p.graph
    if p.mean <= 0:  # no workload: every group would do
        return 0
    main = g.main_area()
    units = [np.flatnonzero(main == c) for c in range(p.areas)]
    load = np.array([float(g.workload[u].sum()) for u in units])
    near: list[set[int]] = [set() for _ in range(p.areas)]
    for a, b in main[g.edges].tolist():
        if a != b and a >= 0 and b >= 0:
            near[a].add(b)
            near[b].add(a)
    lo, hi = reach[0] * p.mean, reach[1] * p.mean
    added = 0
    for group in connected_groups(near, load, lo, hi, limit):
        if deadline is not None and time.perf_counter() > deadline:
            break
        region = Region(g, sorted(b for c in group for b in units[c].tolist()))
        if region.connected():
            added += _into_window(pool, region)
    return added


def connected_groups(
    near: list[set[int]], load: FloatArray, lo: float, hi: float, limit: int
) -> Iterator[tuple[int, ...]]:
    """Every connected set of nodes (``near``: neighbours of each) whose ``load`` sums to
    between ``lo`` and ``hi``, each once (Wernicke's ESU enumeration, pruned at ``hi`` since
    loads are not negative), at most ``limit`` of them."""
    count = 0

    def extend(
        group: list[int], ext: list[int], root: int, total: float
    ) -> Iterator[tuple[int, ...]]:
        nonlocal count
        if lo <= total <= hi:
            count += 1
            yield tuple(sorted(group))
        ext = list(ext)
        reach = set(group).union(*(near[x] for x in group))  # holds ext too
        while ext and count < limit:
            v = ext.pop()
            if total + load[v] > hi:
                continue
            fresh = [u for u in sorted(near[v]) if u > root and u not in reach]
            yield from extend([*group, v], ext + fresh, root, total + load[v])

    for root in range(len(near)):
        if count >= limit:
            return
        if load[root] <= hi:
            yield from extend([root], sorted(u for u in near[root] if u > root), root, load[root])


def _into_window(pool: Pool, region: Region, steps: int = 60) -> int:
    """Move ``region`` into the pool's workload window a beat at a time (add the frontier
    beat, or drop the member, that leaves it most compact, without overshooting where it
    can, and never undoing the move before); whether the balanced region was new to the
    pool."""
    p = pool.problem
    g = p.graph
    lo, hi = p.window
    last = -1
    for _ in range(steps):
        if lo <= region.workload <= hi:
            return int(pool.add(region.column(p.tolerance)))
        if region.workload < lo:
            options = sorted(region.frontier() - {last})
            fits = [b for b in options if region.workload + g.workload[b] <= hi]
            if not options:
                return 0
            last = max(fits or options, key=lambda b: (region.pp(add=b), -b))
            region.add(last)
        else:
            ranked = sorted(region.members - {last}, key=lambda b: (-region.pp(remove=b), b))
            fits = [b for b in ranked if region.workload - g.workload[b] >= lo]
            drop = next((b for b in fits + ranked if region.removable(b)), None)
            if drop is None:
                return 0
            region.remove(drop)
            last = drop
    return 0


def _shapes(v: FloatArray) -> Iterator[FloatArray]:
    """Distances of the offsets ``v`` (n, 2) from the centre, one array per shape."""
    for stretch in (1.0, 1.5, 2.0):
        for angle in (0.0,) if stretch == 1 else (0.0, math.pi / 4, math.pi / 2, 3 * math.pi / 4):
            cos, sin = math.cos(angle), math.sin(angle)
            u = v @ np.array([[cos, -sin], [sin, cos]])
            yield np.asarray(np.hypot(u[:, 0] / stretch, u[:, 1] * stretch))
    tie = 1e-3 * np.hypot(v[:, 0], v[:, 1])  # rounds the corners of ties
    for ratio in (1.0, 1.3, 1.7, 2.2, 3.0):
        yield np.maximum(np.abs(v[:, 0]) / ratio, np.abs(v[:, 1])) + tie
        if ratio != 1:
            yield np.maximum(np.abs(v[:, 1]) / ratio, np.abs(v[:, 0])) + tie


def recombine(
    pool: Pool, chosen: Iterable[int], rng: np.random.Generator, *, trees: int = 30
) -> int:
    """Every two neighbouring districts of a plan (column indices) merged and cut again along
    ``trees`` random spanning trees of their beats; both halves added when both are balanced
    (ReCom's move, each cut a column for the next MIP). How many columns were new."""
    p = pool.problem
    g = p.graph
    cols = [pool.columns[j] for j in chosen]
    owner = np.full(g.n, -1, dtype=np.int64)
    for d, col in enumerate(cols):
        owner[list(col.beats)] = d
    ends = owner[g.edges]
    pairs = sorted({(int(min(a, b)), int(max(a, b))) for a, b in ends.tolist() if a != b})
    added = 0
    for a, b in pairs:
        nodes = np.array(sorted(cols[a].beats + cols[b].beats), dtype=np.int64)
        cuts = bipartitions(
            g, nodes, p.mean, p.bound_pct / 100, rng, trees=trees, collect=True, remainder=p.mean
        )
        for part in cuts:
            half = set(part.tolist())
            for side in (half, set(nodes.tolist()) - half):
                added += pool.add(Region(g, sorted(side)).column(p.tolerance))
    return added
