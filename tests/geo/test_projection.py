"""The coordinate systems of safer77.geo.projection against distances known independently."""

from __future__ import annotations

import math

import numpy as np
import pytest

from safer77.geo.projection import (
    ILLINOIS_EAST,
    ILLINOIS_EAST_METRES,
    WGS84,
    to_metres,
    transformer,
)

US_SURVEY_FOOT_M = 1200 / 3937  # the State Plane's foot, exactly

# Two points a few kilometres apart in Chicago (the Loop and Hyde Park).
LON = np.array([-87.6298, -87.5960])
LAT = np.array([41.8781, 41.7943])


def _haversine_m(lon: np.ndarray, lat: np.ndarray) -> float:
    """Great-circle distance on a sphere of the mean Earth radius."""
    p1, p2 = np.radians(lat)
    dp, dl = p2 - p1, np.radians(lon[1] - lon[0])
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def test_local_metres_agree_with_the_great_circle_within_one_percent() -> None:
    """As documented: under 1% (0.53% here, since a degree of latitude is taken as
    110,540 m, the equator's length, where Chicago's is about 111,050 m)."""
    x, y = to_metres(LON, LAT)
    flat = math.hypot(x[1] - x[0], y[1] - y[0])
    assert flat == pytest.approx(_haversine_m(LON, LAT), rel=1e-2)


def test_state_plane_feet_and_metres_are_the_same_plane_in_different_units() -> None:
    fx, fy = transformer(WGS84, ILLINOIS_EAST).transform(LON, LAT)
    mx, my = transformer(WGS84, ILLINOIS_EAST_METRES).transform(LON, LAT)
    feet = math.hypot(fx[1] - fx[0], fy[1] - fy[0])
    metres = math.hypot(mx[1] - mx[0], my[1] - my[0])
    assert metres == pytest.approx(feet * US_SURVEY_FOOT_M, rel=1e-9)
    assert metres == pytest.approx(_haversine_m(LON, LAT), rel=5e-3)
    # the City's State Plane is in feet: the Loop is about 1.18 million feet east
    assert 1.1e6 < fx[0] < 1.2e6 and 1.8e6 < fy[0] < 2.0e6


def test_the_transformer_goes_back_to_longitude_latitude() -> None:
    x, y = transformer(WGS84, ILLINOIS_EAST).transform(LON, LAT)
    lon, lat = transformer(ILLINOIS_EAST, WGS84).transform(x, y)
    assert np.allclose(lon, LON, atol=1e-9) and np.allclose(lat, LAT, atol=1e-9)
