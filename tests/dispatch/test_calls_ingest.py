"""``safer77 ingest calls``: the column mapping, NULLs, impossible intervals, duplicates, and
idempotent loads, on hand-written rows."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from safer77.cli import app
from safer77.errors import InvalidInput, NotFound
from safer77.sources.cad import load_cad_mapping
from safer77.warehouse import connect, list_quarantine
from safer77.warehouse.calls import load_calls

MAPPING = Path(__file__).parent / "fixtures" / "cad-test.toml"
HEADER = (
    "EVENT_NO,AGENCY_CODE,EVENT_TYPE,PRI,SOURCE,CREATED,PENDING,ASSIGNED,ENROUTE,ONSCENE,CLOSED"
)
ROWS = [
    # line 2: every step; queue 30 s, dispatch 90 s, rollout 20 s, travel 300 s,
    # on scene 1,200 s, total 1,640 s
    "E1,CPD,WELFARE CHECK,B,PHONE,2025-03-01 10:00:00,2025-03-01 10:00:30,"
    "2025-03-01 10:02:00,2025-03-01 10:02:20,2025-03-01 10:07:20,2025-03-01 10:27:20",
    # line 3: NULL, N/A and empty cells are missing: no travel, no on-scene time
    "E2,CPD,MENTAL HEALTH CASE,A,SMS,2025-03-01 11:00:00,2025-03-01 11:00:10,"
    "2025-03-01 11:00:40,NULL,N/A,",
    # line 4: arrived before rolling: a negative travel interval
    "E3,CPD,DISORDERLY CONDUCT,B,PHONE,2025-03-01 12:00:00,2025-03-01 12:00:30,"
    "2025-03-01 12:01:00,2025-03-01 12:05:00,2025-03-01 12:03:00,2025-03-01 12:30:00",
    # line 5: the same incident as line 2, closed later: the newer version
    "E1,CPD,WELFARE CHECK,B,PHONE,2025-03-01 10:00:00,2025-03-01 10:00:30,"
    "2025-03-01 10:02:00,2025-03-01 10:02:20,2025-03-01 10:07:20,2025-03-01 10:47:20",
    # line 6: the same incident number for another agency is another row; self-initiated
    "E1,CFD,ALARM,C,ONVIEW,2025-03-01 10:00:00,2025-03-01 10:00:00,"
    "2025-03-01 10:00:00,,,2025-03-01 10:10:00",
    # line 7: an agency the mapping does not know
    "E4,XYZ,ALARM,C,PHONE,2025-03-01 13:00:00,2025-03-01 13:00:00,2025-03-01 13:00:00,,,",
    # line 8: a priority code the mapping does not know
    "E5,CPD,ALARM,Q,PHONE,2025-03-01 13:00:00,2025-03-01 13:00:00,2025-03-01 13:00:00,,,",
    # line 9: dispatched three days after queuing: longer than max_interval_hours (24)
    "E6,CPD,ALARM,C,PHONE,2025-03-01 13:00:00,2025-03-01 13:00:00,2025-03-04 13:00:00,,,",
]


def write(tmp_path: Path, rows: list[str] = ROWS) -> Path:
    path = tmp_path / "export.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def calls(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    cur = con.execute("SELECT * FROM calls")
    names = [d[0] for d in cur.description]
    return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def test_the_mapping_names_columns_priorities_and_agencies(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_calls(con, write(tmp_path), MAPPING)
    rows = calls(con)
    first = rows["E1|police"]
    assert first["agency"] == "police" and first["priority"] == 2
    assert first["priority_code"] == "B" and first["call_type"] == "WELFARE CHECK"
    assert (first["queue_s"], first["dispatch_s"], first["rollout_s"]) == (30, 90, 20)
    assert (first["travel_s"], first["on_scene_s"]) == (300, 2400)  # the later version
    assert first["total_s"] == 2840
    assert rows["E2|police"]["priority"] == 1 and rows["E2|police"]["text"] is True
    fire = rows["E1|fire"]
    assert fire["self_initiated"] is True and fire["priority"] == 3


def test_null_and_empty_cells_are_missing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    load_calls(con, write(tmp_path), MAPPING)
    r = calls(con)["E2|police"]
    assert r["dispatch_s"] == 30 and r["enroute_at"] is None and r["arrived_at"] is None
    assert r["rollout_s"] is None and r["travel_s"] is None and r["total_s"] is None


def test_impossible_intervals_and_unknown_codes_are_quarantined_with_line_and_field(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    result = load_calls(con, write(tmp_path), MAPPING)
    q = {(r["line"], r["field"]): r["reason"] for r in list_quarantine(con)}
    assert set(q) == {(4, "ONSCENE"), (7, "AGENCY_CODE"), (8, "PRI"), (9, "ASSIGNED")}
    assert "negative" in str(q[(4, "ONSCENE")]) and "travel" in str(q[(4, "ONSCENE")])
    assert "24 hours" in str(q[(9, "ASSIGNED")])
    assert "E3|police" not in calls(con)
    assert result.quarantined == 4


def test_a_duplicate_incident_is_counted_and_the_load_adds_up(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    r = load_calls(con, write(tmp_path), MAPPING)
    assert (r.read, r.loaded, r.duplicates, r.quarantined) == (8, 3, 1, 4)
    assert r.read == r.loaded + r.duplicates + r.quarantined


def test_reloading_changes_nothing_and_a_failed_load_writes_nothing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path)
    load_calls(con, path, MAPPING)
    before = con.execute("SELECT * EXCLUDE (load_id) FROM calls ORDER BY 1").fetchall()
    again = load_calls(con, path, MAPPING)
    assert (again.loaded, again.duplicates, again.quarantined) == (0, 4, 4)
    assert con.execute("SELECT * EXCLUDE (load_id) FROM calls ORDER BY 1").fetchall() == before
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(4,)]
    bad = tmp_path / "bad.csv"
    bad.write_text("EVENT_NO,AGENCY_CODE\nE9,CPD\n")
    with pytest.raises(InvalidInput, match="missing column"):
        load_calls(con, bad, MAPPING)
    assert con.execute("SELECT count(*) FROM calls").fetchall() == [(3,)]


def test_a_mapping_must_name_the_required_columns(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text("[columns]\nincident = 'X'\n[priority]\n1 = 1\n[agencies]\nP = 'police'\n")
    with pytest.raises(InvalidInput, match="agency"):
        load_cad_mapping(bad)
    bad.write_text(MAPPING.read_text().replace("A = 1", "A = 7"))
    with pytest.raises(InvalidInput, match=r"0 .* or 1-3"):
        load_cad_mapping(bad)
    with pytest.raises(NotFound):
        load_cad_mapping("no-such-mapping")
    assert load_cad_mapping().columns["incident"] == "Master_Incident_Number"


def test_the_cli_prints_the_counts(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    args = ["ingest", "calls", str(write(tmp_path)), "--mapping", str(MAPPING)]
    r = CliRunner().invoke(app, [*args, "--db", str(db), "--format", "json"])
    assert r.exit_code == 0, r.output
    counts = json.loads(r.stdout.strip().splitlines()[-1])
    assert counts["read"] == 8 and counts["loaded"] == 3 and counts["duplicates"] == 1
    assert "quarantined 4" in r.output
    with connect(db, read_only=True) as c:
        assert c.execute("SELECT count(*) FROM calls").fetchall() == [(3,)]
