"""The static site: every page, open data that matches the warehouse, reproducible bytes."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest

from safer77.metrics import arrest_stats
from safer77.publish.site import build_site
from safer77.warehouse import connect


@pytest.fixture(scope="module")
def site(synth_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    con = connect(synth_db, read_only=True)
    result = build_site(con, out)
    con.close()
    assert result.pages >= 1 + 77 + 22 + 3 + 4
    return out


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_every_page_is_there(site: Path) -> None:
    areas = sorted(site.glob("areas/*-*.html"))
    assert len(areas) == 77 and (site / "areas/68-englewood.html").exists()
    assert len(list(site.glob("districts/*-*.html"))) == 22
    for page in (
        "index.html",
        "unsolved.html",
        "methodology.html",
        "about.html",
        "categories/violent.html",
        "categories/property.html",
        "categories/index.html",
        "areas/index.html",
        "districts/index.html",
    ):
        assert (site / page).exists(), page


def test_build_twice_gives_identical_bytes(synth_db: Path, site: Path, tmp_path: Path) -> None:
    con = connect(synth_db, read_only=True)
    build_site(con, tmp_path / "again")
    con.close()
    assert digest(tmp_path / "again") == digest(site)


def test_pages_ask_nothing_of_other_hosts(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = page.read_text()
        urls = re.findall(r'(?:src|href)="([^"]+)"', text)
        external = [u for u in urls if re.match(r"[a-z]+:", u) and not u.startswith("data:")]
        assert external == [], (page, external[:3])
        hosts = set(re.findall(r"https?://[^\s\"'<>]+", text))
        assert hosts <= {"http://www.w3.org/2000/svg"}, (page, hosts)  # the SVG namespace only


def test_area_figures_and_downloads_equal_the_warehouse(synth_db: Path, site: Path) -> None:
    con = connect(synth_db, read_only=True)
    rows = arrest_stats(con, by="community-area", key="68")
    con.close()
    latest = rows[-1]
    html = (site / "areas/68-englewood.html").read_text()
    shown = re.search(r'data-figure="incidents">([\d,]+)<', html)
    assert shown and int(shown.group(1).replace(",", "")) == latest.incidents
    with (site / "data/areas/68/monthly.csv").open() as fh:
        table = list(csv.DictReader(fh))
    assert [(r["month"], int(r["incidents"])) for r in table] == [
        (r.month, r.incidents) for r in rows
    ]
    as_json = json.loads((site / "data/areas/68/monthly.json").read_text())
    assert [r["incidents"] for r in as_json] == [r.incidents for r in rows]
    assert all(r["definition"] == "arrest_rate_proxy" for r in as_json)


def test_data_index_lists_files_that_exist(site: Path) -> None:
    index = json.loads((site / "data.json").read_text())
    assert index["definition"] == "arrest_rate_proxy"
    paths = [f["path"] for f in index["files"]]
    assert "data/monthly_stats.parquet" in paths and "data/city/monthly.csv" in paths
    assert all((site / p).exists() for p in paths)


def test_methodology_shows_every_metric_and_the_proxy_caveat(site: Path) -> None:
    from safer77.metrics.registry import METRICS

    html = (site / "methodology.html").read_text()
    for name in METRICS:
        assert f"id='{name}'" in html
    assert "proxy for clearance" in html.lower() or "not a clearance rate" in html.lower()


def test_no_names_or_row_level_data_in_public_files(site: Path) -> None:
    for path in site.rglob("*.csv"):
        header = path.read_text().splitlines()[0] if path.stat().st_size else ""
        assert not {"case_number", "block", "id", "latitude", "longitude"} & set(header.split(","))


def test_every_table_on_every_page_can_be_downloaded(site: Path) -> None:
    for page in site.rglob("*.html"):
        html = page.read_text()
        tables = len(re.findall(r"<table class=['\"]data['\"]", html))
        links = re.findall(r"Download this table:\s*<a href=['\"]([^'\"]+)['\"]", html)
        assert len(links) == tables, page
        for link in links:
            assert (page.parent / link).resolve().exists(), (page, link)
            assert (page.parent / link.replace(".csv", ".json")).resolve().exists()
