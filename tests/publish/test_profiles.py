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
