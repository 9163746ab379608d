"""Choropleth maps as inline SVG, from boundary polygons (WGS84) and a value per area."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

import shapely
from shapely.geometry.base import BaseGeometry

#: Sequential blues (ColorBrewer "Blues", 5 classes), readable on white; grey = no data.
PALETTE = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "#d9d9d9"


@dataclass(frozen=True)
class Shape:
    """One area of a map."""

    key: int
    name: str
    geometry: BaseGeometry
    href: str | None = None


def classes(values: Sequence[float], k: int = 5) -> list[float]:
    """Upper bounds of ``k`` quantile classes (the last is the maximum)."""
    vals = sorted(values)
    if not vals:
        return []
    return [vals[min(len(vals) - 1, math.ceil(len(vals) * (i + 1) / k) - 1)] for i in range(k)]


def nice(v: float) -> float:
    """``v`` rounded to two significant digits (a whole number from 10 up)."""
    if v <= 0:
        return 0.0
    digits = 1 - math.floor(math.log10(v))
    out = round(v, digits)
    return float(round(out)) if out >= 10 else out


def breaks(values: Sequence[float], k: int = 5) -> list[float]:
    """Up to ``k - 1`` cut points between classes: the quantiles rounded to two significant
    digits, each above the smallest value and at most the largest, without repeats (few
    distinct values give fewer classes, never an empty or repeated one). A value belongs to
    the class that starts at the largest cut at or below it."""
    vals = sorted(values)
    if not vals:
        return []
    cuts = set()
    for i in range(1, k):
        q = nice(vals[min(len(vals) - 1, math.ceil(len(vals) * i / k) - 1)])
        if vals[0] < q <= vals[-1]:
            cuts.add(q)
    return sorted(cuts)


def _palette(n: int) -> list[str]:
    """``n`` colours of :data:`PALETTE`, spread from the lightest to the darkest."""
    if n <= 1:
        return [PALETTE[2]]
    return [PALETTE[round(i * (len(PALETTE) - 1) / (n - 1))] for i in range(n)]


def _class(v: float, cuts: list[float]) -> int:
    return bisect.bisect_right(cuts, v)


def _colour(v: float | None, cuts: list[float]) -> str:
    if v is None:
        return NO_DATA
    return _palette(len(cuts) + 1)[_class(v, cuts)]


def legend_labels(cuts: list[float], fmt: str, *, lowest: float, highest: float) -> list[str]:
    """One label per class: "under 50", "50 to under 100", "100 or more" (a single class
    reads "lowest to highest")."""
    f = fmt.format
    if not cuts:
        return [f(lowest) if lowest == highest else f"{f(lowest)} to {f(highest)}"]
    out = [f"under {f(cuts[0])}"]
    out += [f"{f(a)} to under {f(b)}" for a, b in itertools.pairwise(cuts)]
    return [*out, f"{f(cuts[-1])} or more"]


def choropleth(
    shapes: Sequence[Shape],
    values: Mapping[int, float | None],
    *,
    title: str,
    fmt: str = "{:,.0f}",
    width: int = 420,
    unit: str = "",
    legend: str = "",
) -> str:
    """The areas coloured by class of their value (:func:`breaks`), a legend (headed
    ``legend``), a <title> on each area (its name, value and ``unit``), ``data-value`` with the
    value, and a link to its page where ``href`` is set."""
    geoms = [s.geometry for s in shapes]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms) if geoms else (0, 0, 1, 1)
    kx = math.cos(math.radians((miny + maxy) / 2))  # equirectangular, true to scale mid-city
    scale = (width - 20) / ((maxx - minx) * kx or 1)
    height = int((maxy - miny) * scale) + 20

    def ring(coords: Sequence[tuple[float, ...]]) -> str:
        pts = [
            f"{(x - minx) * kx * scale + 10:.1f},{(maxy - y) * scale + 10:.1f}"
            for x, y, *_ in coords
        ]
        return "M" + "L".join(pts) + "Z"

    known = [v for v in values.values() if v is not None]
    cuts = breaks(known)
    tail = f" {unit}" if unit else ""
    body: list[str] = []
    for s in sorted(shapes, key=lambda s: s.key):
        g = shapely.simplify(s.geometry, 0.0004, preserve_topology=True)
        polys = list(getattr(g, "geoms", [g]))
        d = "".join(
            ring(p.exterior.coords) + "".join(ring(i.coords) for i in p.interiors)
            for p in polys
            if p.geom_type == "Polygon"
        )
        v = values.get(s.key)
        label = f"{s.name}: {'no data' if v is None else fmt.format(v) + tail}"
        value = "" if v is None else f' data-value="{v:.6g}"'
        path = (
            f'<path d="{d}" fill="{_colour(v, cuts)}" stroke="#fff" stroke-width="0.6" '
            f'fill-rule="evenodd" data-key="{s.key}"{value}><title>{escape(label)}</title></path>'
        )
        body.append(
            f'<a href="{escape(s.href)}" aria-label="{escape(label)}">{path}</a>'
            if s.href
            else path
        )
    rows: list[tuple[str, str]] = []
    if known:
        labels = legend_labels(cuts, fmt, lowest=min(known), highest=max(known))
        rows = list(zip(_palette(len(labels)), labels, strict=True))
    if len(known) < len(shapes):
        rows.append((NO_DATA, "no data"))
    top = height + (24 if legend else 6)
    items = (
        [f'<text x="10" y="{height + 16}" font-size="13" font-weight="600">{escape(legend)}</text>']
        if legend
        else []
    )
    for i, (colour, text) in enumerate(rows):
        items.append(
            f'<rect x="10" y="{top + i * 20}" width="16" height="16" fill="{colour}" '
            f'stroke="#666"/><text x="32" y="{top + 13 + i * 20}" font-size="13">'
            f"{escape(text)}</text>"
        )
    total_h = top + len(rows) * 20 + 6
    desc = (
        f"Map of {len(shapes)} areas shaded by {title.lower()} in {len(rows)} classes; the "
        "same figures are in the table on this page."
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total_h}" '
        f'role="group" aria-label="{escape(title)}" class="map"><title>{escape(title)}</title>'
        f"<desc>{escape(desc)}</desc>" + "".join(body) + "".join(items) + "</svg>"
    )
