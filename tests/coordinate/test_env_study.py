"""311 environment tables from a hand-built warehouse: two square community areas, a few
requests and homicides placed on them, each figure counted independently from the inputs."""

from __future__ import annotations

import csv
import json
import statistics
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from safer77.cli import app
from safer77.coordinate.env_study import fix_first, repair_times, risk_terrain
from safer77.errors import NotFound
from safer77.schema import PORTAL_CSV_HEADER
from safer77.warehouse import connect, load_boundaries, load_incidents
from safer77.warehouse.city311 import load_311
from tests.conftest import homicide_row
from tests.sources.test_city311 import LEGACY, legacy, write

# Two 0.03 x 0.03 degree squares (about 2.5 x 3.3 km) side by side.
SQUARES = {1: (-87.70, 41.80), 2: (-87.67, 41.80)}
# Request points, each well inside its square and more than a kilometre from the others.
P = {"a": (-87.69, 41.81), "b": (-87.68, 41.825), "c": (-87.655, 41.81)}
REQUESTS = [  # number, point, area, created, closed ("" = still open)
    ("12-1", "a", 1, "01/05/2012", ""),
    ("12-2", "b", 1, "01/03/2012", "01/10/2012"),
    ("12-3", "c", 2, "06/01/2012", ""),
    ("12-4", "b", 1, "02/01/2012", "02/04/2012"),
]
HOMICIDES = [  # point, date
    ("a", "03/15/2012 10:00:00 PM"),
    ("a", "07/04/2012 01:00:00 AM"),
    ("a", "11/30/2012 11:00:00 PM"),
    ("c", "02/10/2012 09:00:00 PM"),  # before 12-3 was made
    ("c", "12/01/2012 09:00:00 PM"),
    ("b", "08/01/2012 09:00:00 PM"),  # 12-2 and 12-4 were closed by then
]


def geojson(path: Path) -> Path:
    feats = []
    for key, (x, y) in SQUARES.items():
        ring = [[x, y], [x + 0.03, y], [x + 0.03, y + 0.03], [x, y + 0.03], [x, y]]
        feats.append(
            {
                "type": "Feature",
                "properties": {"area_numbe": str(key), "community": f"AREA {key}"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    con = connect(db)
    load_boundaries(con, "community_areas", geojson(tmp_path / "areas.geojson"))
    rows = [
        legacy(
            num,
            **{
                "Longitude": str(P[pt][0]),
                "Latitude": str(P[pt][1]),
                "Community Area": str(area),
                "Creation Date": made,
                "Completion Date": closed,
                "Status": "Completed" if closed else "Open",
            },
        )
        for num, pt, area, made, closed in REQUESTS
    ]
    load_311(con, write(tmp_path / "311.csv", LEGACY, rows))
    crimes = tmp_path / "crimes.csv"
    with crimes.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PORTAL_CSV_HEADER)
        for i, (pt, when) in enumerate(HOMICIDES):
            row = homicide_row(
                500 + i,
                when,
                case_number=f"JB{500 + i}",
                community_area="1" if P[pt][0] < -87.67 else "2",
                longitude=str(P[pt][0]),
                latitude=str(P[pt][1]),
                x_coordinate="",
                y_coordinate="",
                year="2012",
            )
            w.writerow([row[h] for h in PORTAL_CSV_HEADER])
    load_incidents(con, crimes)
    con.close()
    return db


def open_con(db: Path) -> duckdb.DuckDBPyConnection:
    return connect(db, read_only=True)


def test_repair_times_by_area(warehouse: Path) -> None:
    con = open_con(warehouse)
    rows = {r["community_area"]: r for r in repair_times(con, date(2012, 1, 1), date(2012, 12, 31))}
    days = {1: [7, 3], 2: []}  # 12-2: Jan 3 -> 10, 12-4: Feb 1 -> 4; 12-1 and 12-3 still open
    assert rows[1]["median_days"] == statistics.median(days[1]) and rows[1]["closed"] == 2
    assert rows[1]["requests"] == 3 and rows[1]["open_at_end"] == 1
    assert rows[2]["median_days"] is None and rows[2]["open_at_end"] == 1
    assert rows[None]["requests"] == 4 and rows[None]["open_at_end"] == 2


def test_risk_terrain_counts_incidents_near_open_requests(warehouse: Path) -> None:
    con = open_con(warehouse)
    (row,) = risk_terrain(
        con, date(2012, 1, 1), date(2012, 12, 31), permutations=199, seed=3, cell_m=200
    )
    # Near a request open that month: the three at a (open all year) and December's at c.
    assert (row["inc_exposed"], row["inc_other"]) == (4, 2)
    assert row["kind"] == "street_light" and row["requests"] == 4
    again = risk_terrain(
        con, date(2012, 1, 1), date(2012, 12, 31), permutations=199, seed=3, cell_m=200
    )
    assert again == [row]
    assert row["rr"] is not None and row["rr"] > 1 and 0 < row["p"] <= 1


def test_fix_first_ranks_by_violence_nearby(warehouse: Path) -> None:
    con = open_con(warehouse)
    rows = fix_first(con, date(2012, 12, 31), cell_m=200)
    got = [(r["community_area"], r["rank"], r["request_number"], r["violent_nearby"]) for r in rows]
    assert got == [(1, 1, "12-1", 3), (2, 1, "12-3", 2)]
    assert rows[0]["days_open"] == (date(2012, 12, 31) - date(2012, 1, 5)).days


def test_without_311_data_the_error_says_what_to_load(tmp_path: Path) -> None:
    con = connect(tmp_path / "empty.duckdb")
    with pytest.raises(NotFound, match="ingest 311"):
        repair_times(con, date(2012, 1, 1), date(2012, 2, 1))


def test_environment_commands(warehouse: Path) -> None:
    runner = CliRunner()
    common = ["--db", str(warehouse), "--format", "json"]
    r = runner.invoke(
        app, ["coordinate", "repair-times", "--from", "2012-01-01", "--to", "2012-12-31", *common]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["areas"][0]["requests"] == 4
    r = runner.invoke(
        app,
        [
            "coordinate",
            "risk-terrain",
            "--from",
            "2012-01-01",
            "--to",
            "2012-12-31",
            "--cell",
            "200",
            "--permutations",
            "99",
            *common,
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)[0]["inc_exposed"] == 4
    r = runner.invoke(
        app, ["coordinate", "fix-first", "--as-of", "2012-12-31", "--cell", "200", *common]
    )
    assert [x["request_number"] for x in json.loads(r.stdout)] == ["12-1", "12-3"]
    r = runner.invoke(app, ["coordinate", "repair-times", "--from", "2012-13-01", "--to", "x"])
    assert r.exit_code != 0 and "not a date" in r.output
