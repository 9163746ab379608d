"""`make demo`'s pages, in a real headless Chromium, carry the synthetic-city banner.

The site is built the way `safer77 demo` builds it (its own warehouse and site in its folder,
the same build step), from a small city. The banner is the first thing on every page, visible,
a note to assistive technology, readable (WCAG AA contrast) and wrapped within a 390 px phone
screen.
Screenshots of the index at 1280 and 390 px go to $SAFER77_ARTIFACTS (default build/artifacts).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from browser.support import ARTIFACTS, chromium, needs_chromium, serving
from safer77.cli.publish import build
from safer77.config import get_settings
from safer77.demo import demo_settings, run_demo

pytestmark = [needs_chromium, pytest.mark.slow]

PAGES = ("index.html", "areas/68-englewood.html", "districts/index.html", "about.html")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The demo's site, served: its base URL and its month."""
    workdir = tmp_path_factory.mktemp("demo") / "safer77-demo"
    cfg = demo_settings(get_settings(), workdir)
    run_demo(cfg, rows=4_000, seed=77, workdir=workdir)  # its warehouse: workdir/safer77.duckdb
    built = build(cfg, cfg.site_dir, None)  # what `safer77 demo` does before serving
    assert built.out == workdir / "site" and cfg.db == workdir / "safer77.duckdb"
    with serving(cfg, cfg.site_dir) as url:
        yield url, built.month


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def _luminance(rgb: str) -> float:
    """Relative luminance (WCAG 2) of a computed CSS colour ``rgb(r, g, b)``."""
    channels = [int(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("path", [*PAGES, "report"])
@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_demo_pages_show_the_banner(  # type: ignore[no-untyped-def]
    browser, demo_site: tuple[str, str], path: str, width: int, height: int
) -> None:
    base, month = demo_site
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(base + (f"report/{month}.html" if path == "report" else path))
    note = page.get_by_role("note", name="Synthetic data")
    assert note.count() == 1 and note.is_visible()
    assert "Synthetic city — not real data." in note.inner_text()
    box = note.bounding_box()
    assert box is not None and box["y"] < 1 and box["height"] < height / 3  # on top, not a wall
    assert abs(box["width"] - width) < 1  # the whole width of the page
    # it reads, and nothing spills sideways on a phone
    fg, bg = (
        note.locator("strong").evaluate("e => getComputedStyle(e).color"),
        note.evaluate("e => getComputedStyle(e).backgroundColor"),
    )
    assert contrast(fg, bg) >= 4.5, (fg, bg)
    # (wide data tables may scroll sideways on a phone; the banner itself wraps)
    assert note.evaluate("e => e.scrollWidth <= e.clientWidth"), "the banner overflows"
    footer = page.locator("footer").inner_text()
    assert "safer77 synthetic city generator, seed 77" in footer and "City of Chicago" not in footer
    if path == "index.html":
        assert page.locator("h1").inner_text() == "Synthetic city, citywide"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"demo-index-{width}x{height}.png"))
        page.screenshot(path=str(ARTIFACTS / f"demo-index-{width}-full.png"), full_page=True)
    page.close()
