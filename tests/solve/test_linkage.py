"""Linking CPD's clearance records to the portal's homicide rows, and the solve commands."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from safer77.cli import app
from safer77.solve.linkage import link, records_from_file
from safer77.sources.cpd_homicides import COLUMNS
from safer77.warehouse import connect
from tests.conftest import load_rows, portal_row


def homicide(case: str, when: str, area: str, key: str) -> dict[str, str]:
    return portal_row(
        id=key,
        case_number=case,
        date=when,
        iucr="0110",
        primary_type="HOMICIDE",
        description="FIRST DEGREE MURDER",
        fbi_code="01A",
        community_area=area,
    )


PORTAL = [
    homicide("JA100001", "01/05/2015 10:00:00 PM", "25", "1"),
    homicide("JA100002", "02/07/2015 01:00:00 AM", "68", "2"),  # two victims, one case
    homicide("JA100002", "02/07/2015 01:00:00 AM", "68", "3"),
]


def cpd_row(rd: str, number: str, injury: str, **kw: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        {
            "RD#": rd,
            "Homicide #": number,
            "Injury Date": injury,
            "Victim Sex": "F",
            "Victim Age": "31",
            "Homicide Location Descr": "APARTMENT",
            "Cleared I": "N",
        }
    )
    row.update(kw)
    return row


def clearance_file(tmp_path: Path) -> Path:
    rows = [
        cpd_row("JA100001", "1", "2015-01-05T22:00:00", **{"Cleared I": "Y"})
        | {"Date Cleared": "2015-03-01T00:00:00"},
        cpd_row("JA100002", "2", "2015-02-07T01:00:00"),
        cpd_row("JA100002", "3", "2015-02-07T01:00:00"),
        cpd_row("JA999999", "4", "2015-06-01T00:00:00"),  # not in the portal
        cpd_row("not-an-rd", "5", "2015-06-01T00:00:00"),  # refused by the reader
    ]
    path = tmp_path / "clearance.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        w.writeheader()
        w.writerows(rows)
    return path


def test_every_record_is_linked_unmatched_or_refused(tmp_path: Path) -> None:
    con = load_rows(PORTAL)
    records, refused = records_from_file(clearance_file(tmp_path))
    result = link(con, records, refused)
    assert result.records == 4 and len(result.refused) == 1 and result.refused[0].line == 6
    assert [r.rd_number for r, _ in result.unmatched] == ["JA999999"]
    assert result.rate == 3 / 4
    areas = sorted((c.record.key, c.community_area) for c in result.linked)
    assert areas == [("1", 25), ("2", 68), ("3", 68)]
    assert all(c.date_gap_days == 0 for c in result.linked)
    assert [c.cleared_arrest for c in sorted(result.linked, key=lambda c: c.record.key)] == [
        True,
        False,
        False,
    ]


def test_solve_commands(tmp_path: Path) -> None:
    con = load_rows(PORTAL)
    db = tmp_path / "w.duckdb"
    con.execute(f"ATTACH '{db}' AS f")
    con.execute("COPY FROM DATABASE memory TO f")
    con.close()
    clearance = clearance_file(tmp_path)
    runner = CliRunner()
    r = runner.invoke(app, ["solve", "link", "--db", str(db), "--clearance", str(clearance)])
    assert r.exit_code == 0, r.output
    assert "3 of 4 clearance records linked (75.0%)" in r.stdout
    assert "1 unmatched: no portal row" in r.stdout and "JA999999" not in r.stdout
    r = runner.invoke(
        app, ["solve", "link", "--db", str(db), "--clearance", str(clearance), "--cases"]
    )
    assert "unmatched JA999999" in r.stdout and "refused" in r.stdout
    r = runner.invoke(
        app,
        [
            "solve",
            "clusters",
            "--db",
            str(db),
            "--clearance",
            str(clearance),
            "--by",
            "area",
            "--min-n",
            "1",
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["cases"] == 3 and {g["area"]: g["cases"] for g in got["groups"]} == {
        "25": 1,
        "68": 2,
    }
    assert "JA100002" not in r.stdout  # case numbers only with --cases
    r = runner.invoke(app, ["solve", "clusters", "--db", str(db), "--by", "weapon"])
    assert r.exit_code != 0
    r = runner.invoke(app, ["solve", "clusters", "--db", str(db), "--by", "area"])
    assert r.exit_code != 0 and "--clearance" in r.output
    assert connect(db, read_only=True).execute("SELECT count(*) FROM incidents").fetchall() == [
        (3,)
    ]
