"""One synthetic city with one planted low-clearance group and one planted robbery spree:
`safer77 solve clusters` and `safer77 solve series` find both; the same city without them
flags nothing (seeded)."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from safer77.cli import app
from safer77.schema import PORTAL_CSV_HEADER
from safer77.sources.cpd_homicides import COLUMNS
from safer77.warehouse import connect, load_incidents
from tests.conftest import portal_row, robbery_at

LAST = datetime(2019, 12, 31, 20, 0)
SPREE = (41.8801, -87.7102)


def build(tmp_path: Path, planted: bool, seed: int = 3) -> tuple[Path, Path, set[str]]:
    rng = np.random.default_rng(seed)
    portal, cpd, spree_ids = [], [], set()
    for area in range(1, 31):
        for i in range(40):
            year = 2012 + i % 8
            when = datetime(year, 1 + i % 12, 1 + (i * 7) % 27, 22, 0)
            case = f"JA{area:02d}{i:04d}"
            portal.append(
                portal_row(
                    id=str(100_000 + area * 100 + i),
                    case_number=case,
                    date=f"{when:%m/%d/%Y %I:%M:%S %p}",
                    iucr="0110",
                    primary_type="HOMICIDE",
                    description="FIRST DEGREE MURDER",
                    fbi_code="01A",
                    community_area=str(area),
                )
            )
            rate = 0.75 - 0.04 * (year - 2012)
            if planted and area == 7:
                rate *= 0.3
            cleared = rng.random() < rate
            row = dict.fromkeys(COLUMNS, "")
            row |= {
                "RD#": case,
                "Homicide #": str(area * 1000 + i),
                "Injury Date": f"{when:%Y-%m-%dT%H:%M:%S}",
                "Victim Sex": "M",
                "Victim Age": "30",
                "Homicide Location Descr": "STREET",
                "Cleared I": "Y" if cleared else "N",
                "Date Cleared": f"{when + timedelta(days=40):%Y-%m-%dT00:00:00}" if cleared else "",
            }
            cpd.append(row)
    n = 1500
    for j in range(n + (25 if planted else 0)):
        if j < n:
            when = LAST - timedelta(days=int(rng.integers(0, 180)), hours=int(rng.integers(0, 12)))
            lat, lon = 41.75 + rng.uniform(0, 0.2), -87.80 + rng.uniform(0, 0.2)
        else:
            when = LAST - timedelta(days=int(rng.integers(0, 3)), hours=int(rng.integers(0, 12)))
            lat, lon = SPREE[0] + rng.normal(0, 0.001), SPREE[1] + rng.normal(0, 0.001)
            spree_ids.add(str(500_000 + j))
        portal.append(robbery_at(500_000 + j, "JB", f"{when:%m/%d/%Y %I:%M:%S %p}", lat, lon))
    crimes, clearance = tmp_path / "crimes.csv", tmp_path / "clearance.csv"
    with crimes.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PORTAL_CSV_HEADER)
        w.writerows([r[h] for h in PORTAL_CSV_HEADER] for r in portal)
    with clearance.open("w", newline="") as fh:
        dw = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        dw.writeheader()
        dw.writerows(cpd)
    db = tmp_path / "w.duckdb"
    con = connect(db)
    load_incidents(con, crimes)
    con.close()
    return db, clearance, spree_ids


def run(db: Path, clearance: Path) -> tuple[dict, dict]:
    runner = CliRunner()
    common = ["--db", str(db), "--format", "json"]
    c = runner.invoke(
        app, ["solve", "clusters", "--clearance", str(clearance), "--by", "area", *common]
    )
    s = runner.invoke(
        app,
        [
            "solve",
            "series",
            "--crime-type",
            "robbery",
            "--history",
            "180",
            "--permutations",
            "99",
            *common,
        ],
    )
    assert c.exit_code == 0, c.output
    assert s.exit_code == 0, s.output
    return json.loads(c.stdout), json.loads(s.stdout)


@pytest.mark.parametrize("planted", [True, False])
def test_planted_group_and_spree_are_found_and_nothing_else(tmp_path: Path, planted: bool) -> None:
    db, clearance, spree = build(tmp_path, planted)
    clusters, series = run(db, clearance)
    flagged = [g["area"] for g in clusters["groups"] if g["flagged"]]
    if planted:
        assert flagged == ["7"]
        first = {str(m["id"]) for m in series["incidents"][0]}
        assert len(first & spree) >= 20 and series["series"][0]["p"] <= 0.05
    else:
        assert flagged == [] and series["series"] == []
