"""``safer77 plan districts`` on the synthetic city: the comparison, the files, the errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safer77.cli import app

runner = CliRunner()


def test_plan_districts_writes_every_output(synth_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = runner.invoke(
        app,
        ["plan", "districts", "--db", str(synth_db), "--steps", "1500", "--out", str(out),
         "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    rows = {r["measure"]: r for r in doc["comparison"]}
    assert rows["Districts"]["current"] == rows["Districts"]["proposed"]
    assert rows["Every district in one piece"]["proposed"] is True
    for name in ("districts.geojson", "beats.csv", "map.svg", "comparison.csv", "plan.json"):
        assert (out / name).stat().st_size > 0
    with (out / "beats.csv").open() as fh:
        beats = list(csv.DictReader(fh))
    gj = json.loads((out / "districts.geojson").read_text())
    assert len(gj["features"]) == rows["Districts"]["proposed"]
    # every beat in exactly one district, and the GeoJSON counts agree with the CSV
    assert len({b["beat"] for b in beats}) == len(beats)
    per = {f["properties"]["district"]: f["properties"]["beats"] for f in gj["features"]}
    for d, n in per.items():
        assert sum(1 for b in beats if int(b["district"]) == d) == n
    svg = (out / "map.svg").read_text()
    assert svg.count("<svg") == 3 and "Today" in svg and "Proposed" in svg


def test_a_bad_severity_file_is_one_line_with_its_place(synth_db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "sev.csv"
    bad.write_text("primary_type,weight\nTHEFT,lots\n", "utf-8")
    result = runner.invoke(
        app, ["plan", "districts", "--db", str(synth_db), "--severity", str(bad), "--steps", "10"]
    )
    assert result.exit_code == 2
    assert f"{bad}:2" in result.stderr and "'weight'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_month_is_refused(synth_db: Path) -> None:
    result = runner.invoke(app, ["plan", "districts", "--db", str(synth_db), "--from", "2022"])
    assert result.exit_code == 2 and "YYYY-MM" in result.stderr


@pytest.mark.slow
def test_columns_method_with_a_split_cap(synth_db: Path) -> None:
    """--method columns under --max-splits: the proposal splits no more areas than the cap
    (today's count, read from a first run) and stays balanced and in one piece."""
    first = runner.invoke(
        app, ["plan", "districts", "--db", str(synth_db), "--steps", "0", "--format", "json"]
    )
    assert first.exit_code == 0, first.stderr
    today = {
        r["measure"]: r for r in json.loads(first.stdout.strip().splitlines()[-1])["comparison"]
    }
    cap = today["Community areas split"]["current"]
    result = runner.invoke(
        app,
        ["plan", "districts", "--db", str(synth_db), "--steps", "1500", "--method", "columns",
         "--max-splits", str(cap), "--mip-seconds", "10", "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = {
        r["measure"]: r for r in json.loads(result.stdout.strip().splitlines()[-1])["comparison"]
    }
    assert rows["Community areas split"]["proposed"] <= cap
    assert rows["Every district in one piece"]["proposed"] is True


def test_the_split_cap_is_todays_count_unless_told(synth_db: Path) -> None:
    """By default the cap is today's split count (in the JSON's run info, and the proposal
    keeps to it); a cap the search cannot reach in a few steps is warned about."""
    result = runner.invoke(
        app, ["plan", "districts", "--db", str(synth_db), "--steps", "1500", "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    rows = {r["measure"]: r for r in doc["comparison"]}
    today = rows["Community areas split"]["current"]
    assert today > 0 and doc["run"]["max_splits"] == today and doc["run"]["within_cap"]
    assert rows["Community areas split"]["proposed"] <= today
    free = runner.invoke(
        app,
        ["plan", "districts", "--db", str(synth_db), "--steps", "10", "--max-splits", "none",
         "--format", "json"],
    )  # fmt: skip
    assert json.loads(free.stdout.strip().splitlines()[-1])["run"]["max_splits"] is None
    tight = runner.invoke(
        app, ["plan", "districts", "--db", str(synth_db), "--steps", "10", "--max-splits", "0"]
    )
    assert tight.exit_code == 0, tight.stderr
    assert "over the cap of 0" in tight.stdout + tight.stderr


def test_a_bad_split_cap_is_one_clear_line(synth_db: Path) -> None:
    result = runner.invoke(
        app, ["plan", "districts", "--db", str(synth_db), "--max-splits", "few", "--steps", "10"]
    )
    assert result.exit_code == 2 and "'today' or 'none'" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_method_is_one_clear_line(synth_db: Path) -> None:
    result = runner.invoke(
        app, ["plan", "districts", "--db", str(synth_db), "--method", "tabu", "--steps", "10"]
    )
    assert result.exit_code == 2 and "anneal, columns" in result.stderr
    assert "Traceback" not in result.stderr
