"""The published site in a real headless Chromium (Debian's, driven by Playwright).

Pages load with no console errors, no failed requests and no request to another host; the map
draws 77 areas; a figure on an area page equals the warehouse; the search finds Englewood; the
navigation reaches the Priority areas and Resource requests pages, whose tables, downloads and
area links work.
Every page type is no wider than a 390 px screen and its chart and map text is at least 11 px;
/docs, /redoc and the 404 page ask no other host.
Screenshots at 1280x800 and 390x844 are saved to $SAFER77_ARTIFACTS (default build/artifacts).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urljoin, urlparse

import pytest
from search_cases import ADDRESS, NAMES, NONSENSE

from browser.support import ARTIFACTS, chromium, needs_chromium, serving
from conftest import block_only_in
from safer77.config import Settings
from safer77.metrics import arrest_stats
from safer77.publish.site import build_site
from safer77.warehouse import connect

pytestmark = needs_chromium


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
    [
        "index.html",
        "areas/68-englewood.html",
        "districts/7-district-7.html",
        "accountability.html",
        "dispatch.html",
        "methodology.html",
        "priority.html",
        "requests.html",
        "homicides.html",
        "clearance.html",
        "about.html",
    ],
)
@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_pages_load_cleanly(browser, server: str, path: str, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": width, "height": height})
    watch = Watch(page, server)
    page.goto(server + path, wait_until="networkidle")
    assert page.locator("h1").count() == 1
    assert watch.problems == []
    # no page wider than the screen; chart and map text readable (at least 11 CSS px)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    sizes = page.evaluate(SVG_TEXT_PX)
    assert not sizes or min(sizes) >= 11, (path, min(sizes))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{path.replace('/', '_')}-{width}x{height}.png"))
    page.close()


#: The drawn size (CSS px) of every visible chart or map text: font size x the SVG's scale.
SVG_TEXT_PX = """() => [...document.querySelectorAll('svg text')].flatMap(t => {
  const svg = t.ownerSVGElement, box = svg.getBoundingClientRect();
  if (!box.width) return [];
  return [parseFloat(getComputedStyle(t).fontSize) * box.width / svg.viewBox.baseVal.width];
})"""


@pytest.mark.parametrize("path", ["docs", "redoc", "no/such/page.html"])
def test_api_docs_and_404_load_from_this_host(browser, server: str, path: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    watch = Watch(page, server)
    page.goto(server + path, wait_until="networkidle")
    page.wait_for_timeout(500)
    if path.startswith("no/"):
        assert page.locator("h1").inner_text() == "Page not found"
        watch.problems = [p for p in watch.problems if not p.startswith(("HTTP 404", "console"))]
    else:
        page.locator("text=Community areas").first.wait_for()
    assert watch.problems == []
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


def _search(page: object, typed: str) -> None:
    page.locator("#q").fill(typed)  # names are found as they are typed
    if typed[0].isdigit() and " " in typed:
        page.locator("#q").press("Enter")  # an address asks the server


@pytest.mark.parametrize(("typed", "area"), [ADDRESS, *NAMES])
def test_search_box_finds(browser, server: str, typed: str, area: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    watch = Watch(page, server)
    page.goto(server + "districts/index.html")
    _search(page, typed)
    first = page.locator("#search-results a").first
    first.wait_for()
    assert first.inner_text().endswith(f"({area})")
    first.click()
    page.wait_for_url(f"**/areas/{area}-*.html")
    assert watch.problems == []
    page.close()


def test_search_box_says_no_match_and_suggests(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(server + "index.html")
    _search(page, NONSENSE)
    note = page.locator("#search-results li.note").first
    note.wait_for()
    assert note.inner_text() == f"No community area or neighbourhood matches “{NONSENSE}”."
    suggestions = page.locator("#search-results li.note").nth(1)
    assert suggestions.inner_text().startswith("Try ")
    assert suggestions.locator("a").count() == 4  # three names and the list of every area
    _search(page, "Wicker Park")
    page.locator("#search-results li.note", has_text="Wicker Park is in West Town.").wait_for()
    page.close()


def test_search_box_zip_codes(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(server + "index.html")
    _search(page, "60622")  # this site was built without a ZIP code layer
    page.locator("#search-results li.note", has_text="ZIP code search is not available").wait_for()
    assert page.locator("#search-results a").count() == 0
    page.close()
    # the same site had it been built with one: the index names the areas a ZIP code overlaps
    page = browser.new_page()

    def with_zips(route) -> None:  # type: ignore[no-untyped-def]
        text = route.fetch().text()
        assert '"zips": null' in text
        route.fulfill(
            body=text.replace('"zips": null', '"zips": {"60622": [24, 22]}'),
            content_type="text/javascript",
        )

    page.route("**/static/areas.js", with_zips)
    page.goto(server + "index.html")
    _search(page, "60622")
    page.locator("#search-results li.note", has_text="ZIP code 60622 overlaps 2 ").wait_for()
    assert page.locator("#search-results a").all_inner_texts() == [
        "West Town (24)",
        "Logan Square (22)",
    ]
    page.close()


def test_share_links_carry_the_pages_address(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    # built without site_url: the script fills the links in from the address bar
    page = browser.new_page()
    page.goto(server + "areas/68-englewood.html")
    share = page.get_by_role("complementary", name="Share this page")
    assert share.is_visible()
    href = share.get_by_role("link", name="Facebook").get_attribute("href")
    assert href == "https://www.facebook.com/sharer/sharer.php?u=" + quote(
        server + "areas/68-englewood.html", safe=""
    )
    page.close()
