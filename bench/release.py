"""How long an incremental month takes, fetch to published release, on a large warehouse.

    PYTHONPATH=src:tests python bench/release.py [--rows 8000000] [--keep DIR]

Builds a warehouse of ``--rows`` incidents (a portal-format CSV written by DuckDB, released
once with --files: not timed), then serves one month on a loopback portal (10,000 new records
and 5,000 revised ones: arrest flipped, type reclassified) and times ``safer77 release`` from
the fetch to the published release, printing each step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import duckdb

# this script is named release.py too: the tests folder replaces its own on the path, so
# that the tests' release package is the one imported
sys.path[0] = str(Path(__file__).resolve().parents[1] / "tests")

from release.portal import TYPES, make_records, revise, running_portal  # noqa: E402

from safer77.release.config import ReleaseConfig  # noqa: E402
from safer77.release.steps import run_release  # noqa: E402

START = dt.datetime(2001, 1, 1)
MONTH = "2024-01"  # the incremental month


def write_csv(path: Path, rows: int) -> None:
    """``rows`` incidents from 2001 to the end of 2023, ten-plus types, in portal CSV format."""
    minutes = int((dt.datetime(2024, 1, 1) - START).total_seconds() // 60)
    types = ", ".join(f"('{a}', '{b}', '{c}', '{d}')" for a, b, c, d in TYPES)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar_print = false")
    con.execute(
        f"""
        COPY (
          WITH t AS (SELECT * FROM (VALUES {types}) v(iucr, ptype, descr, fbi)),
          tn AS (SELECT *, row_number() OVER () - 1 AS k FROM t)
          SELECT 1000000 + i AS "ID", 'JK' || i AS "Case Number",
                 strftime(TIMESTAMP '2001-01-01' + INTERVAL (i * {minutes} // {rows}) MINUTE,
                          '%m/%d/%Y %I:%M:%S %p') AS "Date",
                 '001XX N STATE ST' AS "Block", tn.iucr AS "IUCR", tn.ptype AS "Primary Type",
                 tn.descr AS "Description", 'STREET' AS "Location Description",
                 CASE WHEN hash(i) % 5 = 0 THEN 'true' ELSE 'false' END AS "Arrest",
                 'false' AS "Domestic", lpad(CAST(111 + i % 20 AS VARCHAR), 4, '0') AS "Beat",
                 lpad(CAST(1 + i % 22 AS VARCHAR), 3, '0') AS "District", '42' AS "Ward",
                 CAST(1 + hash(i) % 77 AS VARCHAR) AS "Community Area", tn.fbi AS "FBI Code",
                 '2023' AS "Year", '01/02/2024 04:47:18 PM' AS "Updated On"
          FROM range({rows}) r(i) JOIN tn ON tn.k = hash(i * 7) % {len(TYPES)}
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=8_000_000)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="release-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    big = work / "big.csv"
    t0 = time.perf_counter()
    write_csv(big, args.rows)
    cfg = ReleaseConfig(root=work / "root", db=work / "w.duckdb", page_size=50_000)
    first = run_release(cfg, month="2023-12", files=[big])
    print(f"setup: {args.rows:,} rows released as 2023-12 in {time.perf_counter() - t0:.1f} s")
    big.unlink()

    rng = random.Random(5)
    new = make_records(10_000, dt.datetime(2024, 1, 1), 31, dt.datetime(2024, 2, 2), 90_000_000, 1)
    ids = rng.sample(range(args.rows), 5_000)
    old = [
        {
            "id": str(1_000_000 + i),
            "case_number": f"JK{i}",
            "date": (START + dt.timedelta(minutes=i * 12_000_000 // args.rows)).strftime(
                "%Y-%m-%dT%H:%M:%S.000"
            ),
            "block": "001XX N STATE ST",
            "iucr": TYPES[0][0],
            "primary_type": TYPES[0][1],
            "description": TYPES[0][2],
            "location_description": "STREET",
            "arrest": False,
            "domestic": False,
            "beat": "0111",
            "district": "001",
            "ward": "42",
            "community_area": "1",
            "fbi_code": TYPES[0][3],
            "year": "2023",
        }
        for i in ids
    ]
    revised = [revise(r, dt.datetime(2024, 2, 3), k) for k, r in enumerate(old)]
    with running_portal() as portal:
        portal.serve(new + revised)
        t1 = time.perf_counter()
        out = run_release(cfg.with_overrides(base_url=portal.url), month=MONTH)
        total = time.perf_counter() - t1
    del first
    for step, seconds, detail in out.steps:
        print(f"  {step:<9} {seconds:7.2f} s  {detail}")
    print(out.summary())
    print(
        f"incremental month ({len(new):,} new + {len(revised):,} revised rows) on a "
        f"{args.rows:,}-row warehouse: fetch -> published release in {total:.1f} s"
    )


if __name__ == "__main__":
    main()
