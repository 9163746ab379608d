"""A load killed with SIGKILL half-way leaves the warehouse exactly as it was (real process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import WriteCsv, portal_row, table_rows
from safer77.warehouse import connect, load_incidents


def write_big_csv(path: Path, rows: int) -> None:
    """A portal-format CSV of ``rows`` rows, written by DuckDB (independent of the loader)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar_print = false")
    con.execute(
        f"""
        COPY (
          SELECT 1000000 + i AS "ID", 'JK' || i AS "Case Number",
                 strftime(TIMESTAMP '2023-01-01' + INTERVAL (i % 500000) MINUTE,
                          '%m/%d/%Y %I:%M:%S %p') AS "Date",
                 '001XX N STATE ST' AS "Block", '0820' AS "IUCR", 'THEFT' AS "Primary Type",
                 '$500 AND UNDER' AS "Description", 'STREET' AS "Location Description",
                 CASE WHEN i % 7 = 0 THEN 'true' ELSE 'false' END AS "Arrest",
                 'false' AS "Domestic", lpad(CAST(111 + i % 20 AS VARCHAR), 4, '0') AS "Beat",
                 lpad(CAST(1 + i % 22 AS VARCHAR), 3, '0') AS "District", '42' AS "Ward",
                 CAST(1 + i % 77 AS VARCHAR) AS "Community Area", '06' AS "FBI Code",
                 '1176346' AS "X Coordinate", '1900981' AS "Y Coordinate", '2023' AS "Year",
                 '06/07/2023 04:47:18 PM' AS "Updated On", '41.882857' AS "Latitude",
                 '-87.627776' AS "Longitude", '(41.882857, -87.627776)' AS "Location"
          FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )
    con.close()


@pytest.mark.slow
def test_sigkill_mid_load_leaves_previous_state(write_csv: WriteCsv, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = connect(db)
    load_incidents(con, write_csv("before.csv", [portal_row(id=str(i)) for i in range(1, 21)]))
    before = {t: table_rows(con, t) for t in ("incidents", "quarantine", "load_log")}
    con.close()

    big = tmp_path / "big.csv"
    write_big_csv(big, 3_000_000)
    env = dict(os.environ, SAFER77_DB=str(db))
    proc = subprocess.Popen(
        [sys.executable, "-m", "safer77", "ingest", "crimes", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Wait until the load is writing new rows into the database file (DuckDB writes large
    # inserts to their blocks before the commit), then kill it: the harshest moment.
    wal = Path(str(db) + ".wal")
    size0 = db.stat().st_size
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        grown = db.stat().st_size - size0 + (wal.stat().st_size if wal.exists() else 0)
        if grown > 4_000_000:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "load finished before it could be killed; make the file bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    con = connect(db)
    after = {t: table_rows(con, t) for t in before}
    con.close()
    assert after == before
