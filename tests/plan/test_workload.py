"""Workload per beat from the warehouse, and the severity table's errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import shapely

from safer77.errors import InvalidInput, NotFound
from safer77.plan.workload import beat_map, beat_workload, read_severity
from safer77.warehouse import city311

# Two beats side by side near the Loop (WGS84), and one community area over both.
LEFT = shapely.box(-87.64, 41.88, -87.63, 41.89)
RIGHT = shapely.box(-87.63, 41.88, -87.62, 41.89)
AREA = shapely.box(-87.64, 41.88, -87.62, 41.89)
LAKE = shapely.box(-87.60, 41.88, -87.59, 41.89)  # a community area with no beat


def _warehouse(con: duckdb.DuckDBPyConnection) -> None:
    for kind, key, geom in (
        ("beats", 111, LEFT),
        ("beats", 112, RIGHT),
        ("community_areas", 32, AREA),
        ("community_areas", 33, LAKE),
    ):
        con.execute(
            "INSERT INTO boundaries VALUES (?, ?, ?, ?, 'test')",
            [kind, key, str(key), shapely.to_wkb(geom)],
        )
    rows = [
        # (type, beat, area, lon, lat, block, month)
        ("HOMICIDE", None, None, -87.635, 41.885, None, "2022-03-01"),  # point in 111: 20
        ("THEFT", 112, None, None, None, None, "2022-03-01"),  # recorded beat 112: 1
        ("ROBBERY", None, 32, None, None, None, "2022-04-01"),  # spread 5 over 111 and 112
        ("BATTERY", 999, None, None, None, None, "2022-04-01"),  # nowhere: unplaced
        ("THEFT", 111, None, None, None, None, "2021-01-01"),  # outside the window
        # blocks seen with a point (outside the window: they only teach where blocks are)
        ("THEFT", None, None, -87.638, 41.885, "0000X W TEST ST", "2020-01-01"),  # hundred 0
        ("THEFT", None, None, -87.622, 41.885, "005XX W TEST ST", "2020-01-01"),
        ("THEFT", None, None, -87.636, 41.885, "004XX W FAR ST", "2020-01-01"),
        # blocks without a point
        ("ASSAULT", None, 32, None, None, "002XX W TEST ST", "2022-03-01"),  # -87.6316: 111, 2
        # the block's point is in area 32, not in 33 where the burglary was recorded: not
        # placed by it, and area 33 has no beat to spread it over
        ("BURGLARY", None, 33, None, None, "004XX W FAR ST", "2022-03-01"),
        ("KIDNAPPING", None, 32, None, None, "010XX S BARE AVE", "2022-04-01"),  # 311: 112, 6
        ("ARSON", None, 32, None, None, "020XX W TEST ST", "2022-04-01"),  # past the end: 4
    ]
    for n, (ptype, beat, area, lon, lat, block, month) in enumerate(rows):
        con.execute(
            "INSERT INTO incidents (incident_key, primary_type, beat, community_area, "
            "longitude, latitude, block, month, occurred_at, agency, source_file, load_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'CPD', 'test', 1)",
            [n, ptype, beat, area, lon, lat, block, month, datetime.fromisoformat(month)],
        )
    # a 311 request, written without the street's suffix, places the block of another street
    con.execute(city311.DDL)
    con.execute(
        "INSERT INTO requests_311 (request_number, category, sr_type, status, "
        "flagged_duplicate, created_at, latitude, longitude, block, area_from_point, content, "
        "source_file, line, load_id) VALUES ('SR1', 'sanitation', 'Sanitation', 'completed', "
        "false, '2014-01-01', 41.887, -87.625, '010XX S BARE', false, 'x', 'test', 1, 2)"
    )


def test_workload_by_point_beat_block_and_area(con: duckdb.DuckDBPyConnection) -> None:
    _warehouse(con)
    graph, current = beat_map(con)
    assert graph.keys.tolist() == [111, 112] and len(graph.edges) == 1
    assert current.names == (1,)
    w = beat_workload(con, graph, start="2022-01", end="2022-12")
    # the two beats are equal halves of area 32 (to within the projection): each gets half
    # of what is spread over it (robbery 5, arson 4)
    spread = (5 + 4) / 2
    assert w.values == pytest.approx([20 + 2 + spread, 1 + 6 + spread], rel=1e-3)
    assert (w.incidents, w.by_point, w.by_beat, w.by_block, w.by_area, w.unplaced) == (
        8,
        1,
        1,
        2,
        2,
        2,
    )
    # default window: the 12 months up to the newest (2021-05 .. 2022-04)
    assert beat_workload(con, graph).incidents == 8
    with pytest.raises(NotFound):
        beat_workload(con, graph, start="2010-01", end="2010-12")


def test_severity_file(tmp_path: Path) -> None:
    ok = tmp_path / "ok.csv"
    ok.write_text("# comment\nprimary_type,weight\ntheft,0.5\n*,2\n", "utf-8")
    sev = read_severity(ok)
    assert sev.of("THEFT") == 0.5 and sev.of("ARSON") == 2 and sev.of(None) == 2
    default = read_severity()
    assert default.of("HOMICIDE") == 20 and default.of("GAMBLING") == 1


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("type,weight\n", 1, None, "header"),
        ("primary_type,weight\nTHEFT,heavy\n", 2, "weight", "'heavy'"),
        ("primary_type,weight\nTHEFT,1\nBATTERY,-3\n", 3, "weight", "'-3'"),
        ("primary_type,weight\n# note\nTHEFT,1,2\n", 3, None, "3"),
        ("primary_type,weight\nTHEFT,1\ntheft,2\n", 3, "primary_type", "twice"),
        ("primary_type,weight\n,1\n", 2, "primary_type", "empty"),
    ],
)
def test_a_bad_severity_file_names_line_and_field(
    tmp_path: Path, text: str, line: int, field: str | None, words: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(InvalidInput) as err:
        read_severity(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), line, field)
    assert words in str(err.value) and f"{path}:{line}" in str(err.value)
