"""Public counts of unsolved homicides per area: equal to a count of the inputs, and no case
number anywhere on the built site."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

from publish.support import build
from typer.testing import CliRunner

from safer77.cli import app
from safer77.metrics import compute_all
from safer77.schema import PORTAL_CSV_HEADER
from safer77.warehouse import connect, load_incidents
from tests.solve.test_linkage import PORTAL, clearance_file


def test_counts_per_area_and_no_case_numbers(synth_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    shutil.copy(synth_db, db)
    portal = tmp_path / "homicides.csv"
    with portal.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PORTAL_CSV_HEADER)
        for row in PORTAL:
            w.writerow([row[h] for h in PORTAL_CSV_HEADER])
    con = connect(db)
    load_incidents(con, portal)
    compute_all(con)
    con.close()
    r = CliRunner().invoke(
        app, ["solve", "publish", "--db", str(db), "--clearance", str(clearance_file(tmp_path))]
    )
    assert r.exit_code == 0, r.output
    build(db, tmp_path / "site")
    site = tmp_path / "site"
    rows = {
        r["community_area"]: r
        for r in json.loads((site / "data/homicides/by_area.json").read_text())
    }
    # from the fixture: area 25 has one homicide, cleared by arrest; area 68 two, unsolved
    assert (rows[25]["homicides"], rows[25]["cleared_arrest"], rows[25]["unsolved"]) == (1, 1, 0)
    assert (rows[68]["homicides"], rows[68]["unsolved"]) == (2, 2) and rows[68]["low_n"]
    html = (site / "homicides.html").read_text()
    assert "Unsolved homicides" in html and "not the arrest-flag proxy" in html
    case_numbers = {row["Case Number"] for row in PORTAL} | {"JA999999"}
    for f in site.rglob("*"):
        if f.is_file() and f.suffix in {".html", ".json", ".csv", ".txt", ".svg", ".xml"}:
            text = f.read_text(errors="ignore")
            assert not any(c in text for c in case_numbers), f
            assert not re.search(r"\bJA\d{6}\b", text), f


def test_publishing_no_cases_still_builds_the_site(synth_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    shutil.copy(synth_db, db)
    r = CliRunner().invoke(
        app,
        [
            "solve",
            "publish",
            "--db",
            str(db),
            "--clearance",
            str(clearance_file(tmp_path)),
            "--from",
            "2030",
        ],
    )
    assert r.exit_code == 0, r.output
    build(db, tmp_path / "site")
    assert "No counts have been stored" in (tmp_path / "site/homicides.html").read_text()
