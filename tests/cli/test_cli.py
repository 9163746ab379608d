"""The command line: exit codes, one-line errors, and the JSON shapes other tools rely on."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import WriteCsv, portal_row
from safer77.cli import app

runner = CliRunner()
ARREST_KEYS = {
    "month",
    "by",
    "key",
    "crime_type",
    "incidents",
    "arrests",
    "arrest_rate",
    "ci_low",
    "ci_high",
    "low_n",
    "coverage",
}


def without_coverage(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Rows less their coverage: a quick look at one file knows no loads, so none."""
    assert all(r["coverage"] is None for r in rows) or all(r["coverage"] for r in rows)
    return [{k: v for k, v in r.items() if k != "coverage"} for r in rows]


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_json_counts_on_last_line(write_csv: WriteCsv, tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    rows = [portal_row(id=str(i)) for i in range(1, 4)] + [portal_row(id="9", date="never")]
    code, out, err = invoke(
        "ingest", "crimes", str(write_csv("a.csv", rows)), "--db", db, "--format", "json"
    )
    assert code == 0
    counts = json.loads(out.strip().splitlines()[-1])
    assert counts == {
        "read": 4, "loaded": 3, "updated": 0, "duplicates": 0, "cross_source": 0, "quarantined": 1
    }  # fmt: skip
    assert "1 rows quarantined" in err

    code, out, _ = invoke("quarantine", "--db", db, "--format", "json")
    assert code == 0
    q = json.loads(out)
    assert len(q) == 1 and {"file", "line", "field", "reason"} <= set(q[0])
    assert (q[0]["line"], q[0]["field"]) == (5, "Date") and q[0]["file"].endswith("a.csv")


def test_wrong_header_exits_2_with_one_line(write_csv: WriteCsv, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    code, _, err = invoke(
        "ingest", "crimes", str(write_csv("x.csv", [], header=["x", "y"])), "--db", str(db)
    )
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "x.csv" in lines[0] and "Traceback" not in err


def test_stats_json_shape_and_keys(write_csv: WriteCsv, tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    rows = [
        portal_row(id="1", district="008", beat="0823", community_area="66", arrest="true"),
        portal_row(id="2", district="008", beat="0823", community_area="66"),
        portal_row(
            id="3",
            district="011",
            beat="1134",
            community_area="25",
            primary_type="ROBBERY",
            fbi_code="03",
            description="ARMED - HANDGUN",
        ),
    ]
    assert invoke("ingest", "crimes", str(write_csv("s.csv", rows)), "--db", db)[0] == 0
    code, out, _ = invoke("stats", "arrests", "--by", "district", "--format", "json", "--db", db)
    assert code == 0
    got = json.loads(out)
    assert all(set(r) == ARREST_KEYS for r in got)
    assert [
        (r["month"], r["by"], r["key"], r["crime_type"], r["incidents"], r["arrests"]) for r in got
    ] == [("2022-05", "district", "8", "ALL", 2, 1), ("2022-05", "district", "11", "ALL", 1, 0)]
    code, out, _ = invoke(
        "stats", "arrests", "--by", "beat", "--category", "violent", "--format", "json", "--db", db
    )
    assert [(r["key"], r["crime_type"], r["incidents"]) for r in json.loads(out)] == [
        ("1134", "violent", 1)
    ]
    code, out, _ = invoke(
        "stats",
        "arrests",
        "--by",
        "community-area",
        "--crime-type",
        "robbery",
        "--format",
        "json",
        "--db",
        db,
    )
    assert [(r["key"], r["crime_type"]) for r in json.loads(out)] == [("25", "ROBBERY")]
    code, _, err = invoke(
        "stats", "arrests", "--crime-type", "THEFT", "--category", "violent", "--db", db
    )
    assert code == 2 and "not both" in err
    code, _, err = invoke("stats", "arrests", "--from", "2024-13", "--db", db)
    assert code == 2 and "--from" in err


def test_stats_without_warehouse_says_what_to_do(tmp_path: Path) -> None:
    code, _, err = invoke("stats", "arrests", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "safer77 ingest crimes" in err


def test_refused_files_exit_2_and_write_nothing(write_csv: WriteCsv, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    good = write_csv("good.csv.gz", [portal_row(id=str(i)) for i in range(1, 3000)], gz=True)
    truncated = tmp_path / "truncated.csv.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for bad in (truncated, empty):
        code, _, err = invoke("ingest", "crimes", str(bad), "--db", str(db))
        assert code == 2, err
        assert bad.name in err and len([ln for ln in err.splitlines() if ln.strip()]) == 1
    code, out, _ = invoke("quarantine", "--db", str(db), "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_stats_from_file_equal_stats_from_warehouse(write_csv: WriteCsv, tmp_path: Path) -> None:
    rows = [
        portal_row(
            id=str(i),
            district=f"{1 + i % 3:03d}",
            arrest=str(i % 4 == 0).lower(),
            date=f"{1 + i % 5:02d}/10/2023 10:00:00 AM",
        )
        for i in range(1, 60)
    ]
    rows.append(portal_row(id="999", beat="not a beat"))  # bad: left out of both
    path = write_csv("f.csv", rows)
    db = str(tmp_path / "w.duckdb")
    assert invoke("ingest", "crimes", str(path), "--db", db)[0] == 0
    for by in ("city", "district", "beat"):
        _, from_db, _ = invoke("stats", "arrests", "--by", by, "--format", "json", "--db", db)
        code, from_file, _ = invoke(
            "stats", "arrests", "--by", by, "--format", "json", "--file", str(path)
        )
        assert code == 0
        assert without_coverage(json.loads(from_file)) == without_coverage(json.loads(from_db))
        assert all(r["coverage"] is None for r in json.loads(from_file))
    assert sum(r["incidents"] for r in json.loads(from_db)) == 59


def test_stats_from_file_counts_repeats_the_warehouse_removes(
    write_csv: WriteCsv, tmp_path: Path
) -> None:
    rows = [portal_row(id="1"), portal_row(id="1"), portal_row(id="2")]  # ID 1 twice
    path = write_csv("rep.csv", rows)
    db = str(tmp_path / "w.duckdb")
    assert invoke("ingest", "crimes", str(path), "--db", db)[0] == 0
    _, from_db, _ = invoke("stats", "arrests", "--format", "json", "--db", db)
    _, from_file, _ = invoke("stats", "arrests", "--format", "json", "--file", str(path))
    assert json.loads(from_db)[0]["incidents"] == 2  # the load keeps one row per ID
    assert json.loads(from_file)[0]["incidents"] == 3  # the quick look counts every row


def test_month_zero_is_refused(tmp_path: Path, write_csv: WriteCsv) -> None:
    db = str(tmp_path / "w.duckdb")
    assert invoke("ingest", "crimes", str(write_csv("m.csv", [portal_row()])), "--db", db)[0] == 0
    code, _, err = invoke("stats", "arrests", "--from", "0000-01", "--db", db)
    assert code == 2 and "--from" in err


def test_stats_for_one_agency(write_csv: WriteCsv, tmp_path: Path) -> None:
    cpd = [portal_row(id=str(i), arrest="true") for i in range(1, 6)]
    other = [portal_row(id=str(i), district="002") for i in range(1, 4)]
    both, alone = str(tmp_path / "both.duckdb"), str(tmp_path / "alone.duckdb")
    assert invoke("ingest", "crimes", str(write_csv("cpd.csv", cpd)), "--db", both)[0] == 0
    path = str(write_csv("other.csv", other))
    assert invoke("ingest", "crimes", path, "--db", both, "--agency", "Metra PD")[0] == 0
    assert invoke("ingest", "crimes", path, "--db", alone, "--agency", "Metra PD")[0] == 0
    for by in ("city", "district"):
        _, scoped, _ = invoke(
            "stats", "arrests", "--by", by, "--agency", "Metra PD", "--format", "json", "--db", both
        )
        _, expected, _ = invoke("stats", "arrests", "--by", by, "--format", "json", "--db", alone)
        assert json.loads(scoped) == json.loads(expected)
    _, everyone, _ = invoke("stats", "arrests", "--format", "json", "--db", both)
    assert json.loads(everyone)[0]["incidents"] == 8
