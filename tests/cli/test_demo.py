"""`safer77 demo` (the README's main command) works end to end, and a rerun loads nothing new."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from safer77.cli import app


def test_demo_runs_and_is_idempotent(tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "demo",
        "--rows",
        "20000",
        "--workdir",
        str(tmp_path / "demo"),
        "--db",
        str(tmp_path / "demo.duckdb"),
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.stderr
    assert "loaded 20,000" in first.stderr
    assert "Citywide, last 12 months" in first.stdout and "Districts," in first.stdout
    assert first.stdout.count("\n│ ") >= 12 + 22  # 12 months and 22 districts
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "loaded 0, updated 0, duplicates 20,000" in again.stderr
