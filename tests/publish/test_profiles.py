"""Community profiles on the area pages: every area has one, and one page's figures equal an
independent recomputation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from publish.support import build, with_indicators
from safer77.warehouse import connect


def test_profiles_on_every_area_page(synth_db: Path, tmp_path: Path) -> None:
    warehouse = with_indicators(synth_db, tmp_path)
    result = build(warehouse, tmp_path / "site")
    con = connect(warehouse, read_only=True)
    try:
        ((violent_12m,),) = con.execute(
            "SELECT sum(incidents) FROM stats_arrest_rate_proxy WHERE level = 'community-area' "
            "AND area_key = '68' AND crime_type = 'violent' "
            "AND month > CAST(? AS DATE) - INTERVAL 12 MONTH AND month <= CAST(? AS DATE)",
            [f"{result.month}-01", f"{result.month}-01"],
        ).fetchall()
    finally:
        con.close()
    site = tmp_path / "site"
    profiles = sorted(site.glob("data/areas/*/profile.json"))
    assert len(profiles) == 77
    rows = {r["measure"]: r for r in json.loads((site / "data/areas/68/profile.json").read_text())}
    # independent: the same numbers from the input table, ranked by hand
    with (tmp_path / "indicators.csv").open() as fh:
        raw = {int(r["area"]): r for r in csv.DictReader(fh)}
    poverty = {a: float(r["poverty"]) for a, r in raw.items()}
    income = {a: float(r["income"]) for a, r in raw.items()}
    assert rows["poverty_pct"]["value"] == poverty[68]
    assert rows["poverty_pct"]["rank"] == 1 + sum(v > poverty[68] for v in poverty.values())
    assert rows["per_capita_income"]["rank"] == 1 + sum(v < income[68] for v in income.values())
    pop68 = float(raw[68]["pop"])
    assert rows["violent_incidents_per_100k"]["value"] == pytest.approx(
        violent_12m * 1e5 / pop68, abs=0.05
    )
    html = (site / "areas/68-englewood.html").read_text()
    assert "Community profile" in html and f"{rows['poverty_pct']['rank']} of 77" in html


def test_profiles_carry_victim_rates_and_the_violence_trend(synth_db: Path, tmp_path: Path) -> None:
    from safer77.warehouse.victims import load_victims
    from tests.sources.test_city311 import write
    from tests.sources.test_victims import CITY, victim

    warehouse = with_indicators(synth_db, tmp_path)
    con = connect(warehouse)
    try:
        ((last,),) = con.execute("SELECT max(month) FROM incidents").fetchall()
        inside = f"{last.month:02d}/01/{last.year} 10:00:00 PM"  # in the site's 12 months
        too_old = f"{last.month:02d}/01/{last.year - 1} 10:00:00 PM"  # just outside
        rows = [victim(str(i), DATE=inside, COMMUNITY_AREA="68") for i in range(25)]
        rows += [victim("h1", DATE=inside, COMMUNITY_AREA="68", VICTIMIZATION_PRIMARY="HOMICIDE")]
        rows += [victim("old", DATE=too_old, COMMUNITY_AREA="68")]
        rows += [victim(f"x{i}", DATE=inside, COMMUNITY_AREA="25") for i in range(30)]
        load_victims(con, write(tmp_path / "v.csv", CITY, rows))
    finally:
        con.close()
    result = build(warehouse, tmp_path / "site")
    con = connect(warehouse, read_only=True)
    try:
        y, m = int(result.month[:4]), int(result.month[5:])
        counts = con.execute(
            "SELECT (year(occurred_at) * 12 + month(occurred_at)) > ? AS recent, count(*) "
            "FROM incidents WHERE category = 'violent' AND community_area = 68 "
            "AND year(occurred_at) * 12 + month(occurred_at) > ? "
            "AND year(occurred_at) * 12 + month(occurred_at) <= ? GROUP BY ALL",
            [y * 12 + m - 12, y * 12 + m - 24, y * 12 + m],
        ).fetchall()
    finally:
        con.close()
    with (tmp_path / "indicators.csv").open() as fh:
        pop = {int(r["area"]): float(r["pop"]) for r in csv.DictReader(fh)}
    rows_68 = {
        r["measure"]: r
        for r in json.loads((tmp_path / "site/data/areas/68/profile.json").read_text())
    }
    shootings = rows_68["shooting_victims_per_100k"]
    assert shootings["value"] == pytest.approx(25 * 1e5 / pop[68], abs=0.05)
    rate_25 = 30 * 1e5 / pop[25]
    assert shootings["rank"] == (2 if rate_25 > shootings["value"] else 1)
    assert shootings["of"] == 77
    assert "unstable" not in shootings["description"]
    homicides = rows_68["homicide_victims_per_100k"]
    assert homicides["value"] == pytest.approx(1e5 / pop[68], abs=0.05)
    assert homicides["rank"] == 1
    assert "unstable" in homicides["description"]  # one victim
    by = dict(counts)
    assert rows_68["violent_incidents_change_pct"]["value"] == pytest.approx(
        100 * (by[True] / by[False] - 1), abs=0.05
    )
    area_25 = json.loads((tmp_path / "site/data/areas/25/profile.json").read_text())
    rank_25 = {r["measure"]: r["rank"] for r in area_25}["shooting_victims_per_100k"]
    assert rank_25 == (1 if rate_25 > shootings["value"] else 2)


def test_real_profiles_for_all_77_areas(shared_data: Path, tmp_path: Path) -> None:
    """Real homicides, GVA shooting victims and the 2010 population: every area gets a
    profile, and Austin's (25) figures equal a count straight from the files."""
    from datetime import datetime

    from safer77.metrics import compute_all
    from safer77.publish.site import build_site
    from safer77.warehouse import load_boundaries, load_incidents
    from safer77.warehouse.indicators import load_indicators
    from safer77.warehouse.victims import load_victims

    homicides = shared_data / "crimes" / "chicago_homicides_2001_present.csv.gz"
    population = shared_data / "indicators" / "community_area_population_2000_2010.csv"
    con = connect(tmp_path / "w.duckdb")
    try:
        load_boundaries(
            con,
            "community_areas",
            shared_data / "boundaries" / "community_areas_with_pop_2000_2010.geojson",
        )
        load_incidents(con, homicides)
        load_victims(con, shared_data / "shootings" / "gva_mass_shootings_2013_2025.csv")
        load_indicators(con, population, "population-2010")
        compute_all(con)
        result = build_site(con, tmp_path / "site", month="2022-12")
    finally:
        con.close()
    site = tmp_path / "site"
    assert len(list(site.glob("data/areas/*/profile.json"))) == 77
    rows = {r["measure"]: r for r in json.loads((site / "data/areas/25/profile.json").read_text())}
    import gzip

    with population.open() as fh:
        pop = {int(r["NID"]): int(r["POP2010"]) for r in csv.DictReader(fh)}
    with gzip.open(homicides, "rt", newline="") as fh:
        dates = [
            datetime.strptime(r["Date"], "%m/%d/%Y %I:%M:%S %p")
            for r in csv.DictReader(fh)
            if r["Community Area"] and int(float(r["Community Area"])) == 25
        ]
    in_2022 = sum(1 for d in dates if d.year == 2022)
    in_2021 = sum(1 for d in dates if d.year == 2021)
    assert result.month == "2022-12"
    assert rows["violent_incidents_per_100k"]["value"] == pytest.approx(
        in_2022 * 1e5 / pop[25], abs=0.05
    )
    assert rows["violent_incidents_change_pct"]["value"] == pytest.approx(
        100 * (in_2022 / in_2021 - 1), abs=0.05
    )
    assert "shooting_victims_per_100k" in rows and rows["shooting_victims_per_100k"]["of"] == 77
    assert "Gun Violence Archive" in rows["shooting_victims_per_100k"]["source"]
