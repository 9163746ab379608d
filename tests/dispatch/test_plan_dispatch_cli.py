"""``safer77 plan triage|simulate`` and the Crisis response page built from a saved run."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from safer77.cli import app
from safer77.publish.site import build_site
from safer77.warehouse import connect

runner = CliRunner()


def test_triage_explains_the_decision() -> None:
    r = runner.invoke(
        app, ["plan", "triage", "WELFARE CHECK", "SHOTS FIRED", "--at", "2025-09-01 22:00"]
    )
    assert r.exit_code == 0, r.output
    assert "WELFARE CHECK at Mon 22:00: co_response" in r.stdout
    assert "off duty" in r.stdout and "SHOTS FIRED at Mon 22:00: police" in r.stdout
    r = runner.invoke(app, ["plan", "triage", "MENTAL HEALTH CASE", "--flag", "weapon"])
    assert r.exit_code == 0 and ": police" in r.stdout and "weapon reported" in r.stdout


def test_a_malformed_policy_file_exits_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text(
        "[default]\nresponder = 'police'\n\n[[rule]]\nmatch = ['X']\nresponder = 'cop'\n"
    )
    r = runner.invoke(app, ["plan", "triage", "X", "--policy", str(bad)])
    assert r.exit_code != 0 and "4" in r.output and "unknown responder" in r.output


def test_simulate_from_a_profile_saves_and_publishes(synth_db: Path, tmp_path: Path) -> None:
    profile = tmp_path / "demand.csv"
    with profile.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["district", "hour_of_week", "calls_per_hour"])
        for d in (1, 2):
            for h in range(168):
                w.writerow([d, h, 2.0 + (h % 24 > 17)])
    db = tmp_path / "w.duckdb"
    shutil.copy(synth_db, db)
    args = ["plan", "simulate", "--db", str(db), "--profile", str(profile), "--days", "7"]
    r = runner.invoke(app, [*args, "--staffing", "1,3", "--save", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["scenario"] for x in rows] == [
        "police only",
        "crisis teams x1",
        "crisis teams x3",
        "co-response x3",
    ]
    expected_calls = rows[0]["calls"]
    assert all(x["calls"] == expected_calls for x in rows)  # the same arrivals in each
    assert rows[0]["diverted"] == 0 and rows[2]["diverted"] > 0
    again = runner.invoke(app, [*args, "--staffing", "1,3", "--format", "json"])
    assert json.loads(again.stdout) == rows  # deterministic per seed
    con = connect(db, read_only=True)
    try:
        build_site(con, tmp_path / "site")
    finally:
        con.close()
    page = (tmp_path / "site/dispatch.html").read_text()
    assert "crisis teams x3" in page and "Diverted from police" in page
    saved = json.loads((tmp_path / "site/data/dispatch/scenarios.json").read_text())
    assert [s["calls"] for s in saved] == [x["calls"] for x in rows]
    assert saved[2]["diverted"] == rows[2]["diverted"]
    # the scenarios are charted too, caption above: one bar per scenario, values as stored
    chart = page[page.index("<figcaption>Share of calls diverted") :].split("</figure>")[0]
    assert chart.count("<rect") == 2 * len(rows)  # drawn wide and narrow
    for r in rows:
        assert f"<title>{r['scenario']}: {100 * r['diverted']:.1f}%</title>" in chart
    assert "Police priority-1 response, 90th percentile, by scenario" in page


def test_the_page_says_when_nothing_was_simulated(synth_db: Path, tmp_path: Path) -> None:
    con = connect(synth_db, read_only=True)
    try:
        build_site(con, tmp_path / "site")
    finally:
        con.close()
    assert "safer77 plan simulate --save" in (tmp_path / "site/dispatch.html").read_text()


def test_travel_follows_the_square_root_law() -> None:
    from safer77.dispatch.scenarios import travel_minutes

    # 16 km², 4 units: 0.63 * sqrt(4) = 1.26 km at 30 km/h = 2.52 min, plus 2 to roll
    assert travel_minutes(16.0, 4) == pytest.approx(2.0 + 2.52)
    assert travel_minutes(16.0, 16) < travel_minutes(16.0, 4)


def test_district_areas_match_a_projected_computation(synth_db: Path) -> None:
    import shapely
    from pyproj import Transformer

    from safer77.dispatch.scenarios import district_areas

    con = connect(synth_db, read_only=True)
    try:
        rows = con.execute(
            "SELECT key, geometry FROM boundaries WHERE kind = 'districts'"
        ).fetchall()
        keys = sorted(int(k) for k, _ in rows)
        got = district_areas(con, keys)
    finally:
        con.close()
    to_feet = Transformer.from_crs("EPSG:4326", "EPSG:3435", always_xy=True)  # IL East, ft
    geoms = {int(k): shapely.from_wkb(bytes(g)) for k, g in rows}
    expected = [
        shapely.transform(
            geoms[k], lambda c: np.column_stack(to_feet.transform(c[:, 0], c[:, 1]))
        ).area
        * 0.3048006**2
        / 1e6
        for k in keys
    ]
    assert got is not None
    assert got == pytest.approx(expected, rel=0.02)


def test_demand_without_districts_uses_the_areas_districts(synth_db: Path, tmp_path: Path) -> None:
    import shapely

    from safer77.dispatch.scenarios import area_districts, demand_from_warehouse

    db = tmp_path / "w.duckdb"
    shutil.copy(synth_db, db)
    con = connect(db)
    try:
        before_d, before = demand_from_warehouse(con, 1e6)
        con.execute("UPDATE incidents SET district = NULL")
        mapping = area_districts(con)
        after_d, after = demand_from_warehouse(con, 1e6)
        polys = {
            (kind, int(k)): shapely.from_wkb(bytes(g))
            for kind, k, g in con.execute("SELECT kind, key, geometry FROM boundaries").fetchall()
        }
    finally:
        con.close()
    assert after.sum() == pytest.approx(before.sum()) and set(after_d) <= set(before_d)
    # an area's district holds most of it: its representative point, for nearly every area
    inside = [
        polys[("districts", d)].contains(polys[("community_areas", a)].point_on_surface())
        for a, d in mapping.items()
    ]
    assert len(mapping) == 77 and sum(inside) >= 0.85 * len(inside)


def test_plan_calibrate_writes_a_profile_that_plan_simulate_takes(tmp_path: Path) -> None:
    """Hand-made records: two weeks of police calls, priorities 1-3, one unit's worth of
    work; calibrate on one, validate on the other, simulate from the saved profile."""
    from safer77.warehouse.calls import load_calls

    rng = np.random.default_rng(3)
    lines = ["EVENT_NO,AGENCY_CODE,EVENT_TYPE,PRI,SOURCE,CREATED,PENDING,ASSIGNED,ENROUTE,"
             "ONSCENE,CLOSED"]  # fmt: skip
    start = np.datetime64("2025-03-03T00:00:00")
    for i in range(1200):
        t0 = start + np.timedelta64(int(rng.uniform(0, 14 * 86400)), "s")
        steps = np.cumsum([20, rng.exponential(60) + 5, 30, rng.exponential(300) + 30,
                           rng.lognormal(3, 0.5) * 60]).astype(int)  # fmt: skip
        ts = [str(t0).replace("T", " ")] + [
            str(t0 + np.timedelta64(int(s), "s")).replace("T", " ") for s in steps
        ]
        kind, pri = [("MENTAL HEALTH CASE", "B"), ("ALARM", "C"), ("SHOTS FIRED", "A")][i % 3]
        lines.append(f"E{i},CPD,{kind},{pri},PHONE," + ",".join(ts))
    export = tmp_path / "x.csv"
    export.write_text("\n".join(lines) + "\n")
    db = tmp_path / "w.duckdb"
    with connect(db) as con:
        load_calls(con, export, Path(__file__).parent / "fixtures" / "cad-test.toml")
        weeks = sorted(w for (w,) in con.execute("SELECT DISTINCT week FROM calls").fetchall())
    assert len(weeks) >= 2
    profile = tmp_path / "profile.json"
    r = runner.invoke(
        app,
        [
            "plan",
            "calibrate",
            "--train-weeks",
            str(weeks[0]),
            "--test-weeks",
            str(weeks[1]),
            "--db",
            str(db),
            "--save",
            str(profile),
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    need = {"agency", "priority", "measure", "quantile", "observed", "simulated", "naive"}
    assert rows and need | {"rel_error"} <= set(rows[0])
    assert {x["measure"] for x in rows} == {"time_to_dispatch", "response"}
    r = runner.invoke(
        app, ["plan", "simulate", "--profile", str(profile), "--days", "7", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    sims = json.loads(r.stdout)
    assert sims[0]["crisis_teams"] == 0 and sims[0]["diverted"] == 0
    assert any(s["diverted"] > 0 for s in sims[1:])  # the mental-health calls go to the team
    bad = runner.invoke(app, ["plan", "calibrate", "--train-weeks", "10-12", "--test-weeks",
                              "12", "--db", str(db)])  # fmt: skip
    assert bad.exit_code != 0 and "overlap" in bad.output


def test_the_crisis_page_shows_the_calibration_and_the_diversion_table() -> None:
    from types import SimpleNamespace

    from safer77.publish.dispatch import calibration_body, store_calibration

    con = connect(":memory:")
    assert calibration_body(con) == ""  # nothing stored yet
    rows = [
        {"agency": "police", "priority": p, "measure": "time_to_dispatch", "quantile": q,
         "observed": obs, "simulated": sim, "naive": 0.0, "rel_error": sim / obs - 1,
         "naive_rel_error": -1.0}
        for p, q, obs, sim in ((1, 0.5, 0.64, 0.63), (1, 0.9, 2.31, 1.86), (2, 0.5, 2.89, 3.03))
    ]  # fmt: skip
    diversion = [{"policy": "star", "team_hours": "06-22, every day", "crisis_calls": 955,
                  "share_police_calls": 0.0796, "share_police_busy_hours": 0.1258,
                  "top_types": "MENTAL HEALTH CASE (269)"}]  # fmt: skip
    store_calibration(con, SimpleNamespace(rows=rows), {"diversion": diversion})
    html = calibration_body(con)
    assert html.count("<rect") >= 2 * len(rows) and "<svg" in html
    assert "not Chicago" in html and "DECCreport3" in html
    assert "8.0%" in html and "12.6%" in html and "MENTAL HEALTH CASE (269)" in html
    assert "+4.8%" in html  # priority 2 p50 error
    assert "CAHOOTS" in html and "11% of mental-health-tagged calls" in html
