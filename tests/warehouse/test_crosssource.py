"""Cross-source duplicates: one incident from two files without a shared ID is counted once.

Fixtures are written here: a slim export (the 2022 extract's 8 columns, no ID) and full portal
rows with IDs, one row per victim as the portal writes homicides.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import SLIM, WriteCsv, portal_row, table_rows
from safer77.cli import app
from safer77.warehouse import connect, load_incidents
from safer77.warehouse.crosssource import list_cross_source
from safer77.warehouse.incidents import LoadResult

T0 = datetime(2022, 7, 25, 20, 20)


def full(i: int, when: datetime, block: str, area: str = "23", **kw: str) -> dict[str, str]:
    """A portal homicide row (with ID) in the portal's date layout."""
    fields = {
        "id": str(i),
        "case_number": f"JF{i:06d}",
        "date": when.strftime("%m/%d/%Y %I:%M:%S %p"),
        "block": block,
        "iucr": "0110",
        "primary_type": "HOMICIDE",
        "description": "FIRST DEGREE MURDER",
        "location_description": "STREET",
        "community_area": area,
        "fbi_code": "01A",
        "updated_on": "08/01/2022 04:47:18 PM",
    }
    return portal_row(**(fields | kw))


def slim(when: datetime, block: str, area: str = "23", ptype: str = "HOMICIDE") -> dict[str, str]:
    """A row of the slim export (no ID), ISO dates."""
    return {
        "Date": when.strftime("%Y-%m-%d %H:%M:%S"),
        "Block": block,
        "Primary Type": ptype,
        "Description": "FIRST DEGREE MURDER",
        "Location Description": "STREET",
        "Arrest": "false",
        "Domestic": "false",
        "Community Area": area,
    }


def balanced(r: LoadResult) -> bool:
    return r.read == r.loaded + r.updated + r.duplicates + r.cross_source + r.quarantined


def n_incidents(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM incidents").fetchall()[0][0])


def contents(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """The incidents, whatever load brought them."""
    return sorted(con.execute("SELECT * EXCLUDE (load_id) FROM incidents").fetchall(), key=repr)


@pytest.mark.parametrize("slim_first", [True, False])
def test_same_incidents_in_two_files_are_counted_once(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv, slim_first: bool
) -> None:
    # Three incidents in both files, one of them with two victims (two rows on each side);
    # one only in the slim file (another type), one only in the full file (December).
    s_rows = [
        slim(T0, "038XX W THOMAS ST"),
        slim(T0 + timedelta(days=1), "050XX S STATE ST", "38"),
        slim(T0 + timedelta(days=1), "050XX S STATE ST", "38"),
        slim(T0 + timedelta(days=2), "010XX N HAMLIN AVE"),
        slim(T0 + timedelta(days=3), "010XX N HAMLIN AVE", ptype="ASSAULT"),
    ]
    f_rows = [
        full(1, T0, "038XX W THOMAS ST"),
        full(2, T0 + timedelta(days=1), "050XX S STATE ST", "38"),
        full(3, T0 + timedelta(days=1), "050XX S STATE ST", "38"),
        full(4, T0 + timedelta(days=2), "010XX N HAMLIN AVE"),
        full(5, datetime(2022, 12, 3, 1, 0), "010XX N HAMLIN AVE"),
    ]
    paths = [write_csv("slim.csv", s_rows, header=SLIM), write_csv("full.csv", f_rows)]
    first, second = [load_incidents(con, p) for p in (paths if slim_first else paths[::-1])]
    assert first.cross_source == 0 and second.cross_source == 4
    assert balanced(first) and balanced(second)
    assert second.loaded == 1  # the unmatched row of the second file
    assert n_incidents(con) == 6  # 5 + 5 rows, 4 pairs
    # the fuller (portal) row is kept in every pair; the slim ASSAULT stays
    kept = con.execute(
        "SELECT id FROM incidents WHERE primary_type = 'HOMICIDE' ORDER BY id"
    ).fetchall()
    assert kept == [(1,), (2,), (3,), (4,), (5,)]
    pairs, total = list_cross_source(con)
    assert total == 4 and len(pairs) == 4
    assert {Path(str(p["dropped_file"])).name for p in pairs} == {"slim.csv"}
    assert sorted(int(str(p["kept_key"])) for p in pairs) == [1, 2, 3, 4]
    assert all(json.loads(str(p["dropped_row"]))["id"] is None for p in pairs)
    log = con.execute("SELECT cross_source FROM load_log ORDER BY load_id").fetchall()
    assert log == [(0,), (4,)]


def test_more_victims_in_one_file_leave_the_extra_rows(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    # Three victims in the portal file, two rows in the slim one: two pairs, three incidents.
    at = (T0, "066XX S STEWART AVE", "68")
    load_incidents(con, write_csv("slim.csv", [slim(*at), slim(*at)], header=SLIM))
    r = load_incidents(con, write_csv("full.csv", [full(i, *at) for i in (7, 8, 9)]))
    assert (r.loaded, r.cross_source) == (1, 2)
    assert n_incidents(con) == 3
    assert con.execute("SELECT count(*) FROM incidents WHERE id IS NULL").fetchall() == [(0,)]


THOMAS = "038XX W THOMAS ST"
EXACT, AREA_MISSING = "exact", "community area missing on one side"


@pytest.mark.parametrize(
    ("slim_row", "full_at", "rule"),
    [
        (slim(T0, "000XX W MADISON ST"), (T0, "0000X W MADISON ST", "23"), EXACT),
        (slim(T0, "038xx w  thomas st "), (T0, THOMAS, "23"), EXACT),  # case and spaces
        (slim(T0 + timedelta(seconds=59), THOMAS), (T0, THOMAS, "23"), EXACT),  # same minute
        (slim(T0 + timedelta(minutes=1), THOMAS), (T0, THOMAS, "23"), None),
        (slim(T0, THOMAS, ""), (T0, THOMAS, "23"), AREA_MISSING),
        (slim(T0, THOMAS, "23"), (T0, THOMAS, ""), AREA_MISSING),
        (slim(T0, THOMAS, "24"), (T0, THOMAS, "23"), None),
        (slim(T0, THOMAS, ptype="ASSAULT"), (T0, THOMAS, "23"), None),
        (slim(T0, THOMAS), (T0, "039XX W THOMAS ST", "23"), None),
    ],
)
def test_match_key(
    con: duckdb.DuckDBPyConnection,
    write_csv: WriteCsv,
    slim_row: dict[str, str],
    full_at: tuple[datetime, str, str],
    rule: str | None,
) -> None:
    load_incidents(con, write_csv("slim.csv", [slim_row], header=SLIM))
    r = load_incidents(con, write_csv("full.csv", [full(1, *full_at)]))
    assert r.cross_source == (rule is not None)
    assert n_incidents(con) == (1 if rule else 2)
    assert [p["rule"] for p in list_cross_source(con)[0]] == ([rule] if rule else [])


def test_two_ids_are_two_records_even_with_the_same_key(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    load_incidents(con, write_csv("a.csv", [full(1, T0, "038XX W THOMAS ST")]))
    r = load_incidents(con, write_csv("b.csv", [full(2, T0, "038XX W THOMAS ST")]))
    assert (r.loaded, r.cross_source) == (1, 0)
    assert n_incidents(con) == 2


@pytest.mark.parametrize("mixed_first", [True, False])
def test_in_a_file_where_some_rows_lack_an_id_only_those_match(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv, mixed_first: bool
) -> None:
    two = write_csv("two.csv", [full(1, T0, THOMAS), full(2, T0, THOMAS)])
    mixed = write_csv("mixed.csv", [full(3, T0, THOMAS), full(4, T0, THOMAS, id="")])
    for path in (mixed, two) if mixed_first else (two, mixed):
        load_incidents(con, path)
    assert con.execute("SELECT id FROM incidents ORDER BY id").fetchall() == [(1,), (2,), (3,)]
    assert [json.loads(str(p["dropped_row"]))["id"] for p in list_cross_source(con)[0]] == [None]


def test_two_files_without_ids_match_and_the_fuller_row_wins(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    # An export without ID but with IUCR and coordinates vs the slim one: the fuller is kept.
    rich = {k: v for k, v in full(1, T0, "038XX W THOMAS ST").items() if k != "ID"}
    load_incidents(con, write_csv("rich.csv", [rich]))
    r = load_incidents(con, write_csv("slim.csv", [slim(T0, "038XX W THOMAS ST")], header=SLIM))
    assert (r.loaded, r.cross_source) == (0, 1)
    assert con.execute("SELECT iucr, id FROM incidents").fetchall() == [("0110", None)]


def test_pairs_point_to_the_row_kept_in_the_end(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    # slim < rich export without ID < portal row: the first pair's kept row loses later.
    rich = {k: v for k, v in full(1, T0, THOMAS).items() if k != "ID"}
    load_incidents(con, write_csv("slim.csv", [slim(T0, THOMAS)], header=SLIM))
    load_incidents(con, write_csv("rich.csv", [rich]))
    load_incidents(con, write_csv("full.csv", [full(1, T0, THOMAS)]))
    assert con.execute("SELECT incident_key FROM incidents").fetchall() == [(1,)]
    pairs = list_cross_source(con)[0]
    assert [(p["kept_key"], Path(str(p["kept_file"])).name) for p in pairs] == [
        (1, "full.csv"),
        (1, "full.csv"),
    ]
    assert sorted(Path(str(p["dropped_file"])).name for p in pairs) == ["rich.csv", "slim.csv"]


def test_rows_of_one_file_are_never_matched_with_each_other(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    rows = [slim(T0, "038XX W THOMAS ST")] * 2
    r = load_incidents(con, write_csv("slim.csv", rows, header=SLIM))
    assert (r.loaded, r.cross_source) == (2, 0)
    again = load_incidents(con, write_csv("slim.csv", rows, header=SLIM))
    assert (again.loaded, again.duplicates, again.cross_source) == (0, 2, 0)


def test_reloading_either_file_changes_nothing(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    s_rows = [slim(T0, THOMAS), slim(T0, "040XX W THOMAS ST"), slim(T0, THOMAS, "")]
    a = write_csv("slim.csv", s_rows, header=SLIM)
    b = write_csv("full.csv", [full(1, T0, THOMAS), full(2, T0, "041XX W THOMAS ST")])
    load_incidents(con, a)
    load_incidents(con, b)
    before = {t: table_rows(con, t) for t in ("incidents", "cross_source_pairs")}
    for path in (a, b, a):
        r = load_incidents(con, path)
        assert r.loaded == r.updated == 0 and balanced(r)
    assert {t: table_rows(con, t) for t in before} == before


def test_a_row_that_updates_its_stored_version_is_not_matched_again(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    # ID 7 was stored at another block; its newer version moves to the block of a slim row.
    # The row is an update of a known incident (not new), so the load stays balanced.
    load_incidents(con, write_csv("slim.csv", [slim(T0, "038XX W THOMAS ST")], header=SLIM))
    load_incidents(con, write_csv("v1.csv", [full(7, T0, "040XX W THOMAS ST")]))
    newer = full(7, T0, "038XX W THOMAS ST", updated_on="09/01/2022 04:47:18 PM")
    r = load_incidents(con, write_csv("v2.csv", [newer]))
    assert (r.read, r.loaded, r.updated, r.cross_source) == (1, 0, 1, 0)
    assert balanced(r) and n_incidents(con) == 2


# --- either load order gives the same warehouse (property) ---

incident = st.tuples(
    st.integers(0, 3),  # victims in the slim file
    st.integers(0, 3),  # victims in the portal file
    st.booleans(),  # the portal file writes the first hundred as 0000X
    st.booleans(),  # the slim file has no community area
)


def _files(tmp: Path, incidents: list[tuple[int, int, bool, bool]]) -> tuple[Path, Path, int]:
    """The two files for ``incidents`` (each at its own minute) and the number of incidents
    the documented rule gives: per incident, the larger of its two row counts."""
    s_rows, f_rows, expected, next_id = [], [], 0, 1
    for n, (in_slim, in_full, zero_x, no_area) in enumerate(incidents):
        when = T0 + timedelta(minutes=n)
        block = "000XX W MADISON ST"
        s_rows += [slim(when, block, "" if no_area else "32")] * in_slim
        for _ in range(in_full):
            f_rows.append(full(next_id, when, "0000X W MADISON ST" if zero_x else block, "32"))
            next_id += 1
        expected += max(in_slim, in_full)
    return (
        write_rows(tmp / "slim.csv", s_rows, SLIM),
        write_rows(tmp / "full.csv", f_rows),
        expected,
    )


def write_rows(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    import csv

    from safer77.schema import PORTAL_CSV_HEADER

    cols = header or list(PORTAL_CSV_HEADER)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows([r.get(c, "") for c in cols] for r in rows)
    return path


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(incident, min_size=1, max_size=6))
def test_either_load_order_keeps_the_same_incidents(
    incidents: list[tuple[int, int, bool, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        s_path, f_path, expected = _files(Path(tmp), incidents)
        got = []
        for order in ((s_path, f_path), (f_path, s_path)):
            con = connect(":memory:")
            results = [load_incidents(con, p) for p in order]
            assert all(balanced(r) for r in results)
            assert n_incidents(con) == expected == sum(r.loaded for r in results)
            pairs = Counter(
                (Path(str(p["kept_file"])).name, Path(str(p["dropped_file"])).name)
                for p in list_cross_source(con)[0]
            )
            assert set(pairs) <= {("full.csv", "slim.csv")}  # the portal row is kept
            assert pairs.total() == sum(min(a, b) for a, b, _, _ in incidents)
            got.append(contents(con))
            con.close()
        assert got[0] == got[1]


# --- older warehouses and the command line ---


def test_a_warehouse_made_before_cross_source_opens_and_loads(
    tmp_path: Path, write_csv: WriteCsv
) -> None:
    db = tmp_path / "old.duckdb"
    con = connect(db)
    con.execute("ALTER TABLE load_log DROP COLUMN cross_source")
    con.execute("DROP TABLE cross_source_pairs")
    con.close()
    ro = connect(db, read_only=True)
    assert list_cross_source(ro) == ([], 0)
    ro.close()
    con = connect(db)
    load_incidents(con, write_csv("slim.csv", [slim(T0, "038XX W THOMAS ST")], header=SLIM))
    r = load_incidents(con, write_csv("full.csv", [full(1, T0, "038XX W THOMAS ST")]))
    assert r.cross_source == 1
    assert con.execute("SELECT cross_source FROM load_log").fetchall() == [(0,), (1,)]
    con.close()


def test_cli_counts_and_lists_the_pairs(tmp_path: Path, write_csv: WriteCsv) -> None:
    runner = CliRunner()
    db = str(tmp_path / "w.duckdb")
    at = (T0, "050XX S STATE ST", "38")
    s_path = write_csv("slim.csv", [slim(*at), slim(*at), slim(T0, "1")], header=SLIM)
    f_path = write_csv("full.csv", [full(1, *at), full(2, *at)])
    res = runner.invoke(
        app, ["ingest", "crimes", str(s_path), str(f_path), "--db", db, "--format", "json"]
    )
    assert res.exit_code == 0, res.stderr
    totals = json.loads(res.stdout.strip().splitlines()[-1])
    assert totals == {
        "read": 5, "loaded": 3, "updated": 0, "duplicates": 0, "cross_source": 2, "quarantined": 0
    }  # fmt: skip
    assert "cross_source 2" in res.stderr
    listed = runner.invoke(app, ["cross-source", "--db", db, "--format", "json"])
    assert listed.exit_code == 0, listed.stderr
    pairs = json.loads(listed.stdout)
    assert [(p["kept_key"], p["dropped_row"]["block"]) for p in pairs] == [
        (1, "050XX S STATE ST"),
        (2, "050XX S STATE ST"),
    ]
    table = runner.invoke(app, ["cross-source", "--db", db, "--limit", "1"])
    assert table.exit_code == 0 and "1 of 2 cross-source pairs" in table.stdout
    other = runner.invoke(
        app, ["cross-source", "--db", db, "--file", str(tmp_path / "x.csv"), "--format", "json"]
    )
    assert json.loads(other.stdout) == []
