"""Pages are honest about what the loaded files cover (issue 21).

A mixed warehouse is written in code the way users download the portal: a full 2022 extract
without districts or coordinates (like the portal's "slim" exports) beside a homicide extract
with every field for 2020 to July 2023. The site must feature the newest month the full
extract covers, show no change between months of different coverage, leave uncovered months out
(gaps, never zeros) and show no district rates where districts are not recorded. A single
full source must keep every comparison.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import homicide_row
from publish.support import build
from safer77.metrics import compute_all
from safer77.schema import PORTAL_CSV_HEADER
from safer77.warehouse import connect, load_incidents

SLIM_HEADER = (
    "Date", "Block", "Primary Type", "Description", "Location Description", "Arrest",
    "Domestic", "Community Area",
)  # fmt: skip
TYPES = (
    ("THEFT", "$500 AND UNDER"),
    ("BATTERY", "SIMPLE"),
    ("CRIMINAL DAMAGE", "TO VEHICLE"),
    ("ASSAULT", "SIMPLE"),
    ("DECEPTIVE PRACTICE", "CREDIT CARD FRAUD"),
    ("MOTOR VEHICLE THEFT", "AUTOMOBILE"),
    ("ROBBERY", "STRONG ARM - NO WEAPON"),
    ("BURGLARY", "FORCIBLE ENTRY"),
    ("NARCOTICS", "POSSESS - CANNABIS"),
    ("WEAPONS VIOLATION", "UNLAWFUL USE - HANDGUN"),
    ("CRIMINAL TRESPASS", "TO LAND"),
    ("OTHER OFFENSE", "TELEPHONE THREAT"),
)
EMPTY_MONTH_AREA, EMPTY_MONTH = 77, "2022-06"  # area 77 has no incident that month
CHANGE = re.compile(r"\d% on a year earlier")  # a change figure, as headlines show it
PCT = re.compile(r"([+\N{MINUS SIGN}-]\d[\d,]*(?:\.\d+)?)%")


def write_slim(path: Path) -> int:
    """A full extract of 1 Jan to 30 Nov 2022: every type, community areas, no district."""
    rows = 0
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(SLIM_HEADER)
        t = datetime(2022, 1, 1)
        i = 0
        while t < datetime(2022, 12, 1):
            area = i % 77 + 1
            if area == EMPTY_MONTH_AREA and t.strftime("%Y-%m") == EMPTY_MONTH:
                area = 76
            ptype, desc = TYPES[i % len(TYPES)]
            w.writerow(
                [t.isoformat(sep=" "), f"0{i % 90:02d}XX W MADISON ST", ptype, desc, "STREET",
                 "true" if i % 7 == 0 else "false", "false", area]
            )  # fmt: skip
            rows += 1
            i += 1
            t += timedelta(hours=2)
    return rows


def write_homicides(path: Path) -> int:
    """Homicides alone, every field, 1 Jan 2020 to 19 Jul 2023."""
    n = 0
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PORTAL_CSV_HEADER)
        t = datetime(2020, 1, 1, 3, 0)
        while t <= datetime(2023, 7, 19, 20, 0):
            n += 1
            area = n % 77 + 1
            row = homicide_row(
                900_000 + n,
                t.strftime("%m/%d/%Y %I:%M:%S %p"),
                block="0000X S STATE ST",
                arrest="true" if n % 2 else "false",
                district=str(n % 22 + 1),
                beat=f"{n % 22 + 1:02d}11",
                community_area=str(area),
                updated_on="08/01/2023 01:00:00 PM",
            )
            w.writerow([row[h] for h in PORTAL_CSV_HEADER])
            t += timedelta(hours=13)
    return n


@pytest.fixture(scope="module")
def mixed_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("mixed")
    slim, homicides = folder / "crimes-2022-slim.csv", folder / "homicides.csv"
    write_slim(slim)
    write_homicides(homicides)
    db = folder / "w.duckdb"
    con = connect(db)
    load_incidents(con, slim)
    load_incidents(con, homicides)
    compute_all(con)
    con.close()
    result = build(db, folder / "site")
    return folder / "site", result.month


def pages(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): p.read_text() for p in site.rglob("*.html")}


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", html, flags=re.S))


def test_the_featured_month_is_the_newest_the_full_extract_covers(
    mixed_site: tuple[Path, str],
) -> None:
    site, month = mixed_site
    # the homicide file reaches July 2023, but only homicides: not a month to feature
    assert month == "2022-11"
    index = (site / "index.html").read_text()
    assert "November 2022" in index
    assert "crimes-2022-slim.csv: all crime types" in index  # what "all" includes is named
    assert "homicides.csv: HOMICIDE (IUCR 0110) only" in index


def test_no_page_compares_months_of_different_coverage(mixed_site: tuple[Path, str]) -> None:
    site, _ = mixed_site
    found = pages(site)
    for name, html in found.items():
        body = text(html)
        # November 2021 holds homicides alone: there is no year-earlier change to show
        assert not CHANGE.search(body), name
        for value in PCT.findall(body):
            change = float(value.replace(",", "").replace("\N{MINUS SIGN}", "-"))
            assert abs(change) <= 1000, (name, value)
    index = text(found["index.html"])
    assert "not comparable: November 2022 holds all crime types, November 2021 holds " in index
    report = text(found["report/2022-11.html"])
    assert "No changes shown" in report
    assert "not comparable: no loaded file covers property in November 2021" in report


def test_uncovered_months_are_gaps_and_covered_empty_months_zeros(
    mixed_site: tuple[Path, str],
) -> None:
    site, _ = mixed_site
    monthly = (site / "data/city/monthly.csv").read_text().splitlines()[1:]
    # 2020-2021 hold homicides alone, 2023 too: the citywide series is 2022's eleven months
    assert [r.split(",")[0] for r in monthly] == [f"2022-{m:02d}" for m in range(1, 12)]
    area = (site / f"data/areas/{EMPTY_MONTH_AREA}/monthly.csv").read_text()
    row = next(r for r in area.splitlines() if r.startswith(EMPTY_MONTH))
    assert row.split(",")[1] == "0"


def test_district_pages_say_districts_are_not_recorded(mixed_site: tuple[Path, str]) -> None:
    site, _ = mixed_site
    district = (site / "districts/7-district-7.html").read_text()
    assert 'data-notice="level"' in district
    assert "police district not recorded for" in text(district)
    assert "of the November 2022 incidents in the loaded files" in text(district)
    assert 'data-figure="arrest-rate"' not in district  # no rates at all
    assert (site / "data/districts/7/monthly.csv").read_text().count("\n") <= 1
    listing = (site / "districts/index.html").read_text()
    assert 'data-notice="level"' in listing
    report = text((site / "report/2022-11.html").read_text())
    assert "No district figures: police district not recorded" in report


@pytest.fixture(scope="module")
def single_site(synth_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    site = tmp_path_factory.mktemp("single") / "site"
    return site, build(synth_db, site).month


def test_a_single_full_source_keeps_every_comparison(single_site: tuple[Path, str]) -> None:
    found = pages(single_site[0])
    assert not any("not comparable:" in html for html in found.values())
    assert not any('data-notice="level"' in html for html in found.values())
    assert CHANGE.search(text(found["index.html"]))
    report = [n for n in found if n.startswith("report/")]
    assert report and "No changes shown" not in found[report[0]]
    district = next(n for n in found if n.startswith("districts/") and n != "districts/index.html")
    assert 'data-figure="arrest-rate"' in found[district]


def test_the_reports_largest_changes_equal_a_recount(
    single_site: tuple[Path, str], synth_db: Path
) -> None:
    """One full source: the report's table is filled with the ten areas whose incidents
    changed most in number on the same month a year earlier, each figure a recount of the
    warehouse's incidents; and the report has its charts."""
    site, month = single_site
    con = connect(synth_db, read_only=True)
    counts = dict(
        ((int(a), m), n)
        for a, m, n in con.execute(
            "SELECT community_area, strftime(occurred_at, '%Y-%m'), count(*) FROM incidents "
            "WHERE community_area IS NOT NULL GROUP BY ALL"
        ).fetchall()
    )
    con.close()
    year, mon = int(month[:4]), int(month[5:])
    earlier = f"{year - 1}-{mon:02d}"
    change = {a: counts.get((a, month), 0) - counts.get((a, earlier), 0) for a in range(1, 78)}
    html = (site / f"report/{month}.html").read_text()
    table = re.search(r'<table class="data" data-table="movers">.*?</table>', html, re.S)
    assert table, "the largest-changes table is missing"
    rows = re.findall(
        r'<th scope="row"><a href="[^"]*/areas/(\d+)-[^"]*">[^<]*</a></th><td>([\d,]+)</td>'
        r"<td>([\d,]+)</td><td>([+-][\d,]+)</td>",
        table.group(0),
    )
    assert len(rows) == 10
    for area, now, before, diff in rows:
        a = int(area)
        assert int(now.replace(",", "")) == counts.get((a, month), 0)
        assert int(before.replace(",", "")) == counts.get((a, earlier), 0)
        assert int(diff.replace(",", "")) == change[a]
    shown = [abs(change[int(r[0])]) for r in rows]
    assert shown == sorted(shown, reverse=True)
    left_out = [abs(v) for a, v in change.items() if str(a) not in {r[0] for r in rows}]
    assert max(left_out) <= min(shown)
    assert "No changes shown" not in html
    assert html.count("<svg") >= 3  # incidents, arrest rate, and the year-over-year charts
