"""Each load records what its file covers (safer77.warehouse.coverage), and `safer77 coverage`
shows it per crime type and month."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from conftest import WriteCsv, homicide_row, portal_row
from safer77.cli import app
from safer77.metrics.coverage import ALL_TYPES, read_coverage
from safer77.warehouse import connect, load_incidents

HEADER_WITHOUT_DISTRICT = (
    "ID", "Case Number", "Date", "Block", "IUCR", "Primary Type", "Description", "Arrest",
    "Community Area",
)  # fmt: skip


def homicide(n: int, date: str, **extra: str) -> dict[str, str]:
    return homicide_row(500 + n, date, **extra)


def test_a_load_records_its_months_types_levels_and_fields(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    rows = [
        homicide(1, "01/01/2021 01:00:00 AM"),
        homicide(2, "01/15/2021 01:00:00 AM", district="", beat=""),
        homicide(3, "02/20/2021 01:00:00 AM", community_area="0"),
    ]
    load_incidents(con, write_csv("h.csv", rows))
    recorded = con.execute(
        "SELECT strftime(month, '%Y-%m'), primary_type, iucr, rows, district, beat, "
        "community_area, point FROM coverage ORDER BY month"
    ).fetchall()
    assert recorded == [
        ("2021-01", "HOMICIDE", "0110", 2, 1, 1, 2, 2),
        # community area 0 is not one of the 77: counted as not recorded
        ("2021-02", "HOMICIDE", "0110", 1, 1, 1, 0, 1),
    ]
    ((fields,),) = con.execute("SELECT fields FROM coverage_loads").fetchall()
    assert {"district", "beat", "latitude", "updated_on"} <= set(fields.split(","))


def test_fields_a_file_lacks_are_not_recorded(tmp_path: Path, write_csv: WriteCsv) -> None:
    con = connect(":memory:")
    load_incidents(con, write_csv("slim.csv", [homicide(1, "03/01/2021 01:00:00 AM")],
                                  header=HEADER_WITHOUT_DISTRICT))  # fmt: skip
    ((fields,),) = con.execute("SELECT fields FROM coverage_loads").fetchall()
    assert "district" not in fields.split(",") and "community_area" in fields.split(",")
    ((district,),) = con.execute("SELECT district FROM coverage").fetchall()
    assert district == 0


def test_reloading_a_file_changes_no_coverage(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    rows = [homicide(n, f"{m:02d}/10/2021 01:00:00 AM") for n, m in enumerate(range(1, 13))]
    path = write_csv("h.csv", rows)
    load_incidents(con, path)
    before = read_coverage(con)
    load_incidents(con, path)
    after = read_coverage(con)
    months = before.months()
    assert months == after.months()
    assert [before.scope("HOMICIDE", m) for m in months] == [
        after.scope("HOMICIDE", m) for m in months
    ]
    assert before.filled[("HOMICIDE", "2021-05")]["rows"] == 1
    assert after.filled[("HOMICIDE", "2021-05")]["rows"] == 2  # both loads saw it


def test_an_older_warehouse_without_coverage_records_is_read_from_its_rows(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    rows = [
        portal_row(id=str(i), case_number=f"JX{i}", date=f"03/{d:02d}/2022 0{h}:00:00 AM",
                   primary_type=t)
        for i, (d, h, t) in enumerate(
            (d, h, t) for d in range(1, 32) for h in (0, 6)
            for t in ("THEFT", "BATTERY", "ASSAULT", "ROBBERY", "BURGLARY", "NARCOTICS",
                      "ARSON", "HOMICIDE", "CRIMINAL DAMAGE", "OTHER OFFENSE", "GAMBLING")
        )
    ]  # fmt: skip
    rows.append(portal_row(id="99999", date="03/31/2022 11:59:00 PM"))
    load_incidents(con, write_csv("full.csv", rows))
    recorded = read_coverage(con)
    con.execute("DELETE FROM coverage")
    con.execute("DELETE FROM coverage_loads")
    derived = read_coverage(con)
    assert recorded.scope("ALL", "2022-03") == ALL_TYPES
    assert derived.scope("ALL", "2022-03") == ALL_TYPES
    assert derived.loads[0].fields >= {"district", "beat", "case_number"}


def test_the_coverage_command_shows_scope_and_reason(tmp_path: Path, write_csv: WriteCsv) -> None:
    db = tmp_path / "w.duckdb"
    con = connect(db)
    # a homicide a day from 1 January to 19 July 2023: July is covered only in part
    days = [date(2023, 1, 1) + timedelta(days=k) for k in range(200)]
    rows = [homicide(k, f"{d:%m/%d/%Y} 01:00:00 AM") for k, d in enumerate(days)]
    assert days[-1] == date(2023, 7, 19)
    load_incidents(con, write_csv("homicides.csv", rows))
    con.close()
    runner = CliRunner()
    result = runner.invoke(app, ["coverage", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    by_month = {r["month"]: r for r in json.loads(result.stdout)}
    assert by_month["2023-03"]["covered"] is True
    assert by_month["2023-03"]["scope"] == "HOMICIDE (IUCR 0110) only"
    assert by_month["2023-07"]["covered"] is False
    assert "homicides.csv covers only 1 Jul to 19 Jul 2023" in by_month["2023-07"]["reason"]
    table = runner.invoke(app, ["coverage", "--db", str(db)])
    assert table.exit_code == 0, table.output
    assert "2023-01 to 2023-06" in table.stdout
