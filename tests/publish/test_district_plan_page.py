"""The District plan page: published from a folder written by ``plan districts --out``."""

from __future__ import annotations

import csv
import json
from html import escape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safer77.cli import app
from safer77.errors import InvalidInput
from safer77.publish.site import build_site
from safer77.warehouse import connect

runner = CliRunner()


@pytest.fixture(scope="module")
def plan_dir(synth_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan")
    args = ["plan", "districts", "--db", str(synth_db), "--steps", "500", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return out


def test_page_shows_the_written_comparison_and_map(
    synth_db: Path, plan_dir: Path, tmp_path: Path
) -> None:
    con = connect(synth_db, read_only=True)
    try:
        build_site(con, tmp_path / "site", district_plan=plan_dir)
        build_site(con, tmp_path / "plain")
    finally:
        con.close()
    page = (tmp_path / "site" / "district-plan.html").read_text()
    with (plan_dir / "comparison.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        cells = f"<th scope='row'>{escape(r['measure'])}</th><td>{r['current']}</td>"
        assert f"{cells}<td>{r['proposed']}</td>" in page
    assert (plan_dir / "map.svg").read_text().strip() in page
    beats = json.loads((tmp_path / "site" / "data/district_plan/beats.json").read_text())
    with (plan_dir / "beats.csv").open() as fh:
        assert {(b["beat"], b["district"]) for b in beats} == {
            (int(r["beat"]), int(r["district"])) for r in csv.DictReader(fh)
        }
    assert 'href="district-plan.html"' in (tmp_path / "site" / "index.html").read_text()
    assert not (tmp_path / "plain" / "district-plan.html").exists()
    assert "district-plan.html" not in (tmp_path / "plain" / "index.html").read_text()


def test_a_folder_without_a_plan_is_refused(synth_db: Path, tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "plan.json").write_text("{}", "utf-8")
    (tmp_path / "bad" / "map.svg").write_text("<svg/>", "utf-8")
    con = connect(synth_db, read_only=True)
    try:
        with pytest.raises(InvalidInput, match=r"plan\.json"):
            build_site(con, tmp_path / "site", district_plan=tmp_path / "bad")
    finally:
        con.close()
