"""A plan: every beat of a :class:`BeatGraph` assigned to one of ``k`` districts.

A :class:`Plan` is immutable and keeps per-district sums (workload, area, perimeter, the share
of each community area) so that proposals which move a few beats cost little: only the
districts they touch are recounted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safer77.errors import InvalidInput
from safer77.plan.graph import BeatGraph, FloatArray, IntArray

NDBool = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Plan:
    """``assignment[b]`` is the district (0..k-1) of beat ``b``; ``names`` the district
    numbers shown to people; ``reference`` the district (same labels) each beat had in the plan
    moves are counted from, or None."""

    graph: BeatGraph
    assignment: IntArray
    names: tuple[int, ...]
    workload: FloatArray  # (k,)
    area: FloatArray  # (k,)
    perimeter: FloatArray  # (k,)
    shares: FloatArray  # (k, n areas)
    connected: NDBool  # (k,)
    reference: IntArray | None = None

    @property
    def k(self) -> int:
        return len(self.names)

    @classmethod
    def from_labels(
        cls,
        graph: BeatGraph,
        labels: Sequence[int] | IntArray,
        *,
        reference: Sequence[int] | IntArray | None = None,
    ) -> Plan:
        """A plan from one district number per beat (``graph.keys`` order). ``reference``
        (district numbers per beat) is the plan beats moved are counted from."""
        lab = np.asarray(labels, dtype=np.int64)
        if lab.shape != (graph.n,):
            raise InvalidInput(f"a plan needs one district per beat ({graph.n}), got {lab.size}")
        names, assignment = np.unique(lab, return_inverse=True)
        ref = None
        if reference is not None:
            r = np.asarray(reference, dtype=np.int64)
            index = {int(d): i for i, d in enumerate(names)}
            ref = np.array([index.get(int(d), -1) for d in r], dtype=np.int64)
        return cls.build(graph, assignment.astype(np.int64), tuple(int(d) for d in names), ref)

    @classmethod
    def build(
        cls,
        graph: BeatGraph,
        assignment: IntArray,
        names: tuple[int, ...],
        reference: IntArray | None = None,
    ) -> Plan:
        """A plan from labels 0..k-1, every district's sums counted."""
        k = len(names)
        plan = cls(
            graph=graph,
            assignment=assignment,
            names=names,
            workload=np.zeros(k),
            area=np.zeros(k),
            perimeter=np.zeros(k),
            shares=np.zeros((k, graph.community.shape[1])),
            connected=np.ones(k, dtype=bool),
            reference=reference,
        )
        plan._recount(range(k))
        return plan

    def members(self, district: int) -> IntArray:
        """Beat indices in ``district`` (a label 0..k-1)."""
        return np.flatnonzero(self.assignment == district)

    def reassign(self, beats: IntArray, districts: IntArray) -> Plan:
        """A new plan with ``beats`` moved to ``districts``; only touched districts recounted."""
        assignment = self.assignment.copy()
        touched = set(assignment[beats].tolist()) | set(np.asarray(districts).tolist())
        assignment[beats] = districts
        new = Plan(
            graph=self.graph,
            assignment=assignment,
            names=self.names,
            workload=self.workload.copy(),
            area=self.area.copy(),
            perimeter=self.perimeter.copy(),
            shares=self.shares.copy(),
            connected=self.connected.copy(),
            reference=self.reference,
        )
        new._recount(sorted(touched))
        return new

    def move(self, beat: int, to: int) -> Plan:
        """A new plan with one beat moved to district ``to``; sums updated, not recounted."""
        src = int(self.assignment[beat])
        if src == to:
            return self
        g = self.graph
        assignment = self.assignment.copy()
        assignment[beat] = to
        s_src = s_to = 0.0
        touches_to = False
        for j, s in g.adjacency[beat]:
            d = assignment[j]
            if d == src:
                s_src += s
            elif d == to:
                s_to += s
                touches_to = True
        workload, area, perimeter = self.workload.copy(), self.area.copy(), self.perimeter.copy()
        shares, connected = self.shares.copy(), self.connected.copy()
        for d, sign, s in ((src, -1.0, s_src), (to, 1.0, s_to)):
            workload[d] += sign * g.workload[beat]
            area[d] += sign * g.area[beat]
            perimeter[d] += sign * (g.perimeter[beat] - 2 * s)
            shares[d] += sign * g.community[beat]
        connected[src] = _reaches_all(g, assignment, src)
        connected[to] = (connected[to] and touches_to) or _reaches_all(g, assignment, to)
        return Plan(
            graph=g,
            assignment=assignment,
            names=self.names,
            workload=workload,
            area=area,
            perimeter=perimeter,
            shares=shares,
            connected=connected,
            reference=self.reference,
        )

    def _recount(self, districts: Sequence[int] | range) -> None:
        g = self.graph
        a = self.assignment
        ends = a[g.edges] if len(g.edges) else np.zeros((0, 2), np.int64)
        for d in districts:
            mask = a == d
            inner = (ends[:, 0] == d) & (ends[:, 1] == d)
            self.workload[d] = g.workload[mask].sum()
            self.area[d] = g.area[mask].sum()
            self.perimeter[d] = g.perimeter[mask].sum() - 2 * g.shared[inner].sum()
            self.shares[d] = g.community[mask].sum(axis=0)
            self.connected[d] = _reaches_all(g, a, d)

    def labels(self) -> IntArray:
        """District number of each beat (``graph.keys`` order)."""
        return np.asarray(self.names, dtype=np.int64)[self.assignment]


def _reaches_all(graph: BeatGraph, assignment: IntArray, district: int) -> bool:
    """Whether the beats of ``district`` are one piece (empty: not contiguous)."""
    members = np.flatnonzero(assignment == district)
    if len(members) <= 1:
        return len(members) == 1
    adjacency = graph.adjacency
    start = int(members[0])
    seen = {start}
    stack = [start]
    while stack:
        for j, _ in adjacency[stack.pop()]:
            if j not in seen and assignment[j] == district:
                seen.add(j)
                stack.append(j)
    return len(seen) == len(members)
