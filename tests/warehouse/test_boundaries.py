"""Boundary files (GeoJSON, zipped shapefile) and filling areas from coordinates."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import duckdb
import pytest
import shapefile

from conftest import WriteCsv, portal_row
from safer77.errors import InvalidInput
from safer77.warehouse import list_quarantine, load_boundaries, load_incidents

# Two unit-ish squares side by side (lon/lat), areas 1 and 2:
#   (-87.70,41.80) ── (-87.65,41.80) ── (-87.60,41.80)
#        │     area 1     │     area 2     │
#   (-87.70,41.75) ── (-87.65,41.75) ── (-87.60,41.75)
SQUARES = {
    1: [[-87.70, 41.75], [-87.65, 41.75], [-87.65, 41.80], [-87.70, 41.80], [-87.70, 41.75]],
    2: [[-87.65, 41.75], [-87.60, 41.75], [-87.60, 41.80], [-87.65, 41.80], [-87.65, 41.75]],
}


def geojson(path: Path, key_prop: str, extra: list[dict[str, object]] | None = None) -> Path:
    feats: list[dict[str, object]] = [
        {
            "type": "Feature",
            "properties": {key_prop: str(k), "community": f"AREA {k}"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for k, ring in SQUARES.items()
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats + (extra or [])}))
    return path


def test_geojson_loads_and_bad_features_are_quarantined(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    bad = {
        "type": "Feature",
        "properties": {"community": "NO NUMBER"},
        "geometry": {"type": "Polygon", "coordinates": [SQUARES[1]]},
    }
    r = load_boundaries(
        con, "community-areas", geojson(tmp_path / "ca.geojson", "area_numbe", [bad])
    )
    assert (r.read, r.loaded, r.quarantined) == (3, 2, 1)
    assert con.execute("SELECT key, name FROM boundaries ORDER BY key").fetchall() == [
        (1, "AREA 1"),
        (2, "AREA 2"),
    ]
    assert [q["line"] for q in list_quarantine(con)] == [3]


def test_zipped_state_plane_shapefile_is_reprojected(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # The Loop's corner in Illinois East State Plane feet, as the City's shapefiles have it.
    shp = tmp_path / "beats"
    with shapefile.Writer(str(shp), shapeType=shapefile.POLYGON) as w:
        w.field("BEAT_NUM", "C", 4)
        w.poly(
            [
                [
                    (1174000, 1898000),
                    (1180000, 1898000),
                    (1180000, 1904000),
                    (1174000, 1904000),
                    (1174000, 1898000),
                ]
            ]
        )
        w.record("0111")
    z = tmp_path / "beats.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for ext in ("shp", "shx", "dbf"):
            zf.write(f"{shp}.{ext}", f"beats.{ext}")
    load_boundaries(con, "beats", z)
    import shapely

    geom = shapely.from_wkb(bytes(con.execute("SELECT geometry FROM boundaries").fetchall()[0][0]))
    minx, miny, maxx, maxy = geom.bounds
    assert -87.66 < minx < maxx < -87.60 and 41.86 < miny < maxy < 41.90  # near State & Madison


def test_unknown_kind_and_format_are_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="unknown boundary kind"):
        load_boundaries(con, "precincts", geojson(tmp_path / "a.geojson", "ward"))
    txt = tmp_path / "a.txt"
    txt.write_text("hello")
    with pytest.raises(InvalidInput):
        load_boundaries(con, "wards", txt)


def test_missing_area_filled_from_coordinates_source_value_kept(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, write_csv: WriteCsv
) -> None:
    load_boundaries(con, "community_areas", geojson(tmp_path / "ca.geojson", "area_numbe"))
    rows = [
        portal_row(id="1", community_area="", latitude="41.77", longitude="-87.62"),  # area 2
        portal_row(id="2", community_area="0", latitude="41.77", longitude="-87.68"),  # area 1
        portal_row(id="3", community_area="55", latitude="41.77", longitude="-87.68"),  # kept
        portal_row(
            id="4", community_area="", latitude="", longitude="", x_coordinate="", y_coordinate=""
        ),  # nowhere to place it
        portal_row(
            id="5",
            community_area="",
            latitude="",
            longitude="",
            x_coordinate="1176346",
            y_coordinate="1900981",
        ),  # State Plane, not in a square
    ]
    r = load_incidents(con, write_csv("c.csv", rows))
    assert r.geo_assigned == 2
    got = con.execute(
        "SELECT id, community_area, geo_assigned FROM incidents ORDER BY id"
    ).fetchall()
    assert got == [
        (1, 2, "community_area"),
        (2, 1, "community_area"),
        (3, 55, None),
        (4, None, None),
        (5, None, None),
    ]


def test_boundaries_loaded_after_crimes_still_place_them(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, write_csv: WriteCsv
) -> None:
    rows = [
        portal_row(id="1", community_area="", latitude="41.77", longitude="-87.62"),  # area 2
        # no lat/lon, only State Plane feet: (-87.68, 41.77) is (1162473, 1859456)
        portal_row(
            id="2",
            community_area="",
            latitude="",
            longitude="",
            x_coordinate="1162473",
            y_coordinate="1859456",
        ),
        portal_row(id="3", community_area="44", latitude="41.77", longitude="-87.62"),  # kept
    ]
    load_incidents(con, write_csv("first.csv", rows))
    assert con.execute("SELECT count(community_area) FROM incidents").fetchall() == [(1,)]
    r = load_boundaries(con, "community_areas", geojson(tmp_path / "ca.geojson", "area_numbe"))
    assert r.geo_assigned == 2
    got = con.execute("SELECT id, community_area, geo_assigned FROM incidents ORDER BY id")
    assert got.fetchall() == [(1, 2, "community_area"), (2, 1, "community_area"), (3, 44, None)]

    # New polygons (the two areas swapped): placements made from coordinates follow them,
    # values from the source do not change.
    swapped = tmp_path / "swapped.geojson"
    swapped.write_text(
        (tmp_path / "ca.geojson")
        .read_text()
        .replace('"1"', '"X"')
        .replace('"2"', '"1"')
        .replace('"X"', '"2"')
    )
    load_boundaries(con, "community_areas", swapped)
    got = con.execute("SELECT id, community_area, geo_assigned FROM incidents ORDER BY id")
    assert got.fetchall() == [(1, 1, "community_area"), (2, 2, "community_area"), (3, 44, None)]
