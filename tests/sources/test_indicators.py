"""Community-area indicator tables: mappings, refusal of bad files with file/line/field, atomic
and idempotent loads, and the real tables in ../shared/data."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import pytest

from safer77.errors import InvalidInput
from safer77.warehouse.indicators import load_indicators

MAPPING = """
[source]
title = "test table"
year = 2020
area = "Area"
city_total = { column = "Name", value = "CHICAGO" }

[indicators.poverty_pct]
column = "Poverty"
unit = "%"
description = "Households in poverty"
root_cause = "economic"

[indicators.no_internet_pct]
ratio = ["NoNet", "Households"]
scale = 100
unit = "%"
description = "Households without internet"
root_cause = "internet"
"""


def table(tmp_path: Path, rows: list[dict[str, str]], name: str = "t.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["Area", "Name", "Poverty", "NoNet", "Households"])
        w.writeheader()
        w.writerows(rows)
    return path


def good_rows() -> list[dict[str, str]]:
    rows = [
        {
            "Area": str(a),
            "Name": f"Area {a}",
            "Poverty": f"{a / 2:.1f}",
            "NoNet": str(a),
            "Households": "200",
        }
        for a in range(1, 78)
    ]
    rows.append({"Area": "", "Name": "CHICAGO", "Poverty": "19.7", "NoNet": "", "Households": ""})
    return rows


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(MAPPING)
    return path


def test_a_good_table_loads_every_area_and_reloads_to_the_same(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, mapping: Path
) -> None:
    path = table(tmp_path, good_rows())
    first = load_indicators(con, path, mapping)
    assert (first.rows, first.indicators, first.values, first.missing) == (78, 2, 154, 0)
    again = load_indicators(con, path, mapping)
    assert again.values == first.values
    assert con.execute("SELECT count(*) FROM indicators").fetchall() == [(154,)]
    (value,) = con.execute(
        "SELECT value FROM indicators WHERE community_area = 40 AND indicator = 'no_internet_pct'"
    ).fetchall()[0]
    assert value == pytest.approx(40 / 200 * 100)
    assert con.execute("SELECT count(*) FROM load_log WHERE kind = 'indicators'").fetchall() == [
        (2,)
    ]


@pytest.mark.parametrize(
    ("edit", "line", "field", "message"),
    [
        (lambda r: r[4].update(Area=""), 6, "Area", "no community area"),
        (lambda r: r[4].update(Area="3"), 6, "Area", "appears twice (first at line 4)"),
        (lambda r: r[9].update(Poverty="n/a"), 11, "Poverty", "not a number"),
        (lambda r: r[9].update(Area="78"), 11, "Area", "not a community area"),
        (lambda r: r.pop(20), None, "Area", "1 community area(s) missing: 21"),
    ],
)
def test_bad_tables_are_refused_whole_naming_file_line_and_field(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    mapping: Path,
    edit: object,
    line: int | None,
    field: str,
    message: str,
) -> None:
    load_indicators(con, table(tmp_path, good_rows(), "before.csv"), mapping)
    rows = good_rows()
    edit(rows)  # type: ignore[operator]
    path = table(tmp_path, rows)
    with pytest.raises(InvalidInput, match=re.escape(message)) as err:
        load_indicators(con, path, mapping)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), line, field)
    # nothing changed: the earlier load is intact
    assert con.execute("SELECT count(*) FROM indicators").fetchall() == [(154,)]


def test_unknown_column_and_unknown_indicator(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, mapping: Path
) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Area,Name,Poverty\n1,x,3\n")
    with pytest.raises(InvalidInput, match="no column 'NoNet'") as err:
        load_indicators(con, path, mapping)
    assert (err.value.line, err.value.field) == (1, "NoNet")
    load_indicators(con, table(tmp_path, good_rows(), "ok.csv"), mapping)
    long = tmp_path / "long.csv"
    long.write_text("community_area,indicator,value\n1,poverty_pct,4.5\n2,vibes_index,3\n")
    with pytest.raises(InvalidInput, match="unknown indicator 'vibes_index'") as err:
        load_indicators(con, long)
    assert (err.value.line, err.value.field) == (3, "indicator")
    long.write_text("community_area,indicator,value\n1,poverty_pct,4.5\n")
    assert load_indicators(con, long).values == 1
    assert con.execute(
        "SELECT value FROM indicators WHERE community_area = 1 AND indicator = 'poverty_pct'"
    ).fetchall() == [(4.5,)]


def test_geojson_tables_name_the_feature(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, mapping: Path
) -> None:
    feats = [
        {
            "type": "Feature",
            "geometry": None,
            "properties": {"Area": a, "Name": "x", "Poverty": 1.0, "NoNet": 1, "Households": 10},
        }
        for a in range(1, 78)
    ]
    feats[5]["properties"]["Poverty"] = "lots"
    path = tmp_path / "t.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    with pytest.raises(InvalidInput, match="feature 6: not a number") as err:
        load_indicators(con, path, mapping)
    assert err.value.field == "Poverty"


@pytest.mark.realdata
def test_real_indicator_tables(con: duckdb.DuckDBPyConnection, shared_data: Path) -> None:
    folder = shared_data / "indicators"
    loads = {
        "census-2008-2012": folder / "census_2008_2012_socioeconomic_by_community_area.csv",
        "cmap-2020": folder / "cmap_community_snapshot_2020_by_community_area.geojson",
        "public-health-2005-2011": folder
        / "public_health_indicators_2005_2011_by_community_area.geojson",
    }
    for name, path in loads.items():
        result = load_indicators(con, path, name)
        assert result.missing == 0, name
    per_indicator = con.execute(
        "SELECT indicator, count(DISTINCT community_area) FROM indicators GROUP BY 1"
    ).fetchall()
    assert len(per_indicator) == 14 and all(n == 77 for _, n in per_indicator)
    # independent recomputation: Python's csv and json, not the loader
    with loads["census-2008-2012"].open() as fh:
        census = {r["Community Area Number"]: r for r in csv.DictReader(fh)}
    cmap = json.loads(loads["cmap-2020"].read_text())["features"]
    englewood = next(f["properties"] for f in cmap if int(f["properties"]["GEOID"]) == 68)
    got = dict(
        con.execute("SELECT indicator, value FROM indicators WHERE community_area = 68").fetchall()
    )
    assert got["poverty_pct"] == float(census["68"]["PERCENT HOUSEHOLDS BELOW POVERTY"])
    assert got["no_internet_pct"] == pytest.approx(
        englewood["NOINTERNET"] / englewood["TOT_HH"] * 100
    )


def test_tract_rows_are_averaged_per_area_weighted_by_population(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    mapping = tmp_path / "tracts.toml"
    mapping.write_text(
        '[source]\narea = "ca"\naggregate = "weighted_mean"\nweight = "pop"\n'
        '[indicators.uninsured_pct]\ncolumn = "unins"\nunit = "%"\n'
    )
    feats = [{"properties": {"ca": a, "pop": 100, "unins": 10.0}} for a in range(2, 78)]
    feats += [
        {"properties": {"ca": 1, "pop": 1000, "unins": 10.0}},
        {"properties": {"ca": 1, "pop": 3000, "unins": 30.0}},
        {"properties": {"ca": 1, "pop": 0, "unins": 99.0}},  # nobody lives there: no weight
    ]
    path = tmp_path / "tracts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    result = load_indicators(con, path, mapping)
    assert (result.rows, result.values) == (79, 77)
    (value,) = con.execute(
        "SELECT value FROM indicators WHERE community_area = 1 AND indicator = 'uninsured_pct'"
    ).fetchall()[0]
    assert value == pytest.approx((1000 * 10 + 3000 * 30) / 4000)


@pytest.mark.realdata
def test_real_sdoh_tracts_to_areas(con: duckdb.DuckDBPyConnection, shared_data: Path) -> None:
    import gzip

    path = shared_data / "indicators" / "chicago_sdoh_2014_by_tract.geojson.gz"
    result = load_indicators(con, path, "sdoh-2014-tracts")
    assert (result.rows, result.values, result.missing) == (791, 308, 0)
    tracts = [
        f["properties"]
        for f in json.loads(gzip.decompress(path.read_bytes()))["features"]
        if f["properties"]["commarea"] == 68 and f["properties"]["Pop2014"]
    ]
    expected = sum(t["Pop2014"] * t["MEANMI_14"] for t in tracts) / sum(
        t["Pop2014"] for t in tracts
    )
    (value,) = con.execute(
        "SELECT value FROM indicators WHERE community_area = 68 "
        "AND indicator = 'supermarket_distance_mi'"
    ).fetchall()[0]
    assert value == pytest.approx(expected)
