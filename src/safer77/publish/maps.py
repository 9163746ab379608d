"""Choropleth maps as inline SVG, from boundary polygons (WGS84) and a value per area."""

from __future__ import annotations

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


def _colour(v: float | None, bounds: list[float]) -> str:
    if v is None or not bounds:
        return NO_DATA
    for i, b in enumerate(bounds):
        if v <= b:
            return PALETTE[i]
    return PALETTE[-1]


def choropleth(
    shapes: Sequence[Shape],
    values: Mapping[int, float | None],
    *,
    title: str,
    fmt: str = "{:,.0f}",
    width: int = 420,
) -> str:
    """The areas coloured by quantile class of their value, a legend, a <title> on each area
    (its name and value) and a link to its page where ``href`` is set."""
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

    bounds = classes([v for v in values.values() if v is not None])
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
        label = f"{s.name}: {'no data' if v is None else fmt.format(v)}"
        path = (
            f'<path d="{d}" fill="{_colour(v, bounds)}" stroke="#fff" stroke-width="0.6" '
            f'fill-rule="evenodd" data-key="{s.key}"><title>{escape(label)}</title></path>'
        )
        body.append(
            f'<a href="{escape(s.href)}" aria-label="{escape(label)}">{path}</a>'
            if s.href
            else path
        )
    legend: list[str] = []
    low = min((v for v in values.values() if v is not None), default=None)
    for i, b in enumerate(bounds):
        lo = low if i == 0 else bounds[i - 1]
        text = f"{fmt.format(lo)} – {fmt.format(b)}" if lo is not None else fmt.format(b)
        legend.append(
            f'<rect x="10" y="{height + 6 + i * 18}" width="14" height="14" '
            f'fill="{PALETTE[i]}" stroke="#999"/><text x="30" y="{height + 17 + i * 18}" '
            f'font-size="13">{escape(text)}</text>'
        )
    legend.append(
        f'<rect x="10" y="{height + 6 + len(bounds) * 18}" width="14" height="14" '
        f'fill="{NO_DATA}" stroke="#999"/><text x="30" '
        f'y="{height + 17 + len(bounds) * 18}" font-size="13">no data</text>'
    )
    total_h = height + 12 + (len(bounds) + 1) * 18
    desc = (
        f"Map of {len(shapes)} areas shaded by {title.lower()} in {len(bounds)} quantile "
        "classes; the same figures are in the table below."
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total_h}" '
        f'role="group" aria-label="{escape(title)}" class="map"><title>{escape(title)}</title>'
        f"<desc>{escape(desc)}</desc>" + "".join(body) + "".join(legend) + "</svg>"
    )
