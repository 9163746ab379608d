"""Start-up cost: the CLI imports a command's libraries only when that command runs.

Each check runs a fresh interpreter with ``-X importtime`` and reads the modules it imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from safer77.cli import COMMANDS, app

SRC = Path(__file__).resolve().parents[2] / "src"
#: never imported by ``import safer77.cli`` or ``safer77 --help``
HEAVY = {"scipy", "shapely", "pyarrow", "fastapi", "sqlalchemy", "pyspark", "duckdb", "pandas"}
HEAVY |= {"numpy", "jinja2", "pyproj", "pydantic_settings", "uvicorn", "esda", "libpysal"}


def imported(*args: str) -> set[str]:
    """Top-level packages (and safer77 modules) a fresh ``python -X importtime ARGS`` imports."""
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, env=env
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            module = line.rsplit("|", 1)[1].strip()
            names.add(module if module.startswith("safer77") else module.split(".")[0])
    assert "safer77.cli" in names, proc.stderr[-2000:]
    return names


def test_import_cli_loads_no_heavy_library() -> None:
    names = imported("-c", "import safer77.cli")
    assert not names & HEAVY, sorted(names & HEAVY)
    assert not {n for n in names if n.startswith("safer77.cli.")} - {"safer77.cli.lazy"}


def test_help_loads_no_command() -> None:
    names = imported("-m", "safer77", "--help")
    assert not names & HEAVY, sorted(names & HEAVY)
    assert not {n for n in names if n.startswith("safer77.cli.")} - {"safer77.cli.lazy"}


def test_stats_loads_the_warehouse_reader_only(tmp_path: Path) -> None:
    from safer77.warehouse import connect

    db = tmp_path / "w.duckdb"
    connect(db).close()
    names = imported("-m", "safer77", "stats", "arrests", "--by", "district", "--db", str(db))
    assert "safer77.metrics.stats" in names  # the command ran
    unwanted = HEAVY - {"duckdb", "pydantic_settings"}
    assert not names & unwanted, sorted(names & unwanted)
    assert not {n for n in names if n.startswith("safer77.cli.")} - {
        "safer77.cli.lazy",
        "safer77.cli.common",
        "safer77.cli.stats",
    }


def first_paragraph(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


def test_listing_help_is_each_commands_own() -> None:
    group = typer.main.get_command(app)
    ctx = typer.Context(group)
    assert group.list_commands(ctx) == list(COMMANDS)  # type: ignore[attr-defined]
    for name, lazy in COMMANDS.items():
        command = group.get_command(ctx, name)  # type: ignore[attr-defined]
        assert command is not None and command.name == name
        assert first_paragraph(command.short_help or command.help) == lazy.help, name


def test_help_lists_every_command_and_runs_a_group() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for name, lazy in COMMANDS.items():
        assert f" {name} " in result.output and lazy.help[:40] in result.output
    sub = CliRunner().invoke(app, ["plan", "--help"], terminal_width=200)
    assert sub.exit_code == 0
    for name in ("districts", "triage", "simulate", "calibrate"):
        assert f" {name} " in sub.output
