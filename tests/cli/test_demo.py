"""`safer77 demo` (the README's main command) works end to end, and a rerun loads nothing new;
it writes only into its own folder, never into the warehouse real loads use."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safer77.cli import app


def test_demo_runs_and_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    real = tmp_path / "real" / "warehouse.duckdb"  # the warehouse of real loads, by the env
    runner = CliRunner(env={"SAFER77_DB": str(real)})
    args = ["demo", "--no-serve", "--rows", "20000"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.stderr
    assert "loaded 20,000" in first.stderr
    assert "Citywide, last 12 months" in first.stdout and "Districts," in first.stdout
    assert first.stdout.count("\n│ ") >= 12 + 22  # 12 months and 22 districts
    # its own warehouse, in its own folder; neither ./safer77.duckdb nor SAFER77_DB
    assert (tmp_path / "safer77-demo" / "safer77.duckdb").is_file()
    assert "--db safer77-demo/safer77.duckdb" in first.stderr
    assert not (tmp_path / "safer77.duckdb").exists() and not real.parent.exists()
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "loaded 0, updated 0, duplicates 20,000" in again.stderr


def test_demo_db_option_names_its_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.duckdb"
    args = ["demo", "--no-serve", "--rows", "2000", "--workdir", str(tmp_path / "d")]
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.stderr
    assert db.is_file() and not (tmp_path / "d" / "safer77.duckdb").exists()


@pytest.mark.slow
def test_demo_ends_by_serving_the_site(tmp_path: Path) -> None:
    """The README's main command, as a user runs it: it prints the URL and serves the site."""
    port = _free_port()
    env = dict(
        os.environ, SAFER77_DB=str(tmp_path / "w.duckdb"), SAFER77_SITE_DIR=str(tmp_path / "site")
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "safer77",
            "demo",
            "--rows",
            "5000",
            "--workdir",
            str(tmp_path / "demo"),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        body = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    body = resp.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert "Synthetic city, citywide" in body and "Chicago, citywide" not in body
        assert "Synthetic city — not real data" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/areas?q=englewood") as resp:
            found = json.loads(resp.read())
        assert {"number": 68, "name": "Englewood", "page": "/areas/68-englewood.html"} in found
        assert {a["number"] for a in found} == {67, 68}  # and West Englewood
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in err
    # the site and warehouse are the demo's own, whatever SAFER77_DB and SAFER77_SITE_DIR say
    assert (tmp_path / "demo" / "site" / "index.html").is_file()
    assert (tmp_path / "demo" / "safer77.duckdb").is_file()
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "site").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
