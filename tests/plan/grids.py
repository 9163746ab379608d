"""Hand-drawn beat grids for the districting tests (unit: metres, 1 km beats).

The 3x3 grid, beats numbered row by row; community areas are its columns::

    11 12 13        A B C
    21 22 23        A B C
    31 32 33        A B C
"""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

from safer77.plan.graph import BeatGraph, from_polygons

SIZE = 1000.0


def cells(rows: int, cols: int) -> tuple[list[int], list[BaseGeometry]]:
    """Beat (row+1)*10+(col+1) is the unit square at that row (counted from the top)."""
    keys, polys = [], []
    for r in range(rows):
        for c in range(cols):
            keys.append((r + 1) * 10 + c + 1)
            polys.append(
                shapely.box(c * SIZE, (rows - 1 - r) * SIZE, (c + 1) * SIZE, (rows - r) * SIZE)
            )
    return keys, polys


def grid(
    rows: int,
    cols: int,
    workload: list[float] | None = None,
    area_columns: bool = False,
) -> BeatGraph:
    """A grid of beats; with ``area_columns`` each column is one community area (1, 2, ...)."""
    keys, polys = cells(rows, cols)
    areas = None
    if area_columns:
        areas = (
            list(range(1, cols + 1)),
            [shapely.box(c * SIZE, 0, (c + 1) * SIZE, rows * SIZE) for c in range(cols)],
        )
    return from_polygons(keys, polys, workload=workload or [1.0] * len(keys), areas=areas)
