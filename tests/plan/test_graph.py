"""The beat graph from polygons: rook adjacency, slivers, islands, area shares."""

from __future__ import annotations

import shapely
from grids import cells, grid

from safer77.plan.graph import from_polygons


def test_three_by_three_rook_edges_are_the_twelve_drawn_ones() -> None:
    g = grid(3, 3)
    got = {(int(g.keys[i]), int(g.keys[j])) for i, j in g.edges}
    drawn = {
        (11, 12), (12, 13), (21, 22), (22, 23), (31, 32), (32, 33),  # across
        (11, 21), (21, 31), (12, 22), (22, 32), (13, 23), (23, 33),  # down
    }  # fmt: skip
    assert got == drawn  # corners (11-22 etc.) only touch: not rook neighbours
    assert g.shared.tolist() == [1000.0] * 12
    assert g.islands() == [] and g.links == ()


def test_a_sliver_gap_is_bridged_only_within_the_tolerance() -> None:
    a = shapely.box(0, 0, 1000, 1000)
    b = shapely.box(1002, 0, 2000, 1000)  # 2 m gap, as when two beats were digitised apart
    near = from_polygons([1, 2], [a, b], tolerance=5.0)
    assert len(near.edges) == 1 and not near.links
    assert abs(near.shared[0] - 1000) <= 2 * 5.0  # measured to within 2 tolerances
    far = from_polygons([1, 2], [a, b], tolerance=1.0)
    assert far.islands() == [[2]] and far.links == ((1, 2),)  # joined, and reported


def test_an_island_is_linked_to_the_nearest_beat() -> None:
    keys, polys = cells(2, 2)
    island = shapely.box(5000, 0, 5500, 500)  # nearest: beat 22 (bottom right)
    g = from_polygons([*keys, 99], [*polys, island])
    assert g.islands() == [[99]]
    assert g.links == ((22, 99),)


def test_community_area_shares() -> None:
    g = grid(3, 3, area_columns=True)
    assert g.area_keys.tolist() == [1, 2, 3]
    # beat 12 holds a third of area 2 (the middle column) and nothing of the others
    assert g.community[g.index(12)].round(6).tolist() == [0.0, 0.333333, 0.0]
