"""Vectorised point → area assignment (shapely 2 prepared polygons)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from safer77.geo.projection import ILLINOIS_EAST, WGS84, transformer


def assign_points(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    keys: Sequence[int],
    polygons: Sequence[BaseGeometry],
) -> NDArray[np.int64]:
    """Key of the polygon holding each point, or -1 where none does (or the point is NaN).

    Polygons are tested in order, each against the points still unassigned inside its bounding
    box, so a point on a shared edge takes the first polygon that contains it.
    """
    out = np.full(lon.shape, -1, dtype=np.int64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    for key, poly in zip(keys, polygons, strict=True):
        shapely.prepare(poly)
        minx, miny, maxx, maxy = poly.bounds
        cand = np.flatnonzero(
            ok & (out == -1) & (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
        )
        if cand.size:
            inside = shapely.contains_xy(poly, lon[cand], lat[cand])
            out[cand[inside]] = key
    return out


def state_plane_to_lonlat(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Illinois East State Plane (US feet; the data's X/Y Coordinate) → WGS84 lon/lat."""
    tr = transformer(ILLINOIS_EAST, WGS84)
    lon, lat = tr.transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
