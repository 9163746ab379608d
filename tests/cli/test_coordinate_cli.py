"""``safer77 coordinate priority|hotspots`` on the synthetic city."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from safer77.cli import app
from safer77.warehouse import connect

runner = CliRunner()


def test_priority_and_hotspots_commands(synth_db: Path, tmp_path: Path) -> None:
    con = connect(synth_db, read_only=True)
    try:
        ((year,),) = con.execute("SELECT max(year(occurred_at)) FROM incidents").fetchall()
    finally:
        con.close()
    r = runner.invoke(
        app,
        [
            "coordinate",
            "priority",
            "--db",
            str(synth_db),
            "--crime-type",
            "robbery",
            "--from",
            str(year),
            "--to",
            str(year),
            "--top",
            "10",
            "--capacity",
            "4",
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    areas = doc["areas"]
    assert len(areas) == 77 and sum(a["city_rule_top"] for a in areas) == 10
    assert [a["phase"] for a in areas[:5]] == [1, 1, 1, 1, 2]
    assert doc["stable_in_top"] is None  # no weights, no sensitivity
    r = runner.invoke(
        app, ["coordinate", "hotspots", "--db", str(synth_db), "--holdout", "3", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert len(rows) == 9 and {row["method"] for row in rows} == {"naive", "kde", "gi_star"}
    weights = tmp_path / "w.toml"
    weights.write_text("[weights]\nviolence_rate = 1\n")
    r = runner.invoke(
        app,
        [
            "coordinate",
            "priority",
            "--db",
            str(synth_db),
            "--weights",
            str(weights),
            "--crime-type",
            "robbery",
            "--from",
            str(year),
            "--to",
            str(year),
        ],
    )
    assert r.exit_code == 2 and "population" in r.output  # no population loaded: a clear error
