"""Charts as inline SVG strings, rendered at build time: no scripts, no other hosts.

Pure functions of their data; the same data gives the same bytes. Every chart carries a
<title> and <desc> for screen readers, and its numbers are also in a table on the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 260
PAD_L, PAD_R, PAD_T, PAD_B = 48, 16, 16, 36
INK, MUTED, ACCENT, BAND = "#1f2933", "#616e7c", "#0b5cad", "#b3d1f0"


@dataclass(frozen=True)
class Point:
    """One month of a series: a value and, optionally, its 95% interval."""

    label: str  # "YYYY-MM"
    value: float | None
    low: float | None = None
    high: float | None = None


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _nice_max(v: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``v``."""
    if v <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(v))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= v)


def _frame(title: str, desc: str, body: list[str], width: int = WIDTH, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        'role="img" class="chart">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>" + "".join(body) + "</svg>"
    )


def _grid(y: Callable[[float], float], scale_max: float, percent: bool) -> list[str]:
    """Five horizontal gridlines with their axis labels."""
    out = []
    for k in range(5):
        v = scale_max * k / 4
        label = f"{v * 100:.0f}%" if percent else f"{v:,.0f}"
        out.append(
            f'<line x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{_fmt(y(v))}" y2="{_fmt(y(v))}" '
            f'stroke="#e4e7eb"/><text x="{PAD_L - 6}" y="{_fmt(y(v) + 4)}" font-size="11" '
            f'text-anchor="end" fill="{MUTED}">{label}</text>'
        )
    return out


def _x(i: int, n: int) -> float:
    span = WIDTH - PAD_L - PAD_R
    return PAD_L + (span * i / (n - 1) if n > 1 else span / 2)


def _polylines(values: Sequence[float | None], y: Callable[[float], float], tail: str) -> list[str]:
    """One polyline per run of known values: an unknown month is a gap, never joined over.
    ``tail`` ends the element (its stroke attributes and closing)."""
    n = len(values)
    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append(f"{_fmt(_x(i, n))},{_fmt(y(v))}")
    return [f'<polyline points="{" ".join(r)}" fill="none" {tail}' for r in runs if r]


def line_with_band(
    points: Sequence[Point], *, title: str, unit: str = "", percent: bool = False
) -> str:
    """A monthly line with its 95% interval drawn as a band (gaps where a value is unknown)."""
    known = [p for p in points if p.value is not None]
    scale_max = (
        1.0
        if percent
        else _nice_max(max((p.high or p.value or 0) for p in known or [Point("", 0)]))
    )

    def y(v: float) -> float:
        return PAD_T + (HEIGHT - PAD_T - PAD_B) * (1 - v / scale_max)

    n = len(points)
    body: list[str] = []
    body.extend(_grid(y, scale_max, percent))
    band = [(i, p) for i, p in enumerate(points) if p.low is not None and p.high is not None]
    if band:
        upper = " ".join(f"{_fmt(_x(i, n))},{_fmt(y(p.high or 0))}" for i, p in band)
        lower = " ".join(f"{_fmt(_x(i, n))},{_fmt(y(p.low or 0))}" for i, p in reversed(band))
        body.append(
            f'<polygon points="{upper} {lower}" fill="{BAND}" opacity="0.7">'
            "<title>95% interval</title></polygon>"
        )
    body.extend(_polylines([p.value for p in points], y, f'stroke="{ACCENT}" stroke-width="2"/>'))
    for i, p in enumerate(points):
        if p.value is None:
            continue
        shown = f"{p.value * 100:.1f}%" if percent else f"{p.value:,.0f}"
        interval = (
            f" (95% interval {p.low * 100:.1f}%–{p.high * 100:.1f}%)"
            if percent and p.low is not None and p.high is not None
            else ""
        )
        body.append(
            f'<circle cx="{_fmt(_x(i, n))}" cy="{_fmt(y(p.value))}" r="3" fill="{ACCENT}">'
            f"<title>{escape(p.label)}: {shown}{escape(interval)}</title></circle>"
        )
    step = max(1, n // 8)
    for i, p in enumerate(points):
        if i % step == 0 or i == n - 1:
            body.append(
                f'<text x="{_fmt(_x(i, n))}" y="{HEIGHT - PAD_B + 16}" font-size="11" '
                f'text-anchor="middle" fill="{MUTED}">{escape(p.label)}</text>'
            )
    first, last = (points[0].label, points[-1].label) if points else ("", "")
    desc = f"{title} by month, {first} to {last}{', ' + unit if unit else ''}."
    if band:
        desc += " The shaded band is the 95% interval."
    return _frame(title, desc, body)


def ranked_bars(
    items: Sequence[tuple[str, float]], *, title: str, percent: bool = False, limit: int = 20
) -> str:
    """Horizontal bars, largest first (at most ``limit``)."""
    rows = sorted(items, key=lambda kv: (-kv[1], kv[0]))[:limit]
    bar_h, gap, label_w = 18, 4, 190
    height = PAD_T + len(rows) * (bar_h + gap) + 8
    top = max((v for _, v in rows), default=0) or 1
    body: list[str] = []
    for k, (name, v) in enumerate(rows):
        yy = PAD_T + k * (bar_h + gap)
        w = (WIDTH - label_w - 70) * v / top
        shown = f"{v * 100:.1f}%" if percent else f"{v:,.0f}"
        body.append(
            f'<text x="{label_w - 6}" y="{yy + 13}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{yy}" width="{_fmt(w)}" height="{bar_h}" fill="{ACCENT}">'
            f"<title>{escape(name)}: {shown}</title></rect>"
            f'<text x="{_fmt(label_w + w + 4)}" y="{yy + 13}" font-size="11" fill="{MUTED}">'
            f"{shown}</text>"
        )
    desc = f"{title}: {len(rows)} areas, largest first."
    return _frame(title, desc, body, WIDTH, height)


def year_over_year(
    months: Sequence[str],
    this_year: Sequence[float | None],
    last_year: Sequence[float | None],
    *,
    title: str,
) -> str:
    """Two lines over the same months: this year (solid) and a year earlier (dashed)."""
    known = [v for v in (*this_year, *last_year) if v is not None]
    scale_max = _nice_max(max(known, default=0.0))

    def y(v: float) -> float:
        return PAD_T + (HEIGHT - PAD_T - PAD_B) * (1 - v / scale_max)

    n = len(months)
    body: list[str] = []
    body.extend(_grid(y, scale_max, False))
    for values, colour, dash, name in (
        (last_year, MUTED, ' stroke-dasharray="5 4"', "a year earlier"),
        (this_year, ACCENT, "", "this year"),
    ):
        body.extend(
            _polylines(
                values,
                y,
                f'stroke="{colour}" stroke-width="2"{dash}><title>{name}</title></polyline>',
            )
        )
        for i, value in enumerate(values):
            if value is not None:
                body.append(
                    f'<circle cx="{_fmt(_x(i, n))}" cy="{_fmt(y(value))}" r="2.5" '
                    f'fill="{colour}"><title>{escape(months[i])} ({name}): {value:,.0f}'
                    "</title></circle>"
                )
    for i, m in enumerate(months):
        if i % max(1, n // 6) == 0 or i == n - 1:
            body.append(
                f'<text x="{_fmt(_x(i, n))}" y="{HEIGHT - PAD_B + 16}" font-size="11" '
                f'text-anchor="middle" fill="{MUTED}">{escape(m)}</text>'
            )
    body.append(
        f'<text x="{WIDTH - PAD_R}" y="12" font-size="11" text-anchor="end" '
        f'fill="{INK}">— this year   - - a year earlier</text>'
    )
    desc = f"{title}: each month of the last year next to the same month a year before."
    return _frame(title, desc, body)
