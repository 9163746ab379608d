"""``safer77 service ...`` end to end on a SQLite file: migrate, add a user, import, report,
export into a warehouse."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from safer77.cli import app
from service.support import ROWS, write

runner = CliRunner()


def test_service_commands(tmp_path: Path) -> None:
    env = {"SAFER77_DATABASE_URL": f"sqlite:///{tmp_path / 'svc.db'}"}
    r = runner.invoke(
        app,
        ["service", "user", "add", "ann", "--role", "analyst", "--password-stdin"],
        input="a long password\n",
        env=env,
    )
    assert r.exit_code == 2 and "safer77 service db upgrade" in r.output
    assert runner.invoke(app, ["service", "db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(app, ["service", "db", "upgrade"], env=env).exit_code == 0  # idempotent
    r = runner.invoke(
        app,
        ["service", "user", "add", "ann", "--role", "analyst", "--password-stdin"],
        input="a long password\n",
        env=env,
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        ["service", "user", "add", "ann", "--role", "analyst", "--password-stdin"],
        input="a long password\n",
        env=env,
    )
    assert r.exit_code == 3 and "already exists" in r.output
    r = runner.invoke(
        app,
        ["service", "user", "add", "bob", "--role", "detective", "--password-stdin"],
        input="a long password\n",
        env=env,
    )
    assert r.exit_code == 2 and "unit" in r.output
    src = write(tmp_path / "h.csv", ROWS)
    rejects = tmp_path / "rejects.csv"
    r = runner.invoke(
        app, ["service", "import", "cpd-homicides", str(src), "--rejects", str(rejects)], env=env
    )
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout.strip().splitlines()[-1])[0]
    assert (summary["read"], summary["loaded"], summary["rejected"]) == (9, 5, 3)
    assert rejects.read_text().count("\n") == 4 and "h.csv,5,Cleared I" in rejects.read_text()
    r = runner.invoke(
        app,
        [
            "service",
            "clearance",
            "--from",
            "2022",
            "--to",
            "2022",
            "--format",
            "json",
            "--as-of",
            "2022-12-31",
        ],
        env=env,
    )
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.stdout)
    assert (
        row["offenses"],
        row["cohort_cleared_to_date"],
        row["cohort_by_arrest"],
        row["cohort_exceptional"],
    ) == (3, 2, 1, 1)
    assert row["ucr_cleared_in_year"] == 3 and row["ucr_of_earlier_offenses_in_year"] == 1
    assert row["counted_by"] == "victim"  # the default is unchanged: one offense per victim
    r = runner.invoke(app, ["service", "clearance", "--from", "22"], env=env)
    assert r.exit_code == 2 and "YYYY" in r.output
    r = runner.invoke(app, ["service", "export", "--db", str(tmp_path / "w.duckdb")], env=env)
    assert r.exit_code == 0 and "service_clearance_cohort" in r.output
    r = runner.invoke(
        app, ["service", "import", "cpd-homicides", str(tmp_path / "nope.csv")], env=env
    )
    assert r.exit_code == 2 and "no such file" in r.output
