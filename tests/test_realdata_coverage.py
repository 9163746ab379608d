"""The site built from the real files people actually have, mixed (issue 21): the 2022 extract
(no IDs, no districts, no coordinates), the 2001-2023 homicide file, the 17 days of 2015 and
the 2020 carjackings, with the boundaries. No page may compare months of different coverage,
the featured month must be one the full extract covers, 2022's homicides must be counted once,
and district pages must say that districts are not recorded in November 2022.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_realdata_crosssource import HOMICIDES, SLIM, _homicides_2022, _merged

from safer77.metrics.coverage import ALL_TYPES, read_coverage
from safer77.publish.site import build_site
from safer77.warehouse import connect, load_boundaries, load_incidents

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

CRIMES = (SLIM, HOMICIDES, "chicago_crimes_2015_h2o_10k.csv.gz", "chicago_carjackings_2020.geojson")
BOUNDARIES = (
    ("community_areas", "community_areas_with_pop_2000_2010.geojson"),
    ("districts", "police_districts_2014snapshot.geojson"),
    ("beats", "police_beats_2014snapshot.geojson"),
)
CHANGE = re.compile(r"([+\N{MINUS SIGN}-]\d[\d,]*\.\d)% on a year earlier")
PCT = re.compile(r"([+\N{MINUS SIGN}-]\d[\d,]*(?:\.\d+)?)%")


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", html, flags=re.S))


@pytest.fixture(scope="module")
def mixed(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("real-mixed")
    db = folder / "w.duckdb"
    con = connect(db)
    for kind, name in BOUNDARIES:
        load_boundaries(con, kind, shared_data / "boundaries" / name)
    for name in CRIMES:
        load_incidents(con, shared_data / "crimes" / name)
    build_site(con, folder / "site")
    con.close()
    return db, folder / "site"


def test_the_featured_month_is_covered_for_the_featured_types(mixed: tuple[Path, Path]) -> None:
    db, site = mixed
    con = connect(db, read_only=True)
    cov = read_coverage(con)
    con.close()
    featured = re.search(r"Figures for (\w+ \d{4})", (site / "index.html").read_text())
    assert featured is not None and featured.group(1) == "November 2022"
    for ctype in ("ALL", "violent", "property", "index"):
        assert cov.scope(ctype, "2022-11") == ALL_TYPES, ctype
    # the homicide file runs to 19 July 2023, but holds homicides alone
    assert cov.scope("ALL", "2023-06") != ALL_TYPES and cov.scope("ALL", "2023-07") is None


def test_no_page_shows_a_change_across_coverage_or_above_1000_percent(
    mixed: tuple[Path, Path],
) -> None:
    _, site = mixed
    pages = {str(p.relative_to(site)): _text(p.read_text()) for p in site.rglob("*.html")}
    assert len(pages) > 100
    for name, body in pages.items():
        # November 2021 holds homicides alone: no year-earlier change may be shown anywhere
        assert not CHANGE.search(body), (name, CHANGE.search(body))
        for value in PCT.findall(body):
            assert abs(float(value.replace(",", "").replace("\N{MINUS SIGN}", "-"))) <= 1000, (
                name,
                value,
            )
    assert "not comparable: November 2022 holds all crime types" in pages["index.html"]
    assert "not comparable" in pages["areas/68-englewood.html"]


def test_district_pages_of_november_2022_say_districts_are_not_recorded(
    mixed: tuple[Path, Path],
) -> None:
    _, site = mixed
    pages = sorted((site / "districts").glob("*-district-*.html"))
    assert len(pages) >= 22
    for page in pages:
        html = page.read_text()
        assert 'data-notice="level"' in html, page.name
        assert "police district not recorded for" in _text(html), page.name
        assert 'data-figure="arrest-rate"' not in html, page.name


def test_2022_homicides_equal_a_recount_merging_the_two_files(
    shared_data: Path, mixed: tuple[Path, Path]
) -> None:
    db, _ = mixed
    expected, _ = _merged(
        _homicides_2022(shared_data / "crimes" / SLIM),
        _homicides_2022(shared_data / "crimes" / HOMICIDES),
    )
    con = connect(db, read_only=True)
    ((got,),) = con.execute(
        "SELECT count(*) FROM incidents WHERE primary_type = 'HOMICIDE' "
        "AND year(occurred_at) = 2022"
    ).fetchall()
    con.close()
    assert got == expected
