"""Hundred blocks placed from the blocks seen with a point (safer77.geo.blocks)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from safer77.geo.blocks import MAX_GAP, BlockIndex, learn, locate, parse_block


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("026XX S KEDVALE AVE", ("S KEDVALE AVE", "S KEDVALE", 26)),
        ("048XX S WOOD", ("S WOOD", "S WOOD", 48)),
        ("  001XX  w  13th  pl ", ("W 13TH PL", "W 13TH", 1)),
        ("100XX S AVENUE L", ("S AVENUE L", "S AVENUE L", 100)),
        ("0000X N STATE ST", ("N STATE ST", "N STATE", 0)),  # the first hundred, newer files
        ("000XX N STATE ST", ("N STATE ST", "N STATE", 0)),  # and older ones
        ("6312 S HALSTED ST", None),  # an address, not a block
        ("XX S HALSTED ST", None),
        ("026XX KEDVALE AVE", None),  # no direction
        ("", None),
        (None, None),
    ],
)
def test_parse_block(text: str | None, parsed: tuple[str, str, int] | None) -> None:
    assert parse_block(text) == parsed


def _index(rows: list[tuple[str, float, float]]) -> BlockIndex:
    blocks = [b for b, _, _ in rows]
    return learn(blocks, np.array([x for _, x, _ in rows]), np.array([y for _, _, y in rows]))


def test_a_block_seen_is_the_median_of_its_points() -> None:
    index = _index(
        [
            ("012XX W MADISON ST", -87.659, 41.881),
            ("012XX W MADISON ST", -87.657, 41.882),
            ("012XX W MADISON ST", -87.650, 41.890),  # one stray point does not move it
            ("012XX N MADISON ST", -87.0, 42.0),  # north is another place
        ]
    )
    lon, lat = locate(index, ["012XX W MADISON ST", "012XX W MADISON ST", "013XX W MADISON ST"])
    assert lon[:2].tolist() == [-87.657, -87.657] and lat[:2].tolist() == [41.882, 41.882]
    assert math.isnan(lon[2])  # past the last block seen: no guess


def test_between_blocks_seen_and_not_across_a_long_gap() -> None:
    index = _index(
        [
            ("010XX S STATE ST", -87.627, 41.870),
            ("014XX S STATE ST", -87.627, 41.862),
            ("030XX S STATE ST", -87.626, 41.840),  # 16 hundreds on: beyond MAX_GAP
        ]
    )
    lon, lat = locate(index, ["012XX S STATE ST", "020XX S STATE ST", "012XX S DEARBORN ST"])
    assert lon[0] == pytest.approx(-87.627) and lat[0] == pytest.approx(41.866)
    assert np.isnan(lon[1:]).all() and np.isnan(lat[1:]).all()


def test_streets_written_without_their_suffix() -> None:
    index = _index(
        [
            ("048XX S WOOD", -87.670, 41.806),  # a 311 address: no suffix
            ("050XX S WOOD ST", -87.670, 41.802),
            ("001XX W 13TH ST", -87.630, 41.865),
            ("001XX W 13TH PL", -87.630, 41.864),
            ("002XX W 13TH", -87.640, 41.8645),  # which 13th? its own street
        ]
    )
    blocks = ["048XX S WOOD ST", "049XX S WOOD", "001XX W 13TH PL", "002XX W 13TH ST"]
    lon, lat = locate(index, blocks)
    assert lat.tolist()[:3] == pytest.approx([41.806, 41.804, 41.864])
    # 13TH ST was never seen at 2XX: the bare 13TH answers for it, not 13TH PL
    assert (lon[3], lat[3]) == (-87.640, 41.8645)


@given(
    hundreds=st.lists(st.integers(0, 140), min_size=1, max_size=12, unique=True),
    slope=st.tuples(st.floats(-1e-3, 1e-3), st.floats(-1e-3, 1e-3)),
    query=st.integers(0, 140),
)
def test_a_straight_street_is_placed_exactly_or_not_at_all(
    hundreds: list[int], slope: tuple[float, float], query: int
) -> None:
    """On a street whose blocks lie on a line, a block is placed on that line when known
    blocks at most MAX_GAP apart surround it (or it is one), and nowhere otherwise."""

    def on_line(h: float) -> tuple[float, float]:
        return -87.6 + slope[0] * h, 41.8 + slope[1] * h

    rows = [(f"{h:03d}XX S TEST AVE", *on_line(h)) for h in hundreds]
    lon, lat = locate(_index(rows), [f"{query:03d}XX S TEST AVE"])
    known = sorted(hundreds)
    below = [h for h in known if h <= query]
    above = [h for h in known if h >= query]
    surrounded = bool(below and above) and min(above) - max(below) <= MAX_GAP
    if surrounded:
        assert (lon[0], lat[0]) == pytest.approx(on_line(query), abs=1e-9)
    else:
        assert math.isnan(lon[0]) and math.isnan(lat[0])
