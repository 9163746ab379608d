"""Place a hundred block ("026XX S KEDVALE AVE") on the map from blocks the data has
already seen with a point.

Extracts of the portal's crime data often keep the block and drop the coordinates. The
same blocks appear, with points, in other records (other years of incidents, 311
requests). :func:`learn` keeps, for every street and hundred seen with a point, the median
of those points; :func:`locate` answers a block with its own median, or with a point
interpolated between the nearest hundreds seen on the same street (both sides, at most
``max_gap`` hundreds apart: a street may bend or stop between its known blocks, so there is
no guessing past its ends). A block nobody has seen stays unplaced (NaN).

A street is its direction and name as written ("S KEDVALE AVE"). Records that write it
without the suffix ("S KEDVALE", as 311 addresses often do) count for the suffixed street
when the data has one street of that name; when it has several (13TH ST and 13TH PL are
different streets) the bare name is a street of its own, asked when the suffixed street
cannot place a block.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safer77.geo.address import SUFFIXES as ADDRESS_SUFFIXES

FloatArray = NDArray[np.float64]

#: "026XX S KEDVALE AVE"; the first hundred is "0000X" in the portal's newer files, "000XX"
#: in older ones
BLOCK = re.compile(r"^\s*(?:(\d{1,3})XX|0000X)\s+([NSEW])\s+(\S.*?)\s*$")
#: the last word of a street name that is its kind: to_block's abbreviations and a few more
#: the portal writes
SUFFIXES = frozenset(ADDRESS_SUFFIXES.values()) | {"AV", "WAY", "SQ", "ROW", "CIR", "PLZ"}
#: interpolate between known hundreds at most this far apart (8: a mile of Chicago's grid)
MAX_GAP = 8


@dataclass(frozen=True)
class Street:
    hundreds: NDArray[np.int64]  # sorted, distinct
    lon: FloatArray
    lat: FloatArray


@dataclass(frozen=True)
class BlockIndex:
    """Known points per street, by full name and by name without its suffix."""

    streets: dict[str, Street]
    max_gap: int = MAX_GAP


def parse_block(text: str | None) -> tuple[str, str, int] | None:
    """``(street, street without suffix, hundred)`` of a block in the portal's notation, or
    None when the text is not one ("026XX S KEDVALE AVE" → ("S KEDVALE AVE", "S KEDVALE",
    26))."""
    if not text:
        return None
    m = BLOCK.match(text.upper())
    if m is None:
        return None
    words = m.group(3).split()
    street = f"{m.group(2)} {' '.join(words)}"
    base = words[:-1] if len(words) > 1 and words[-1] in SUFFIXES else words
    return street, f"{m.group(2)} {' '.join(base)}", int(m.group(1) or 0)


def learn(
    blocks: Sequence[str | None], lon: FloatArray, lat: FloatArray, *, max_gap: int = MAX_GAP
) -> BlockIndex:
    """The median point of every (street, hundred) among rows with a block and a point."""
    points: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
    suffixed: dict[str, set[str]] = defaultdict(set)  # base name → full names seen
    ok = np.isfinite(lon) & np.isfinite(lat)
    for i in np.flatnonzero(ok).tolist():
        parsed = parse_block(blocks[i])
        if parsed is None:
            continue
        street, base, hundred = parsed
        points[(street, hundred)].append((float(lon[i]), float(lat[i])))
        if street != base:
            suffixed[base].add(street)
    # a bare name stands for its one suffixed street, when there is exactly one
    alias = {base: next(iter(names)) for base, names in suffixed.items() if len(names) == 1}
    merged: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
    for (street, hundred), pts in points.items():
        merged[(alias.get(street, street), hundred)] += pts  # bare points join their street
    by_street: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    for (street, hundred), pts in merged.items():
        arr = np.asarray(pts)
        by_street[street].append(
            (hundred, float(np.median(arr[:, 0])), float(np.median(arr[:, 1])))
        )
    streets = {}
    for street, rows in by_street.items():
        rows.sort()
        h, x, y = zip(*rows, strict=True)
        streets[street] = Street(np.asarray(h, dtype=np.int64), np.asarray(x), np.asarray(y))
    for base, full in alias.items():  # a block written bare finds the suffixed street
        streets.setdefault(base, streets[full])
    return BlockIndex(streets, max_gap)


def _point(street: Street, hundred: int, max_gap: int) -> tuple[float, float] | None:
    k = int(np.searchsorted(street.hundreds, hundred))
    if k < len(street.hundreds) and street.hundreds[k] == hundred:
        return float(street.lon[k]), float(street.lat[k])
    if k == 0 or k == len(street.hundreds):
        return None
    lo, hi = int(street.hundreds[k - 1]), int(street.hundreds[k])
    if hi - lo > max_gap:
        return None
    f = (hundred - lo) / (hi - lo)
    return (
        float(street.lon[k - 1] + f * (street.lon[k] - street.lon[k - 1])),
        float(street.lat[k - 1] + f * (street.lat[k] - street.lat[k - 1])),
    )


def locate(index: BlockIndex, blocks: Sequence[str | None]) -> tuple[FloatArray, FloatArray]:
    """A point per block (NaN where the index cannot place it); each distinct block is
    looked up once."""
    lon = np.full(len(blocks), np.nan)
    lat = np.full(len(blocks), np.nan)
    rows: dict[str, list[int]] = defaultdict(list)
    for i, block in enumerate(blocks):
        if block:
            rows[block].append(i)
    for block, where in rows.items():
        parsed = parse_block(block)
        if parsed is None:
            continue
        street, base, hundred = parsed
        for name in dict.fromkeys((street, base)):
            known = index.streets.get(name)
            point = None if known is None else _point(known, hundred, index.max_gap)
            if point is not None:
                lon[where], lat[where] = point
                break
    return lon, lat
