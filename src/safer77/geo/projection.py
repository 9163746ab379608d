"""Coordinate systems, each defined once.

- :data:`WGS84` (EPSG:4326): longitude/latitude, as the warehouse stores every point and
  boundary.
- :data:`ILLINOIS_EAST` (EPSG:3435): NAD83 / Illinois East in US feet, the CRS of the City's
  shapefiles and of the portal's X/Y Coordinate.
- :data:`ILLINOIS_EAST_METRES` (EPSG:26971): NAD83 / Illinois East in metres, true to scale
  across Chicago (beat areas, perimeters and shared edges).
- :func:`to_metres`: a local equirectangular projection about Chicago's mean latitude, for
  grids and distances where a fraction of a percent does not matter (hotspot cells, series,
  district areas); no pyproj needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from pyproj import Transformer

WGS84: Final = "EPSG:4326"
ILLINOIS_EAST: Final = "EPSG:3435"
ILLINOIS_EAST_METRES: Final = "EPSG:26971"

LAT0 = 41.84  # Chicago: a local equirectangular projection is accurate to well under 1%
M_PER_DEG_LAT = 110_540.0
M_PER_DEG_LON = 111_320.0 * float(np.cos(np.radians(LAT0)))


def to_metres(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[Any, Any]:
    """Longitude/latitude to metres east and north (of 0°, 0°; only differences matter)."""
    return lon * M_PER_DEG_LON, lat * M_PER_DEG_LAT


def transformer(source: str, target: str) -> Transformer:
    """A pyproj transformer from ``source`` to ``target``, x (longitude, easting) first."""
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)
