"""The published site in a real headless Chromium (Debian's, driven by Playwright).

Pages load with no console errors, no failed requests and no request to another host; the map
draws 77 areas; a figure on an area page equals the warehouse; the search finds Englewood; the
navigation reaches the Priority areas and Resource requests pages, whose tables, downloads and
area links work.
Screenshots at 1280x800 and 390x844 are saved to $SAFER77_ARTIFACTS (default build/artifacts).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from browser.support import ARTIFACTS, chromium, needs_chromium, serving
from conftest import block_only_in
from safer77.config import Settings
from safer77.metrics import arrest_stats
from safer77.publish.site import build_site
from safer77.warehouse import connect

pytestmark = [needs_chromium, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(coordinated_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # the synthetic city with indicators and exported resource requests, so every page has data
    site = tmp_path_factory.mktemp("browser") / "site"
    con = connect(coordinated_db, read_only=True)
    build_site(con, site)
    con.close()
    with serving(Settings(db=coordinated_db), site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


class Watch:
    """Console errors, failed requests and requests to other hosts of one page."""

    def __init__(self, page: object, base: str) -> None:
        self.problems: list[str] = []
        host = urlparse(base).netloc
        page.on(
            "console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}")
        )
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"),
        )
        page.on(
            "request",
            lambda r: (
                urlparse(r.url).scheme in ("http", "https")
                and urlparse(r.url).netloc != host
                and self.problems.append(f"off-host: {r.url}")
            ),
        )


@pytest.mark.parametrize(
    "path",
    ["index.html", "areas/68-englewood.html", "methodology.html", "priority.html", "requests.html"],
)
@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_pages_load_cleanly(browser, server: str, path: str, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": width, "height": height})
    watch = Watch(page, server)
    page.goto(server + path, wait_until="networkidle")
    assert page.locator("h1").count() == 1
    assert watch.problems == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{path.replace('/', '_')}-{width}x{height}.png"))
    page.close()


def test_map_draws_the_77_areas(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(server + "index.html")
    shapes = page.locator("svg.map path")
    assert shapes.count() == 77
    box = page.locator("svg.map").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 200
    page.close()


def test_area_page_figure_equals_the_warehouse(browser, server: str, synth_db: Path) -> None:  # type: ignore[no-untyped-def]
    con = connect(synth_db, read_only=True)
    latest = arrest_stats(con, by="community-area", key="68")[-1]
    con.close()
    page = browser.new_page()
    page.goto(server + "areas/68-englewood.html")
    shown = page.locator('[data-figure="incidents"]').inner_text()
    assert int(shown.replace(",", "")) == latest.incidents
    page.close()


def test_search_finds_englewood_with_the_keyboard(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(server + "index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.locator("#q").fill("Englewood")
    results = page.locator("#search-results a")
    results.first.wait_for()
    assert "Englewood (68)" in results.all_inner_texts()
    page.locator("#search-results a", has_text="Englewood (68)").first.click()
    page.wait_for_url("**/areas/68-englewood.html")
    assert page.locator("h1").inner_text() == "Englewood (68)"
    page.close()


def test_report_prints_to_pdf(synth_db: Path, tmp_path: Path) -> None:
    # its own process: Playwright's sync API cannot nest inside the module's browser fixture
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "safer77",
            "publish",
            "--out",
            str(tmp_path / "site"),
            "--db",
            str(synth_db),
            "--pdf",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pdfs = list((tmp_path / "site" / "report").glob("*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].read_bytes()[:5] == b"%PDF-"
    assert pdfs[0].stat().st_size > 10_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdfs[0], ARTIFACTS / pdfs[0].name)


def test_district_map_draws_every_district(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(server + "districts/index.html")
    assert page.locator("svg.map path").count() == 22
    page.close()


def test_search_by_street_address(browser, server: str, synth_db: Path) -> None:  # type: ignore[no-untyped-def]
    block = block_only_in(synth_db, 68)  # a block the data places in Englewood only
    hundreds, rest = block.split("XX ", 1)
    page = browser.new_page()
    watch = Watch(page, server)
    page.goto(server + "areas/index.html")
    page.locator("#q").fill(f"{int(hundreds) * 100 + 40} {rest.title()}")
    page.locator("#q").press("Enter")
    link = page.locator("#search-results a")
    link.first.wait_for()
    assert link.first.inner_text() == "Englewood (68)"
    link.first.click()
    page.wait_for_url("**/areas/68-englewood.html")
    assert watch.problems == []
    page.close()


def test_nav_reaches_the_priority_and_requests_pages(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    watch = Watch(page, server)
    page.goto(server + "areas/68-englewood.html")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Priority areas").click()
    page.wait_for_url("**/priority.html")
    assert page.locator("h1").inner_text() == "Priority areas"
    index = page.locator("table", has=page.locator("caption", has_text="composite index"))
    assert index.locator("tbody tr").count() >= 15
    assert index.locator("tbody tr").first.locator("td").first.inner_text() == "1"
    assert page.locator("p.stable").is_visible()
    for kind in ("csv", "json"):
        link = page.locator(f"p.downloads a[href='data/priority/composite.{kind}']")
        got = page.request.get(urljoin(page.url, link.get_attribute("href")))
        assert got.ok and got.text().startswith(
            "community_area,name,rank," if kind == "csv" else "["
        )
    page.goto(server + "priority.html")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Resource requests"
    ).click()
    page.wait_for_url("**/requests.html")
    assert page.locator("h1").inner_text() == "Resource requests"
    assert page.locator("table.data").count() == 3
    assert page.locator("table.data").first.get_by_text("low n").count() >= 1
    page.get_by_role("link", name="Englewood (68)").first.click()
    page.wait_for_url("**/areas/68-englewood.html")
    assert page.locator("h1").inner_text() == "Englewood (68)"
    assert watch.problems == []
    page.close()
