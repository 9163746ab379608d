"""Workload per beat from the warehouse, and the severity table's errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import shapely

from safer77.errors import InvalidInput, NotFound
from safer77.plan.workload import beat_map, beat_workload, read_severity

# Two beats side by side near the Loop (WGS84), and one community area over both.
LEFT = shapely.box(-87.64, 41.88, -87.63, 41.89)
RIGHT = shapely.box(-87.63, 41.88, -87.62, 41.89)
AREA = shapely.box(-87.64, 41.88, -87.62, 41.89)


def _warehouse(con: duckdb.DuckDBPyConnection) -> None:
    for kind, key, geom in (
        ("beats", 111, LEFT),
        ("beats", 112, RIGHT),
        ("community_areas", 32, AREA),
    ):
        con.execute(
            "INSERT INTO boundaries VALUES (?, ?, ?, ?, 'test')",
            [kind, key, str(key), shapely.to_wkb(geom)],
        )
    rows = [
        # (type, beat, area, lon, lat, month)
        ("HOMICIDE", None, None, -87.635, 41.885, "2022-03-01"),  # point in 111: 20
        ("THEFT", 112, None, None, None, "2022-03-01"),  # recorded beat 112: 1
        ("ROBBERY", None, 32, None, None, "2022-04-01"),  # spread 5 over 111 and 112
        ("BATTERY", 999, None, None, None, "2022-04-01"),  # nowhere: unplaced
        ("THEFT", 111, None, None, None, "2021-01-01"),  # outside the window
    ]
    for n, (ptype, beat, area, lon, lat, month) in enumerate(rows):
        con.execute(
            "INSERT INTO incidents (incident_key, primary_type, beat, community_area, "
            "longitude, latitude, month, occurred_at, agency, source_file, load_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'CPD', 'test', 1)",
            [n, ptype, beat, area, lon, lat, month, datetime.fromisoformat(month)],
        )


def test_workload_by_point_beat_and_area(con: duckdb.DuckDBPyConnection) -> None:
    _warehouse(con)
    graph, current = beat_map(con)
    assert graph.keys.tolist() == [111, 112] and len(graph.edges) == 1
    assert current.names == (1,)
    w = beat_workload(con, graph, start="2022-01", end="2022-12")
    # the two beats are equal halves of area 32 (to within the projection): 5 -> 2.5 each
    assert w.values == pytest.approx([20 + 2.5, 1 + 2.5], rel=1e-3)
    assert (w.incidents, w.by_point, w.by_beat, w.by_area, w.unplaced) == (4, 1, 1, 1, 1)
    # default window: the 12 months up to the newest (2021-05 .. 2022-04)
    assert beat_workload(con, graph).incidents == 4
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
