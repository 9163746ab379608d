"""The synthetic city: deterministic, in the portal's schema, and geographically consistent.

The CSV is read back with the standard library's ``csv`` module and the polygons from the
GeoJSON files, so these checks do not share code with the writer.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from typer.testing import CliRunner

from safer77.errors import InvalidInput
from safer77.schema import IUCR_PREFIX_PRIMARY_TYPE, PORTAL_CSV_HEADER, categorise
from safer77.synth import SynthCity, offense_table, synth_crimes, synth_geography
from safer77.synth_geo import REAL_DISTRICTS, write_boundaries

PORTAL_DATE = "%m/%d/%Y %I:%M:%S %p"
ROWS = 20_000


@pytest.fixture(scope="module")
def city() -> SynthCity:
    return synth_geography(77)


@pytest.fixture(scope="module")
def boundaries(city: SynthCity, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("boundaries")
    paths = write_boundaries(city, folder)
    return {k: json.loads(p.read_text(encoding="utf-8")) for k, p in paths.items()}


@pytest.fixture(scope="module")
def table(city: SynthCity, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    out = tmp_path_factory.mktemp("synth") / "crimes.csv"
    synth_crimes(rows=ROWS, seed=77, out=out, city=city, chunk_rows=7_000)
    with out.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        assert tuple(header) == PORTAL_CSV_HEADER
        return [dict(zip(header, row, strict=True)) for row in reader]


def _column(rows: list[dict[str, str]], name: str) -> list[str]:
    return [r[name] for r in rows]


def test_same_seed_same_bytes_and_different_seed_differs(city: SynthCity, tmp_path: Path) -> None:
    def make(name: str, seed: int) -> bytes:
        out = tmp_path / name
        synth_crimes(rows=3_000, seed=seed, out=out, city=city, chunk_rows=1_000)
        return out.read_bytes()

    assert make("a.csv", 5) == make("b.csv", 5)
    assert make("c.csv", 6) != make("a.csv", 5)
    gz = make("a.csv.gz", 5)
    assert gz == make("b.csv.gz", 5)
    assert gzip.decompress(gz) == make("a.csv", 5)


@pytest.mark.slow
def test_geography_is_deterministic_per_seed(city: SynthCity) -> None:
    again = synth_geography(77)
    assert np.array_equal(again.beat_number, city.beat_number)
    assert all(a.equals(b) for a, b in zip(again.beat_sp, city.beat_sp, strict=True))
    assert not np.array_equal(synth_geography(78).beat_site, city.beat_site)


def test_header_only_for_zero_rows(city: SynthCity, tmp_path: Path) -> None:
    out = tmp_path / "empty.csv"
    result = synth_crimes(rows=0, seed=1, out=out, city=city)
    assert result.rows == 0
    assert out.read_text(encoding="utf-8").strip() == ",".join(PORTAL_CSV_HEADER)


def test_rejects_unknown_suffix(city: SynthCity, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"\.csv or \.csv\.gz"):
        synth_crimes(rows=10, seed=1, out=tmp_path / "x.parquet", city=city)


def test_rows_ids_and_case_numbers(table: list[dict[str, str]]) -> None:
    assert len(table) == ROWS
    ids = [int(v) for v in _column(table, "ID")]
    assert len(set(ids)) == ROWS
    assert ids == sorted(ids)  # chunks arrive in order
    cases = _column(table, "Case Number")
    assert len(set(cases)) == ROWS
    assert all(re.fullmatch(r"J[A-Z]\d{6}", c) for c in cases)


def test_formats_match_the_portal(table: list[dict[str, str]]) -> None:
    for r in table[:2_000]:
        assert re.fullmatch(r"[0-9]{3}[0-9A-Z]", r["IUCR"])
        assert re.fullmatch(r"\d{4}", r["Beat"]) and re.fullmatch(r"\d{3}", r["District"])
        assert int(r["Beat"]) // 100 == int(r["District"])
        assert 1 <= int(r["Ward"]) <= 50 and 1 <= int(r["Community Area"]) <= 77
        assert r["Arrest"] in ("true", "false") and r["Domestic"] in ("true", "false")
        assert re.fullmatch(r"(\d{3}XX|0000X) [NSEW] [A-Z0-9 .]+", r["Block"])
        assert re.fullmatch(r"\d+\.\d{9}", r["Latitude"])
        assert re.fullmatch(r"-\d+\.\d{9}", r["Longitude"])
        assert r["Location"] == f"({r['Latitude']}, {r['Longitude']})"


def test_fields_are_quoted_only_where_needed(city: SynthCity, tmp_path: Path) -> None:
    out = tmp_path / "q.csv"
    synth_crimes(rows=500, seed=9, out=out, city=city)
    lines = out.read_text(encoding="utf-8").splitlines()
    for line, fields in zip(lines, csv.reader(lines), strict=True):
        buffer = io.StringIO()
        csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="").writerow(fields)
        assert buffer.getvalue() == line


def test_dates_parse_and_fall_in_the_period(table: list[dict[str, str]]) -> None:
    for r in table:
        when = datetime.strptime(r["Date"], PORTAL_DATE)
        updated = datetime.strptime(r["Updated On"], PORTAL_DATE)
        assert date(2023, 1, 1) <= when.date() < date(2025, 1, 1)
        assert 0 < (updated - when).days <= 8
        assert int(r["Year"]) == when.year


def test_summer_is_busier_than_winter(table: list[dict[str, str]]) -> None:
    months = Counter(datetime.strptime(d, PORTAL_DATE).month for d in _column(table, "Date"))
    summer = sum(months[m] for m in (6, 7, 8)) / (30 + 31 + 31)
    winter = sum(months[m] for m in (12, 1, 2)) / (31 + 31 + 28.5)
    assert summer > 1.15 * winter


def test_every_point_lies_in_its_community_area(
    table: list[dict[str, str]], boundaries: dict[str, Any]
) -> None:
    areas = {
        int(f["properties"]["area_numbe"]): shape(f["geometry"])
        for f in boundaries["community_areas"]["features"]
    }
    assert sorted(areas) == list(range(1, 78))
    stated = np.array([int(v) for v in _column(table, "Community Area")])
    lon = np.array([float(v) for v in _column(table, "Longitude")])
    lat = np.array([float(v) for v in _column(table, "Latitude")])
    assert set(stated.tolist()) == set(range(1, 78))
    for number, poly in areas.items():
        m = stated == number
        assert shapely.contains_xy(poly, lon[m], lat[m]).all(), number


def test_beat_district_and_coordinates_agree_with_the_point(
    table: list[dict[str, str]], boundaries: dict[str, Any]
) -> None:
    beats = {
        f["properties"]["beat_num"]: shape(f["geometry"]) for f in boundaries["beats"]["features"]
    }
    lon = np.array([float(v) for v in _column(table, "Longitude")])
    lat = np.array([float(v) for v in _column(table, "Latitude")])
    stated = np.array(_column(table, "Beat"))
    inside = np.zeros(len(table), dtype=bool)
    for beat, poly in beats.items():
        m = stated == beat
        inside[m] = shapely.intersects_xy(poly, lon[m], lat[m])
    assert inside.all()
    assert len(set(stated.tolist())) > 250
    assert {int(d) for d in _column(table, "District")} == set(REAL_DISTRICTS)
    to_sp = Transformer.from_crs("EPSG:4326", "EPSG:3435", always_xy=True)
    x, y = to_sp.transform(lon, lat)
    assert np.abs(x - np.array([int(v) for v in _column(table, "X Coordinate")])).max() <= 1
    assert np.abs(y - np.array([int(v) for v in _column(table, "Y Coordinate")])).max() <= 1


def _rate(table: list[dict[str, str]], ptype: str, field: str) -> float:
    rows = [r for r in table if r["Primary Type"] == ptype]
    return sum(r[field] == "true" for r in rows) / len(rows)


def test_mix_and_arrest_rates_are_realistic(table: list[dict[str, str]]) -> None:
    shares = Counter(_column(table, "Primary Type"))
    assert 0.19 < shares["THEFT"] / ROWS < 0.26
    assert 0.15 < shares["BATTERY"] / ROWS < 0.21
    assert len(shares) >= 20
    assert _rate(table, "NARCOTICS", "Arrest") > 0.85 > 0.15 > _rate(table, "THEFT", "Arrest")
    assert _rate(table, "BATTERY", "Domestic") > 0.3
    violent = Counter(
        categorise(r["FBI Code"], r["Primary Type"], r["Description"]).category for r in table
    )
    assert 0.05 < violent["violent"] / ROWS < 0.2
    assert any(r["Description"].startswith("AGGRAVATED") for r in table if r["FBI Code"] == "04B")


def test_offense_catalogue_agrees_with_the_schema() -> None:
    off = offense_table()
    assert len(set(off.iucr)) == len(off.iucr)
    assert abs(off.share.sum() - 1) < 1e-9
    for ptype, iucr, desc, fbi in zip(off.ptype, off.iucr, off.description, off.fbi, strict=True):
        assert len(iucr) == 4
        # The FBI code and the primary-type fallback put each offense in the same category.
        assert categorise(fbi, ptype, desc) == categorise(None, ptype, desc), iucr
        assert IUCR_PREFIX_PRIMARY_TYPE.get(iucr[:2], ptype) == ptype, iucr


def test_boundaries_cover_the_city_and_nest(boundaries: dict[str, Any]) -> None:
    areas = [shape(f["geometry"]) for f in boundaries["community_areas"]["features"]]
    beats = boundaries["beats"]["features"]
    districts = {
        int(f["properties"]["dist_num"]): shape(f["geometry"])
        for f in boundaries["districts"]["features"]
    }
    city = shapely.union_all(areas)
    beat_polys = [shape(f["geometry"]) for f in beats]
    assert 250 <= len(beats) <= 300
    assert len({f["properties"]["beat_num"] for f in beats}) == len(beats)
    assert all(re.fullmatch(r"\d{4}", f["properties"]["beat_num"]) for f in beats)
    assert sorted(districts) == sorted(REAL_DISTRICTS)
    assert sum(p.area for p in beat_polys) == pytest.approx(city.area, rel=0.01)
    assert shapely.union_all(beat_polys).area == pytest.approx(city.area, rel=0.01)
    for f, poly in zip(beats, beat_polys, strict=True):
        inside = [d for d, dp in districts.items() if dp.contains(poly.point_on_surface())]
        assert inside == [int(f["properties"]["district"])], f["properties"]
    for d, poly in districts.items():  # compact: one main piece, at most slivers besides
        parts = sorted((p.area for p in shapely.get_parts(poly)), reverse=True)
        assert parts[0] > 0.97 * poly.area, d


def test_cli_writes_crimes_and_boundaries(tmp_path: Path) -> None:
    from safer77.cli.synth import app

    runner = CliRunner()
    out = tmp_path / "c.csv.gz"
    result = runner.invoke(app, ["crimes", "--rows", "500", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with gzip.open(out, "rt", encoding="utf-8") as f:
        assert sum(1 for _ in f) == 501
    assert (tmp_path / "c.csv.gz.synthetic.json").is_file() and "marked synthetic" in result.output
    result = runner.invoke(app, ["boundaries", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "beats.geojson").exists()
    result = runner.invoke(app, ["crimes", "--rows", "5", "--out", str(tmp_path / "x.txt")])
    assert result.exit_code == 2 and "csv" in result.output
