"""The home page opens with a map of incidents per 100,000 residents (counts, and saying so,
without population); legends have clean, distinct classes; districts carry their names; an
area's headline sets its rates beside the city's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publish.support import build
from safer77.publish.maps import breaks, legend_labels
from safer77.warehouse import connect


def test_breaks_are_round_distinct_and_never_empty() -> None:
    assert breaks([1, 1, 1, 1, 2, 2]) == [2]  # "1 - 1, 1 - 2" cannot happen
    cuts = breaks([13.7, 27.1, 31.0, 44.4, 61.9, 88.2, 120.5, 240.9, 377.0, 1033.3])
    assert cuts == sorted(set(cuts)) and all(c == float(f"{c:.2g}") for c in cuts)
    assert cuts[0] > 13.7 and cuts[-1] <= 1033.3
    labels = legend_labels([50.0, 100.0], "{:,.0f}", lowest=3, highest=240)
    assert labels == ["under 50", "50 to under 100", "100 or more"]
    assert legend_labels([], "{:,.0f}", lowest=4, highest=4) == ["4"]


def value_of(page: str, key: int) -> float:
    m = re.search(rf'data-key="{key}" data-value="([^"]+)"', page)
    assert m, key
    return float(m.group(1))


def test_home_map_is_per_100k_residents(coordinated_db: Path, coordinated_site: Path) -> None:
    page = (coordinated_site / "index.html").read_text()
    con = connect(coordinated_db, read_only=True)
    try:
        month = re.search(r"report/(\d{4}-\d{2})\.html", page).group(1)
        ((incidents,),) = con.execute(
            "SELECT incidents FROM stats_arrest_rate_proxy WHERE level = 'community-area' "
            "AND area_key = '68' AND crime_type = 'ALL' AND strftime(month, '%Y-%m') = ?",
            [month],
        ).fetchall()
        ((people,),) = con.execute(
            "SELECT value FROM indicators WHERE indicator = 'population' AND community_area = 68"
        ).fetchall()
    finally:
        con.close()
    assert value_of(page, 68) == pytest.approx(incidents / people * 100_000, rel=1e-5)
    # the map opens the page, before the month's headline figures
    assert page.index("<svg") < page.index('data-figure="incidents"')
    assert "per 100,000 residents" in page and 'data-map="per_100k"' in page
    # an area's headline: its rate per 100,000 and as a multiple of the city's
    area = (coordinated_site / "areas" / "68-englewood.html").read_text()
    assert re.search(r'data-figure="per-100k">[\d,.]+<', area)
    assert "\u00d7 city rate" in area


def test_without_population_the_map_shows_counts_and_says_so(
    synth_db: Path, tmp_path: Path
) -> None:
    build(synth_db, tmp_path / "site")
    page = (tmp_path / "site" / "index.html").read_text()
    assert 'data-map="incidents"' in page and "not rates" in page
    assert (
        "per 100,000"
        not in re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
        .split("not rates")[0]
        .split("<main")[1]
    )
    district = (tmp_path / "site" / "districts" / "7-district-7.html").read_text()
    assert "<h1>District 7 (Englewood)</h1>" in district
    listing = (tmp_path / "site" / "districts" / "index.html").read_text()
    assert "District 7 (Englewood)" in listing
