"""Charts as inline SVG strings, rendered at build time: no scripts, no other hosts.

Pure functions of their data; the same data gives the same bytes. Every chart carries a
<title> and <desc> for screen readers, and its numbers are also in a table on the page.
Charts are drawn for a width in user units (:data:`WIDTH` for screens, :data:`NARROW` for
phones): :func:`pair` puts both on the page and the style sheet shows the one that fits, so
chart text keeps its size (12 px on a 390-pixel phone). Axes start at zero and end at a round
number just above the data; the last month's label is drawn inside the frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 260
NARROW = 360  # a phone's content width (390 px less the page's padding), in user units
PAD_L, PAD_R, PAD_T, PAD_B = 56, 28, 24, 36
FONT = 12
INK, MUTED, ACCENT, BAND, CITY = "#1f2933", "#616e7c", "#0b5cad", "#b3d1f0", "#b44d12"


@dataclass(frozen=True)
class Point:
    """One month of a series: a value and, optionally, its 95% interval."""

    label: str  # "YYYY-MM"
    value: float | None
    low: float | None = None
    high: float | None = None
    low_n: bool = False  # few cases: drawn hollow, and its interval does not set the scale


def pair(render: Callable[[int], str]) -> str:
    """A chart drawn at :data:`WIDTH` and at :data:`NARROW`; the style sheet shows the one
    that fits (the other is ``display: none``, so a screen reader meets one chart)."""
    return (
        f"<div class='chart-wide'>{render(WIDTH)}</div>"
        f"<div class='chart-narrow'>{render(NARROW)}</div>"
    )


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def nice_step(v: float, *, whole: bool) -> float:
    """The smallest step of 1, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten that is at least
    ``v`` (``whole``: a whole number, at least 1)."""
    if v <= 0:
        return 1.0
    if whole and v <= 5:
        return float(math.ceil(v - 1e-12))
    power = 10.0 ** math.floor(math.log10(v))
    for q in (power, power * 10):
        for m in (1, 2, 2.5, 3, 4, 5, 6, 8):
            step = m * q
            if step + 1e-12 >= v and (not whole or (step >= 1 and float(step).is_integer())):
                return step
    return math.ceil(v)


def _nice_max(v: float) -> float:
    """The top of a count axis of four whole steps that holds ``v``."""
    return 4 * nice_step(v / 4, whole=True)


def _percent_max(v: float) -> float:
    """The top of a share axis of four round steps that holds ``v`` (at most 100%)."""
    return min(1.0, 4 * nice_step(max(v, 0.01) * 100 / 4, whole=False) / 100) if v > 0 else 1.0


def _frame(title: str, desc: str, body: list[str], width: int = WIDTH, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="chart" font-size="{FONT}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>" + "".join(body) + "</svg>"
    )


def _axis_label(v: float, percent: bool, step: float) -> str:
    if not percent:
        return f"{v:,.0f}"
    digits = next(d for d in range(4) if abs(round(step * 100, d) - step * 100) < 1e-9 or d == 3)
    return f"{v * 100:.{digits}f}%"


def _grid(y: Callable[[float], float], scale_max: float, percent: bool, width: int) -> list[str]:
    """Five horizontal gridlines with their axis labels."""
    out = []
    for k in range(5):
        v = scale_max * k / 4
        label = _axis_label(v, percent, scale_max / 4)
        out.append(
            f'<line x1="{PAD_L}" x2="{width - PAD_R}" y1="{_fmt(y(v))}" y2="{_fmt(y(v))}" '
            f'stroke="#e4e7eb"/><text x="{PAD_L - 6}" y="{_fmt(y(v) + 4)}" '
            f'text-anchor="end" fill="{MUTED}">{label}</text>'
        )
    return out


def _x(i: int, n: int, width: int) -> float:
    span = width - PAD_L - PAD_R
    return PAD_L + (span * i / (n - 1) if n > 1 else span / 2)


def _x_labels(labels: Sequence[str], width: int) -> list[str]:
    """Month labels counted back from the last, as many as fit (about 70 units apart)."""
    n = len(labels)
    room = max(2, (width - PAD_L - PAD_R) // 70)
    step = max(1, math.ceil(n / room))
    return [
        f'<text x="{_fmt(_x(i, n, width))}" y="{HEIGHT - PAD_B + 18}" '
        f'text-anchor="middle" fill="{MUTED}">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if (n - 1 - i) % step == 0
    ]


def _polylines(
    values: Sequence[float | None], y: Callable[[float], float], tail: str, width: int
) -> list[str]:
    """One polyline per run of known values: an unknown month is a gap, never joined over.
    ``tail`` ends the element (its stroke attributes and closing)."""
    n = len(values)
    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append(f"{_fmt(_x(i, n, width))},{_fmt(y(v))}")
    return [f'<polyline points="{" ".join(r)}" fill="none" {tail}' for r in runs if r]


def _shown(v: float, percent: bool) -> str:
    return f"{v * 100:.1f}%" if percent else f"{v:,.0f}"


def line_with_band(
    points: Sequence[Point],
    *,
    title: str,
    unit: str = "",
    percent: bool = False,
    width: int = WIDTH,
    reference: Sequence[float | None] | None = None,
    reference_label: str = "",
    series_label: str = "this area",
    period: str = "month",
) -> str:
    """A line by ``period`` (month or year) with its 95% interval drawn as a band (gaps where
    a value is unknown), and optionally a ``reference`` series (the city's, say) as a dashed
    line; the legend names the line ``series_label``.

    The axis runs from zero to a round number above the values and the intervals of months
    that are not low n; a wider interval is clipped at the frame, and low-n months are drawn
    hollow."""
    known = [p for p in points if p.value is not None]
    tops = [max(p.value or 0, 0 if p.low_n else (p.high or 0)) for p in known]
    tops += [v for v in reference or [] if v is not None]
    top = max(tops, default=0.0)
    scale_max = _percent_max(top) if percent else _nice_max(top)

    def y(v: float) -> float:
        v = min(max(v, 0.0), scale_max)
        return PAD_T + (HEIGHT - PAD_T - PAD_B) * (1 - v / scale_max)

    n = len(points)
    body: list[str] = []
    body.extend(_grid(y, scale_max, percent, width))
    band = [(i, p) for i, p in enumerate(points) if p.low is not None and p.high is not None]
    clipped = any((p.high or 0) > scale_max for _, p in band)
    if band:
        upper = " ".join(f"{_fmt(_x(i, n, width))},{_fmt(y(p.high or 0))}" for i, p in band)
        lower = " ".join(
            f"{_fmt(_x(i, n, width))},{_fmt(y(p.low or 0))}" for i, p in reversed(band)
        )
        body.append(
            f'<polygon points="{upper} {lower}" fill="{BAND}" opacity="0.7">'
            "<title>95% interval</title></polygon>"
        )
    if reference is not None and any(v is not None for v in reference):
        body.extend(
            _polylines(
                reference,
                y,
                f'stroke="{CITY}" stroke-width="2" stroke-dasharray="6 4">'
                f"<title>{escape(reference_label)}</title></polyline>",
                width,
            )
        )
    body.extend(
        _polylines([p.value for p in points], y, f'stroke="{ACCENT}" stroke-width="2"/>', width)
    )
    for i, p in enumerate(points):
        if p.value is None:
            continue
        interval = (
            f" (95% interval {p.low * 100:.1f}%–{p.high * 100:.1f}%)"
            if percent and p.low is not None and p.high is not None
            else ""
        )
        fill = "#fff" if p.low_n else ACCENT
        body.append(
            f'<circle cx="{_fmt(_x(i, n, width))}" cy="{_fmt(y(p.value))}" r="3" fill="{fill}" '
            f'stroke="{ACCENT}"><title>{escape(p.label)}: {_shown(p.value, percent)}'
            f"{escape(interval)}{' (low n)' if p.low_n else ''}</title></circle>"
        )
    body.extend(_x_labels([p.label for p in points], width))
    if reference is not None and reference_label:
        body.append(_legend(width, [(ACCENT, "", series_label), (CITY, "6 4", reference_label)]))
    first, last = (points[0].label, points[-1].label) if points else ("", "")
    desc = f"{title} by {period}, {first} to {last}{', ' + unit if unit else ''}."
    if band:
        desc += " The shaded band is the 95% interval."
    if clipped:
        desc += " Intervals reaching above the axis are cut at its top."
    if any(p.low_n and p.value is not None for p in points):
        desc += " Hollow points are months with few cases (low n)."
    if reference is not None and reference_label:
        desc += f" The dashed line is {reference_label}."
    return _frame(title, desc, body, width)


def _legend(width: int, items: Sequence[tuple[str, str, str]]) -> str:
    """Line samples and their names along the top right: (colour, dash, name). Names are
    measured at about 0.6 em a letter."""
    sizes = [22 + math.ceil(0.6 * FONT * len(name)) for _, _, name in items]
    x = width - PAD_R - sum(sizes) - 14 * (len(items) - 1)
    out = []
    for (colour, dash, name), size in zip(items, sizes, strict=True):
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x}" x2="{x + 18}" y1="10" y2="10" stroke="{colour}" '
            f'stroke-width="2"{dashed}/><text x="{x + 22}" y="14" fill="{INK}">'
            f"{escape(name)}</text>"
        )
        x += size + 14
    return "".join(out)


def ranked_bars(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    percent: bool = False,
    limit: int = 20,
    width: int = WIDTH,
    digits: int = 0,
    what: str = "areas",
) -> str:
    """Horizontal bars, largest first (at most ``limit``); values shown with ``digits``
    decimals (percentages: one); ``what`` the bars are, for the description."""
    rows = sorted(items, key=lambda kv: (-kv[1], kv[0]))[:limit]
    bar_h, gap = 18, 4
    label_w = 190 if width >= WIDTH else 160
    height = PAD_T + len(rows) * (bar_h + gap) + 8
    top = max((v for _, v in rows), default=0) or 1
    body: list[str] = []
    for k, (name, v) in enumerate(rows):
        yy = PAD_T + k * (bar_h + gap)
        w = (width - label_w - 64) * v / top
        shown = _shown(v, percent) if percent or not digits else f"{v:,.{digits}f}"
        body.append(
            f'<text x="{label_w - 6}" y="{yy + 13}" text-anchor="end" '
            f'fill="{INK}">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{yy}" width="{_fmt(w)}" height="{bar_h}" fill="{ACCENT}">'
            f"<title>{escape(name)}: {shown}</title></rect>"
            f'<text x="{_fmt(label_w + w + 4)}" y="{yy + 13}" fill="{MUTED}">{shown}</text>'
        )
    desc = f"{title}: {len(rows)} {what}, largest first."
    return _frame(title, desc, body, width, height)


def year_over_year(
    months: Sequence[str],
    this_year: Sequence[float | None],
    last_year: Sequence[float | None],
    *,
    title: str,
    width: int = WIDTH,
) -> str:
    """Two lines over the same months: this year (solid) and a year earlier (dashed)."""
    known = [v for v in (*this_year, *last_year) if v is not None]
    scale_max = _nice_max(max(known, default=0.0))

    def y(v: float) -> float:
        return PAD_T + (HEIGHT - PAD_T - PAD_B) * (1 - v / scale_max)

    n = len(months)
    body: list[str] = []
    body.extend(_grid(y, scale_max, False, width))
    for values, colour, dash, name in (
        (last_year, MUTED, ' stroke-dasharray="5 4"', "a year earlier"),
        (this_year, ACCENT, "", "this year"),
    ):
        body.extend(
            _polylines(
                values,
                y,
                f'stroke="{colour}" stroke-width="2"{dash}><title>{name}</title></polyline>',
                width,
            )
        )
        for i, value in enumerate(values):
            if value is not None:
                body.append(
                    f'<circle cx="{_fmt(_x(i, n, width))}" cy="{_fmt(y(value))}" r="2.5" '
                    f'fill="{colour}"><title>{escape(months[i])} ({name}): {value:,.0f}'
                    "</title></circle>"
                )
    body.extend(_x_labels(months, width))
    body.append(_legend(width, [(ACCENT, "", "this year"), (MUTED, "5 4", "a year earlier")]))
    desc = f"{title}: each month of the last year next to the same month a year before."
    return _frame(title, desc, body, width)
