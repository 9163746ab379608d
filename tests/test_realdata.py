"""On the real Chicago data in ../shared/data (skipped when it is absent).

The recounts here share nothing with the ingest path: they read the files with plain DuckDB
(or Python's json) and count by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from safer77.cli import app

pytestmark = pytest.mark.slow  # every real file loaded

runner = CliRunner()
BOUNDARIES = {
    "community-areas": [
        "community_areas_with_pop_2000_2010.geojson",
        "community_areas_city_shapefile_2010.zip",
    ],
    "districts": ["police_districts_2014snapshot.geojson"],
    "beats": ["police_beats_2014snapshot.geojson"],
    "wards": ["wards_2023.geojson"],
}


def cli_json(*args: str) -> object:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def crime_files(shared: Path) -> list[Path]:
    return sorted(p for p in (shared / "crimes").iterdir() if p.is_file())


def test_every_crime_and_boundary_file_ingests(shared_data: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "all.duckdb")
    for kind, names in BOUNDARIES.items():
        for name in names:
            c = cli_json(
                "ingest", "boundaries", kind, str(shared_data / "boundaries" / name), "--db", db
            )
            assert isinstance(c, dict) and c["loaded"] > 0
            assert c["read"] == c["loaded"] + c["duplicates"] + c["quarantined"]
            print(f"{name}: {c}")
    files = crime_files(shared_data)
    assert len(files) >= 4
    for path in files:
        c = cli_json("ingest", "crimes", str(path), "--db", db)
        assert isinstance(c, dict)
        # cross-source rows: the incident was stored from another file
        kept = c["loaded"] + c["updated"] + c["cross_source"]
        assert c["read"] == kept + c["duplicates"] + c["quarantined"]
        assert kept > 0.99 * c["read"]
        print(f"{path.name}: {c}")
    again = [cli_json("ingest", "crimes", str(p), "--db", db) for p in files]
    assert all(isinstance(c, dict) and c["loaded"] == c["updated"] == 0 for c in again)


def _recount_csv(path: Path, column: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(month, area) → (incidents, arrests), straight from the CSV with plain DuckDB."""
    con = duckdb.connect()
    rows = con.execute(
        f"""
        SELECT strftime(coalesce(try_strptime("Date", '%m/%d/%Y %I:%M:%S %p'),
                                 TRY_CAST("Date" AS TIMESTAMP)), '%Y-%m') AS month,
               CAST(CAST(CAST("{column}" AS DOUBLE) AS INTEGER) AS VARCHAR) AS area,
               count(*), count(*) FILTER (WHERE lower("Arrest") = 'true')
        FROM read_csv(?, all_varchar = true, header = true)
        WHERE "{column}" IS NOT NULL AND CAST("{column}" AS DOUBLE) <> 0
        GROUP BY ALL
        """,
        [str(path)],
    ).fetchall()
    return {(m, a): (n, k) for m, a, n, k in rows}


def _ours(path: Path, by: str, tmp_path: Path) -> dict[tuple[str, str], tuple[int, int]]:
    db = str(tmp_path / f"{path.stem}.duckdb")
    c = cli_json("ingest", "crimes", str(path), "--db", db)
    assert isinstance(c, dict) and c["quarantined"] == 0 and c["duplicates"] == 0
    rows = cli_json("stats", "arrests", "--by", by, "--db", db)
    assert isinstance(rows, list)
    return {(r["month"], r["key"]): (r["incidents"], r["arrests"]) for r in rows}


@pytest.mark.parametrize(
    ("name", "by", "column"),
    [
        ("chicago_crimes_2015_h2o_10k.csv.gz", "district", "District"),
        ("chicago_homicides_2001_present.csv.gz", "district", "District"),
        ("chicago_crimes_2022_slim.csv.gz", "community-area", "Community Area"),
    ],
)
def test_monthly_counts_match_independent_recount(
    shared_data: Path, tmp_path: Path, name: str, by: str, column: str
) -> None:
    path = shared_data / "crimes" / name
    expected = _recount_csv(path, column)
    got = _ours(path, by, tmp_path)
    assert got == expected
    print(
        f"{name}: {len(got)} month x {by} cells, {sum(v[0] for v in got.values()):,} "
        "incidents, all equal to the recount"
    )


def test_geojson_carjackings_match_recount(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "crimes" / "chicago_carjackings_2020.geojson"
    feats = json.loads(path.read_text())["features"]
    expected: dict[tuple[str, str], int] = {}
    for f in feats:
        p = f["properties"]
        date = p["Date"]  # MM/DD/YYYY ...
        key = (f"{date[6:10]}-{date[0:2]}", str(int(p["District"])))
        expected[key] = expected.get(key, 0) + 1
    got = _ours(path, "district", tmp_path)
    assert {k: v[0] for k, v in got.items()} == expected
    assert all(v[1] is None for v in got.values())  # no Arrest field: unknown, not zero


def test_site_from_real_data_matches_a_recount(shared_data: Path, tmp_path: Path) -> None:
    import re

    db = str(tmp_path / "site.duckdb")
    crimes = shared_data / "crimes" / "chicago_crimes_2022_slim.csv.gz"
    cli_json(
        "ingest",
        "boundaries",
        "community-areas",
        str(shared_data / "boundaries" / "community_areas_with_pop_2000_2010.geojson"),
        "--db",
        db,
    )
    cli_json("ingest", "crimes", str(crimes), "--db", db)
    result = runner.invoke(app, ["publish", "--out", str(tmp_path / "site"), "--db", db])
    assert result.exit_code == 0, result.stderr
    recount = _recount_csv(crimes, "Community Area")
    month = max(m for m, _ in recount)
    for number, slug in (("25", "austin"), ("68", "englewood"), ("8", "near-north-side")):
        html = (tmp_path / "site" / "areas" / f"{number}-{slug}.html").read_text()
        shown = re.search(r'data-figure="incidents">([\d,]+)<', html)
        assert shown, number
        incidents, arrests = recount[(month, number)]
        assert int(shown.group(1).replace(",", "")) == incidents
        arrests_shown = re.search(r'data-figure="arrests">([\d,]+)<', html)
        assert arrests_shown and int(arrests_shown.group(1).replace(",", "")) == arrests
        print(
            f"area {number} {month}: {incidents} incidents, {arrests} arrests on the page and "
            "in the recount"
        )
