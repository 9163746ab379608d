"""Proposals: plain callables ``(Plan, numpy.random.Generator) -> Plan``.

- :func:`flip` moves one beat on a district boundary to the district across it.
- :func:`recom` merges two adjacent districts and cuts a random spanning tree of the merged
  beats where both halves are balanced (GerryChain's ReCom, DeFord, Duchin & Solomon 2019).
- :func:`tree_partition` draws a first plan with ``k`` districts by cutting spanning trees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from safer77.errors import InvalidInput
from safer77.plan.graph import BeatGraph, FloatArray, IntArray
from safer77.plan.partition import Plan

Proposal = Callable[[Plan, np.random.Generator], Plan]


def cut_edges(plan: Plan) -> IntArray:
    """Indices of the graph's edges whose two beats are in different districts."""
    ends = plan.assignment[plan.graph.edges]
    return np.flatnonzero(ends[:, 0] != ends[:, 1])


def flip(plan: Plan, rng: np.random.Generator) -> Plan:
    """One boundary beat moved to the neighbouring district (may break contiguity or balance:
    constraints decide)."""
    cut = cut_edges(plan)
    if not len(cut):
        return plan
    i, j = plan.graph.edges[cut[rng.integers(len(cut))]]
    if rng.random() < 0.5:
        i, j = j, i
    return plan.move(int(i), int(plan.assignment[j]))


def _spanning_tree(
    n: int, edges: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray] | None:
    """A random spanning tree of ``n`` nodes (Kruskal on random weights): BFS order from node 0
    and each node's parent (-1 for the root); None when the nodes are not connected."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    tree: list[list[int]] = [[] for _ in range(n)]
    joined = 0
    for i, j in edges[rng.permutation(len(edges))].tolist():
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[ri] = rj
            tree[i].append(j)
            tree[j].append(i)
            joined += 1
            if joined == n - 1:
                break
    if joined < n - 1:
        return None
    order = [0]
    pred = [-1] * n
    seen = [False] * n
    seen[0] = True
    for v in order:
        for u in tree[v]:
            if not seen[u]:
                seen[u] = True
                pred[u] = v
                order.append(u)
    return np.array(order, dtype=np.int64), np.array(pred, dtype=np.int64)


def _subtree_sums(order: IntArray, pred: IntArray, weight: FloatArray) -> FloatArray:
    sums = weight.astype(np.float64).copy()
    for v in order[::-1].tolist():
        p = int(pred[v])
        if p >= 0:
            sums[p] += sums[v]
    return sums


def _subtree(
    order: IntArray, pred: IntArray, root: int
) -> np.ndarray[tuple[int], np.dtype[np.bool_]]:
    inside = np.zeros(len(order), dtype=bool)
    inside[root] = True
    for v in order.tolist():
        p = int(pred[v])
        if p >= 0 and inside[p]:
            inside[v] = True
    return inside


def _local_edges(graph: BeatGraph, nodes: IntArray) -> IntArray:
    local = np.full(graph.n, -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    e = local[graph.edges]
    return e[(e[:, 0] >= 0) & (e[:, 1] >= 0)]


def bipartitions(
    graph: BeatGraph,
    nodes: IntArray,
    target: float,
    tolerance: float,
    rng: np.random.Generator,
    *,
    trees: int = 4,
    collect: bool = False,
    remainder: float | None = None,
    min_rest: int = 1,
) -> list[IntArray]:
    """Connected parts of ``nodes`` whose workload is within ``tolerance`` (a fraction) of
    ``target``, leaving the rest connected; with ``remainder`` the rest must also be within
    ``tolerance`` of it and hold at least ``min_rest`` beats.

    Cuts random spanning trees until one has such parts (or, with ``collect``, all ``trees``
    of them) and returns those; when none of the ``trees`` has one, the closest part seen.
    Empty when ``nodes`` are not connected or fewer than two.
    """
    if len(nodes) < 2:
        return []
    edges = _local_edges(graph, nodes)
    w = graph.workload[nodes]
    total = float(w.sum())
    found: list[IntArray] = []
    closest: tuple[float, IntArray] | None = None
    for _ in range(trees):
        tree = _spanning_tree(len(nodes), edges, rng)
        if tree is None:
            return []
        order, pred = tree
        sums = _subtree_sums(order, pred, w)
        sizes = _subtree_sums(order, pred, np.ones(len(nodes)))
        cand = np.arange(len(nodes))[pred >= 0]
        part = sums[cand]
        size = sizes[cand]
        # the complement of a subtree is connected too: take whichever side fits better
        off = np.abs(part - target)
        comp_off = np.abs((total - part) - target)
        if remainder is not None:
            off = np.maximum(off, np.abs((total - part) - remainder))
            comp_off = np.maximum(comp_off, np.abs(part - remainder))
        off[len(nodes) - size < min_rest] = np.inf
        comp_off[size < min_rest] = np.inf
        fit = np.minimum(off, comp_off)
        good = np.flatnonzero(fit <= tolerance * max(target, 1e-12))
        for pick in good.tolist() if len(good) else [int(np.argmin(fit))]:
            side = _subtree(order, pred, int(cand[pick]))
            if comp_off[pick] < off[pick]:
                side = ~side
            if len(good):
                found.append(nodes[side])
            elif closest is None or fit[pick] < closest[0]:
                closest = (float(fit[pick]), nodes[side])
        if found and not collect:
            break
    if found:
        return found
    return [] if closest is None else [closest[1]]


def bipartition(
    graph: BeatGraph,
    nodes: IntArray,
    target: float,
    tolerance: float,
    rng: np.random.Generator,
    **kwargs: Any,
) -> IntArray | None:
    """One of :func:`bipartitions`, drawn at random; None when there is none."""
    parts = bipartitions(graph, nodes, target, tolerance, rng, **kwargs)
    return parts[int(rng.integers(len(parts)))] if parts else None


def recom(
    bound_pct: float = 5.0,
    focus: float = 0.5,
    objective: Callable[[Plan], float] | None = None,
    trees: int = 3,
    tries: int = 8,
) -> Proposal:
    """ReCom: two adjacent districts merged and split again along a random spanning tree, both
    halves within ``bound_pct`` of the mean workload when possible (else the most balanced
    cut). With probability ``focus`` one of the two is the most unbalanced district.

    With an ``objective`` the balanced cuts of ``trees`` trees (at most ``tries`` of them,
    drawn at random) are tried and the best is proposed (an optimising ReCom); without, one
    is drawn at random (GerryChain's chain)."""

    def propose(plan: Plan, rng: np.random.Generator) -> Plan:
        cut = cut_edges(plan)
        if not len(cut):
            return plan
        ends = plan.assignment[plan.graph.edges[cut]]
        mean = plan.workload.sum() / plan.k
        if rng.random() < focus:
            worst = int(np.argmax(np.abs(plan.workload - mean)))
            touching = np.flatnonzero((ends == worst).any(axis=1))
            if len(touching):
                ends = ends[touching]
        a, b = (int(x) for x in ends[rng.integers(len(ends))])
        nodes = np.flatnonzero((plan.assignment == a) | (plan.assignment == b))
        parts = bipartitions(
            plan.graph,
            nodes,
            mean,
            bound_pct / 100,
            rng,
            trees=trees if objective else 4,
            collect=objective is not None,
            remainder=mean,
        )
        if not parts:
            return plan
        if objective is None:
            return _relabel(plan, nodes, parts[int(rng.integers(len(parts)))], a, b)
        if len(parts) > tries:
            parts = [parts[i] for i in rng.choice(len(parts), tries, replace=False)]
        options = [_relabel(plan, nodes, p, a, b) for p in parts]
        return min(options, key=objective)

    return propose


def _relabel(plan: Plan, nodes: IntArray, side: IntArray, a: int, b: int) -> Plan:
    """``side`` to one of districts a, b and the rest of ``nodes`` to the other, whichever
    keeps more beats where they are in the reference plan."""
    first = np.isin(nodes, side)
    ref = plan.reference if plan.reference is not None else plan.assignment
    keep = np.sum(ref[nodes][first] == a) + np.sum(ref[nodes][~first] == b)
    swap = np.sum(ref[nodes][first] == b) + np.sum(ref[nodes][~first] == a)
    la, lb = (b, a) if swap > keep else (a, b)
    return plan.reassign(nodes, np.where(first, la, lb))


def tree_partition(
    graph: BeatGraph,
    k: int,
    rng: np.random.Generator,
    *,
    names: tuple[int, ...] | None = None,
    bound_pct: float = 5.0,
) -> Plan:
    """A contiguous plan of ``k`` districts, each cut from a random spanning tree of the beats
    not yet assigned, as close to the mean workload as the trees allow."""
    if k < 1 or k > graph.n:
        raise InvalidInput(f"cannot make {k} districts from {graph.n} beats")
    labels = np.full(graph.n, k - 1, dtype=np.int64)
    remaining = np.arange(graph.n)
    mean = graph.workload.sum() / k
    for d in range(k - 1):
        left = k - d - 1
        part = bipartition(
            graph,
            remaining,
            mean,
            bound_pct / 100,
            rng,
            trees=20,
            remainder=mean * left,
            min_rest=left,
        )
        if part is None:
            raise InvalidInput("the beats are not connected; cannot draw contiguous districts")
        labels[part] = d
        remaining = remaining[~np.isin(remaining, part)]
    return Plan.build(graph, labels, names or tuple(range(1, k + 1)))
