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

from browser.support import ARTIFACTS, axe_source, chromium, needs_chromium, serving
from conftest import block_only_in
from safer77.config import Settings
from safer77.metrics import arrest_stats
from safer77.publish.site import build_site
from safer77.warehouse import connect

pytestmark = [needs_chromium, pytest.mark.slow]


def with_every_page_filled(coordinated_db: Path, folder: Path) -> Path:
    """The synthetic city with indicators and exported resource requests, plus stored
    dispatch scenarios and exported homicide case records, so every page has data (and its
    charts) to show."""
    from service.support import ROWS, write
    from typer.testing import CliRunner

    from safer77.cli import app
    from safer77.service.db import make_engine, session_factory, transaction, upgrade
    from safer77.service.export import export_to_warehouse
    from safer77.service.imports import import_cpd_homicides

    db = folder / "w.duckdb"
    shutil.copy(coordinated_db, db)
    profile = folder / "demand.csv"
    rows = [f"{d},{h},{2.0 + (h % 24 > 17)}" for d in (1, 2) for h in range(168)]
    profile.write_text("district,hour_of_week,calls_per_hour\n" + "\n".join(rows) + "\n")
    simulate = ["plan", "simulate", "--db", str(db), "--profile", str(profile), "--days", "7"]
    done = CliRunner().invoke(app, [*simulate, "--staffing", "1,3", "--save"])
    assert done.exit_code == 0, done.output
    # the same service database that exported the requests and releases, plus case records
    service = folder / "service.db"
    shutil.copy(coordinated_db.parent / "service.db", service)
    engine = make_engine(f"sqlite:///{service}")
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        import_cpd_homicides(s, None, write(folder / "h.csv", ROWS))
    export_to_warehouse(engine, db)
    engine.dispose()
    return db


@pytest.fixture(scope="module")
def server(coordinated_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    db = with_every_page_filled(coordinated_db, folder)
    con = connect(db, read_only=True)
    build_site(con, folder / "site")
    con.close()
    with serving(Settings(db=db), folder / "site") as url:
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


PAGES = [
    "index.html",
    "areas/index.html",
    "areas/68-englewood.html",
    "districts/index.html",
    "districts/7-district-7.html",
    "categories/violent.html",
    "accountability.html",
    "dispatch.html",
    "methodology.html",
    "priority.html",
    "requests.html",
    "homicides.html",
    "clearance.html",
    "unsolved.html",
    "about.html",
    "404.html",
]


def serious_violations(browser, url: str, width: int = 1280, height: int = 800) -> list[str]:  # type: ignore[no-untyped-def]
    """What axe-core, injected into the page at ``url``, finds serious or critical (the
    page's script policy is bypassed for the injection only)."""
    source = axe_source()
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    page.evaluate(source)
    found: list[str] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + "
        "v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"
    )
    context.close()
    return found


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_no_serious_accessibility_violations(  # type: ignore[no-untyped-def]
    browser, server: str, path: str, width: int, height: int
) -> None:
    assert serious_violations(browser, server + path, width, height) == [], (path, width)


def test_report_has_no_serious_accessibility_violations(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(server + "index.html")
    nav = page.get_by_role("navigation", name="Main")
    report = nav.get_by_role("link", name="Monthly report").get_attribute("href")
    page.close()
    for width, height in ((1280, 800), (390, 844)):
        assert serious_violations(browser, server + str(report), width, height) == [], width


@pytest.mark.parametrize("path", PAGES)
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
    shot = ARTIFACTS / f"{path.replace('/', '_')}-{width}x{height}"
    page.screenshot(path=f"{shot}.png")
    if path in KEY_PAGES:  # the whole page too, to look at below the fold
        page.screenshot(path=f"{shot}-full.png", full_page=True)
    page.close()


#: Pages whose whole length is photographed as well.
KEY_PAGES = {
    "index.html",
    "areas/68-englewood.html",
    "districts/7-district-7.html",
    "accountability.html",
    "dispatch.html",
}


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


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_tab_reaches_the_search_and_the_maps_areas(  # type: ignore[no-untyped-def]
    browser, server: str, width: int, height: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(server + "index.html")
    reached: dict[str, int] = {}
    for presses in range(1, 121):
        page.keyboard.press("Tab")
        where = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id === 'q' ? 'search' : e.closest('svg.map') ? 'map' : ''; }"
        )
        if where:
            reached.setdefault(where, presses)
        if "map" in reached:
            break
    assert "search" in reached and "map" in reached, reached
    assert reached["search"] < reached["map"]
    # the focused area is a link with a name, and it is drawn so a sighted user sees it
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label and ":" in label
    outline = page.evaluate("getComputedStyle(document.activeElement.querySelector('path')).stroke")
    assert outline not in ("", "none", "rgb(255, 255, 255)"), outline
    page.keyboard.press("Enter")
    page.wait_for_url("**/areas/*.html")
    page.close()
