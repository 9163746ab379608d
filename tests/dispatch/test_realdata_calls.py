"""The real CAD records (shared/data/calls/): the load adds up, its intervals agree with an
independent recount (csv + gzip + datetime here), and the calibrated simulation reproduces the
held-out weeks."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from safer77.warehouse import connect, list_quarantine
from safer77.warehouse.calls import load_calls
from safer77.warehouse.incidents import LoadResult

pytestmark = pytest.mark.slow  # the real calls file

CALLS = "calls/decc_cad_2025-08-24_2025-11-29.csv.gz"


@pytest.fixture(scope="module")
def loaded(shared_data: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, LoadResult, Path]]:
    con = connect(":memory:")
    path = shared_data / CALLS
    result = load_calls(con, path)
    yield con, result, path
    con.close()


def test_the_load_adds_up(loaded: tuple[duckdb.DuckDBPyConnection, LoadResult, Path]) -> None:
    con, r, path = loaded
    with gzip.open(path, "rt", newline="") as fh:
        rows = sum(1 for _ in csv.DictReader(fh))
    assert r.read == rows == 22_147
    assert r.read == r.loaded + r.duplicates + r.quarantined
    assert con.execute("SELECT count(*) FROM calls").fetchall() == [(r.loaded,)]
    assert r.quarantined == len(list_quarantine(con))
    again = load_calls(con, path)
    assert (again.loaded, again.updated, again.duplicates) == (0, 0, r.loaded)


def _stamp(text: str) -> datetime | None:
    return None if text in ("", "NULL") else datetime.fromisoformat(text)


# interval -> (from column, to column, the export's own whole-second column)
RECOUNT = {
    "dispatch_s": ("Incident_Queue_Time", "Incident_Dispatch_Time", "Time_To_Dispatch"),
    "rollout_s": ("Incident_Dispatch_Time", "Incident_Enroute_Time", "Rollout_Time"),
    "travel_s": ("Incident_Enroute_Time", "Incident_Arrival_Time", "Transit_Time"),
}


def test_intervals_equal_an_independent_recount(
    loaded: tuple[duckdb.DuckDBPyConnection, LoadResult, Path],
) -> None:
    con, _, path = loaded
    skip = {int(str(q["line"])) for q in list_quarantine(con)}
    expected: dict[str, dict[str, float]] = {k: {} for k in RECOUNT}
    with gzip.open(path, "rt", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            if line in skip:
                continue
            key = f"{row['Master_Incident_Number']}|{row['Agency'].lower()}"
            for name, (a, b, own) in RECOUNT.items():
                start, end = _stamp(row[a]), _stamp(row[b])
                if start is None or end is None:
                    continue
                seconds = max(0.0, (end - start).total_seconds())  # within the 1 s tolerance
                expected[name][key] = seconds
                assert abs(seconds - float(row[own])) <= 1.0, (line, name)  # the export agrees
    for name, want in expected.items():
        got = dict(
            con.execute(f"SELECT call_key, {name} FROM calls WHERE {name} IS NOT NULL").fetchall()
        )
        assert len(got) == len(want) > 10_000, name
        assert got.keys() == want.keys()
        assert all(abs(got[k] - want[k]) < 1e-6 for k in want), name


def test_calibrated_on_weeks_35_44_the_model_reproduces_weeks_45_48(
    loaded: tuple[duckdb.DuckDBPyConnection, LoadResult, Path],
) -> None:
    from safer77.dispatch.calibrate import calibrate
    from safer77.dispatch.policy import load_policy

    con, _, _ = loaded
    result = calibrate(con, list(range(35, 45)), list(range(45, 49)), load_policy(), ("police",))
    rows = {
        (r["priority"], r["quantile"]): r for r in result.rows if r["measure"] == "time_to_dispatch"
    }
    # the observed figures are recounted here, straight from the table
    for p in (1, 2):
        for q in (0.5, 0.9):
            (obs,) = con.execute(
                "SELECT quantile_cont(dispatch_s / 60, ?) FROM calls WHERE agency = 'police' "
                "AND priority = ? AND NOT self_initiated AND week BETWEEN 45 AND 48",
                [q, p],
            ).fetchall()[0]
            r = rows[(p, q)]
            assert abs(r["observed"] - obs) < 0.01
            limit = 0.20 if q == 0.5 else 0.30
            assert abs(r["simulated"] / obs - 1) <= limit, r
            assert abs(r["rel_error"]) < abs(r["naive_rel_error"]), r
    assert set(result.profile["agencies"]["police"]["units"]) == {"day", "night"}
