"""The CLI: a dry run changes nothing; a failing step exits non-zero with one summary line,
runs the on_failure hook and leaves the published release and `current` as they were."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from safer77.cli import app


def test_dry_run_lists_the_steps_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    result = CliRunner().invoke(app, ["release", "--dry-run", "--root", str(root),
                                      "--db", str(tmp_path / "w.duckdb")])  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [ln.split()[0] for ln in lines[:-1]] == [
        "fetch", "ingest", "stats", "analyses", "figures", "revisions", "site", "manifest",
        "publish", "archive",
    ]  # fmt: skip
    assert "first release" in lines[0] and lines[-1].endswith("nothing changed")
    assert not root.exists() and not (tmp_path / "w.duckdb").exists()


def test_a_failed_step_keeps_the_release_and_runs_the_hook(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "ID,Case Number,Date,Block,IUCR,Primary Type,Arrest,Updated On\n"
        "1,JA1,01/01/2024 01:00:00 AM,001XX N STATE ST,0820,THEFT,false,"
        "01/02/2024 01:00:00 AM\n"
        "2,JA2,01/31/2024 11:00:00 PM,001XX N STATE ST,0820,THEFT,true,"
        "02/02/2024 01:00:00 AM\n"
    )
    root, hook = tmp_path / "root", tmp_path / "hook.txt"
    config = tmp_path / "release.toml"
    config.write_text(
        f'root = "root"\ndb = "w.duckdb"\n'
        f'on_failure = "echo $SAFER77_RELEASE_STEP $SAFER77_RELEASE_MONTH > {hook}"\n'
    )
    runner = CliRunner()
    ok = runner.invoke(app, ["release", "--config", str(config), "--files", str(good),
                             "--month", "2024-01"])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip().splitlines()[-1].startswith("release 2024-01: published")
    published = {p: p.read_bytes() for p in (root / "releases" / "2024-01").rglob("*")
                 if p.is_file()}  # fmt: skip

    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,crimes,file\n1,2,3,4\n")
    failed = runner.invoke(app, ["release", "--config", str(config), "--files", str(bad),
                                 "--month", "2024-02"])  # fmt: skip
    assert failed.exit_code == 2, failed.output
    assert failed.stdout.strip().splitlines()[-1].startswith("release 2024-02: FAILED at ingest")
    assert hook.read_text().split() == ["ingest", "2024-02"]
    assert os.readlink(root / "current") == "releases/2024-01"
    assert not (root / "releases" / "2024-02").exists()
    assert published == {
        p: p.read_bytes() for p in (root / "releases" / "2024-01").rglob("*") if p.is_file()
    }
