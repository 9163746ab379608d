"""Victims of homicides and non-fatal shootings: the City's layout and GVA's, names never
stored, areas from numbers, names or points, bad rows quarantined, and the city's priority
rule on victims equal to an independent count."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from safer77.coordinate.ranking import PriorityOptions, priority_table
from safer77.errors import InvalidInput
from safer77.warehouse import connect, load_boundaries
from safer77.warehouse.victims import load_victims
from tests.conftest import table_rows
from tests.coordinate.test_env_study import P, geojson
from tests.sources.test_city311 import write

CITY = [
    "UNIQUE_ID",
    "CASE_NUMBER",
    "DATE",
    "BLOCK",
    "VICTIMIZATION_PRIMARY",
    "GUNSHOT_INJURY_I",
    "COMMUNITY_AREA",
    "DISTRICT",
    "AGE",
    "SEX",
    "RACE",
    "HOMICIDE_VICTIM_FIRST_NAME",
    "HOMICIDE_VICTIM_LAST_NAME",
    "LATITUDE",
    "LONGITUDE",
]
GVA = ["Incident ID", "Incident Date", "State", "City Or County", "Victims Killed"]
GVA += ["Victims Injured", "latitude", "longitude"]


def victim(uid: str, **kw: str) -> dict[str, str]:
    row = {
        "UNIQUE_ID": uid,
        "CASE_NUMBER": "JD100" + uid,
        "DATE": "06/01/2019 11:30:00 PM",
        "BLOCK": "063XX S HALSTED ST",
        "VICTIMIZATION_PRIMARY": "BATTERY",
        "GUNSHOT_INJURY_I": "YES",
        "COMMUNITY_AREA": "1",
        "DISTRICT": "7",
        "AGE": "20-29",
        "SEX": "M",
        "RACE": "BLK",
        "HOMICIDE_VICTIM_FIRST_NAME": "",
        "HOMICIDE_VICTIM_LAST_NAME": "",
        "LATITUDE": "",
        "LONGITUDE": "",
    }
    row.update(kw)
    return row


def test_city_layout_areas_from_number_name_or_point_and_names_never_stored(
    tmp_path: Path,
) -> None:
    con = connect(":memory:")
    load_boundaries(con, "community_areas", geojson(tmp_path / "areas.geojson"))
    rows = [
        victim("1"),
        victim(
            "2",
            VICTIMIZATION_PRIMARY="HOMICIDE",
            COMMUNITY_AREA="area 2",
            HOMICIDE_VICTIM_FIRST_NAME="Zebedee",
            HOMICIDE_VICTIM_LAST_NAME="Quixote",
        ),
        victim("3", COMMUNITY_AREA="", LATITUDE=str(P["c"][1]), LONGITUDE=str(P["c"][0])),
        victim("4", COMMUNITY_AREA=""),
    ]
    r = load_victims(con, write(tmp_path / "v.csv", CITY, rows))
    assert (r.rows, r.victims, r.loaded, r.unplaced) == (4, 4, 4, 1)
    got = dict(con.execute("SELECT victim_key, community_area FROM victims").fetchall())
    assert got == {"1": 1, "2": 2, "3": 2, "4": None}
    kinds = Counter(k for (k,) in con.execute("SELECT kind FROM victims").fetchall())
    assert kinds == {"nonfatal_shooting": 3, "homicide": 1}
    everything = repr(table_rows(con, "victims"))
    assert "Zebedee" not in everything and "Quixote" not in everything


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"DATE": "yesterday"}, "date", "not a date"),
        ({"GUNSHOT_INJURY_I": "MAYBE"}, "gunshot_injury_i", "YES/NO"),
        ({"GUNSHOT_INJURY_I": "NO"}, "gunshot_injury_i", "without a gunshot"),
        ({"COMMUNITY_AREA": "99"}, "community_area", "not 1-77"),
        ({"UNIQUE_ID": ""}, "unique_id", "no victim id"),
        ({"LATITUDE": "40.0", "LONGITUDE": "-75.0"}, "latitude", "outside Chicago"),
    ],
)
def test_bad_rows_are_quarantined(
    tmp_path: Path, change: dict[str, str], field: str, words: str
) -> None:
    con = connect(":memory:")
    r = load_victims(con, write(tmp_path / "v.csv", CITY, [victim("1"), victim("2", **change)]))
    assert (r.loaded, r.quarantined) == (1, 1)
    ((line, got_field, reason),) = con.execute(
        "SELECT line, field, reason FROM quarantine"
    ).fetchall()
    assert (line, got_field) == (3, field) and words in reason


def test_gva_rows_become_victims_and_other_places_are_counted(tmp_path: Path) -> None:
    rows = [
        {"Incident ID": "10", "Incident Date": "July 4, 2020", "State": "Illinois"}
        | {"City Or County": "Chicago", "Victims Killed": "1", "Victims Injured": "3"},
        {"Incident ID": "11", "Incident Date": "July 5, 2020", "State": "Ohio"}
        | {"City Or County": "Columbus", "Victims Killed": "0", "Victims Injured": "4"},
        {"Incident ID": "12", "Incident Date": "July 6, 2020", "State": "Illinois"}
        | {"City Or County": "Chicago", "Victims Killed": "two", "Victims Injured": "3"},
        {"Incident ID": "13", "Incident Date": "July 7, 2020", "State": "Illinois"}
        | {"City Or County": "Chicago", "Victims Killed": "0", "Victims Injured": "0"},
    ]
    path = write(tmp_path / "gva.csv", GVA, rows)
    con = connect(":memory:")
    r = load_victims(con, path)
    assert (r.rows, r.victims, r.loaded, r.quarantined, r.elsewhere) == (4, 4, 4, 2, 1)
    assert Counter(k for (k,) in con.execute("SELECT kind FROM victims").fetchall()) == {
        "homicide": 1,
        "nonfatal_shooting": 3,
    }
    before = table_rows(con, "victims")
    again = load_victims(con, path)
    assert (again.loaded, again.duplicates) == (0, 4) and table_rows(con, "victims") == before


def test_neither_layout_is_refused_whole(tmp_path: Path) -> None:
    con = connect(":memory:")
    with pytest.raises(InvalidInput) as err:
        load_victims(con, write(tmp_path / "x.csv", ["a", "b"], [{"a": "1"}]))
    assert err.value.line == 1 and "victims" in str(err.value)


def test_priority_rule_on_real_gva_victims_equals_an_independent_count(
    shared_data: Path,
) -> None:
    areas_file = shared_data / "boundaries" / "community_areas_with_pop_2000_2010.geojson"
    gva = shared_data / "shootings" / "gva_mass_shootings_2013_2025.csv"
    con = connect(":memory:")
    load_boundaries(con, "community_areas", areas_file)
    load_victims(con, gva)
    # Independently: Chicago rows of 2018-2022, placed with shapely, victims summed.
    polys = [
        (int(f["properties"]["NID"]), shape(f["geometry"]))
        for f in json.loads(areas_file.read_text())["features"]
    ]
    totals: Counter[int] = Counter()
    with gva.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if (row["City Or County"], row["State"]) != ("Chicago", "Illinois"):
                continue
            if not 2018 <= int(row["Incident Date"][-4:]) <= 2022:
                continue
            point = shapely.Point(float(row["longitude"]), float(row["latitude"]))
            area = next((k for k, poly in polys if poly.contains(point)), None)
            if area is not None:
                totals[area] += int(row["Victims Killed"]) + int(row["Victims Injured"])
    expected = sorted(totals, key=lambda a: (-totals[a], a))[:10]
    result = priority_table(
        con,
        PriorityOptions(
            start=2018, end=2022, top=10, victim_kinds=("homicide", "nonfatal_shooting")
        ),
    )
    top = [r["community_area"] for r in result.rows if r["city_rule_top"]]
    assert top == expected
    assert result.rows[0]["victims_per_year"] == pytest.approx(totals[expected[0]] / 5)


def test_ingest_victims_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from safer77.cli import app

    path = write(tmp_path / "v.csv", CITY, [victim("1"), victim("2", DATE="never")])
    db = tmp_path / "w.duckdb"
    r = CliRunner().invoke(
        app, ["ingest", "victims", str(path), "--db", str(db), "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    (got,) = json.loads(r.stdout)
    assert (got["loaded"], got["quarantined"]) == (1, 1)
    r = CliRunner().invoke(
        app,
        ["coordinate", "priority", "--db", str(db), "--victims", "shootings", "--from", "2019"],
    )
    assert r.exit_code != 0 and "unknown victim kind" in r.output


def test_a_victim_who_died_stays_a_homicide_whatever_the_order(tmp_path: Path) -> None:
    first = write(tmp_path / "a.csv", CITY, [victim("V1")])
    later = write(tmp_path / "b.csv", CITY, [victim("V1", VICTIMIZATION_PRIMARY="HOMICIDE")])
    for order in ((first, later), (later, first)):
        con = connect(":memory:")
        for f in order:
            load_victims(con, f)
        assert con.execute("SELECT kind FROM victims").fetchall() == [("homicide",)]
