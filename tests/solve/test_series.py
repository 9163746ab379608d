"""Emerging series: a planted spree is found with its incidents; without one, the scan stays
within its error rate; the command runs on a warehouse."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from safer77.cli import app
from safer77.errors import InvalidInput
from safer77.schema import PORTAL_CSV_HEADER
from safer77.solve.series import scan
from safer77.warehouse import connect, load_incidents
from tests.conftest import robbery_at


def background(seed: int, n: int = 4000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 10_000, n), rng.uniform(0, 10_000, n), rng.integers(-179, 1, n)


def test_a_planted_spree_is_found_with_its_incidents() -> None:
    x, y, day = background(3)
    rng = np.random.default_rng(30)
    px, py = 6_200 + rng.normal(0, 120, 14), 3_100 + rng.normal(0, 120, 14)
    pday = -rng.integers(0, 3, 14)
    X, Y, D = np.concatenate([x, px]), np.concatenate([y, py]), np.concatenate([day, pday])
    result = scan(X, Y, D, as_of=0, history_days=180, permutations=199, seed=4)
    first = result.series[0]
    assert first.p_value == pytest.approx(1 / 200)
    assert np.hypot(first.centre_x - 6_200, first.centre_y - 3_100) < 700
    assert first.days <= 4
    planted = set(range(len(x), len(X)))
    found = set(first.incidents.tolist())
    assert len(found & planted) >= 12  # the spree (a point or two may fall outside the circle)
    # Every listed incident really lies in the series' window and circle's cells.
    assert all(D[i] > -first.days for i in found)
    assert first.observed == len(found)
    again = scan(X, Y, D, as_of=0, history_days=180, permutations=199, seed=4)
    assert [s.llr for s in again.series] == [s.llr for s in result.series]


@pytest.mark.slow
def test_without_a_spree_series_stay_within_the_error_rate() -> None:
    hits = 0
    for seed in range(40):
        x, y, day = background(100 + seed, n=1500)
        result = scan(x, y, day, as_of=0, history_days=180, permutations=99, seed=seed)
        hits += bool(result.series)
    # alpha = 0.05: 40 null runs with more than 6 hits would be a failure (binomial tail < 2%)
    assert hits <= 6


def test_bad_arguments() -> None:
    x, y, day = background(1, n=10)
    with pytest.raises(InvalidInput):
        scan(x, y, day, as_of=0, history_days=10, max_window=14)
    with pytest.raises(InvalidInput):
        scan(x, y[:5], day, as_of=0)
    assert scan(x, y, day, as_of=-1000).series == []


def test_series_command(tmp_path: Path) -> None:
    """Robberies spread over 200 days, plus six on one block in the last two days."""
    rng = np.random.default_rng(8)
    last = date(2022, 6, 30)
    rows = []
    for i in range(900):
        when = last - timedelta(days=int(rng.integers(0, 200)))
        lat, lon = 41.75 + rng.uniform(0, 0.15), -87.75 + rng.uniform(0, 0.15)
        rows.append((i, when, lat, lon))
    for j in range(6):
        rows.append((900 + j, last - timedelta(days=j % 2), 41.8201, -87.6502))
    path = tmp_path / "robberies.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PORTAL_CSV_HEADER)
        for i, when, lat, lon in rows:
            r = robbery_at(10_000 + i, "JF", f"{when:%m/%d/%Y} 08:00:00 PM", lat, lon)
            w.writerow([r[h] for h in PORTAL_CSV_HEADER])
    db = tmp_path / "w.duckdb"
    con = connect(db)
    load_incidents(con, path)
    con.close()
    r = CliRunner().invoke(
        app,
        [
            "solve",
            "series",
            "--db",
            str(db),
            "--crime-type",
            "robbery",
            "--permutations",
            "99",
            "--history",
            "200",
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["as_of"] == "2022-06-30" and got["series"][0]["p"] == pytest.approx(0.01)
    ids = {m["id"] for m in got["incidents"][0]}
    assert {10_900 + j for j in range(6)} <= ids
