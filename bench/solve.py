"""Emerging-series benchmark (run by hand; not part of the tests).

Synthesises one year of city-scale incidents (default 300,000, the synthetic city's own
geography and hot spots), loads them into an in-memory warehouse, and runs the prospective
space-time permutation scan over every incident type as of the last day with 999
permutations. Prints the seconds of each step and the series found
(target: scan <= 60 s with 999 permutations).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from safer77.solve.study import series, series_rows
from safer77.synth import synth_crimes, synth_geography
from safer77.warehouse import connect, load_incidents


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--permutations", type=int, default=999)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        city = synth_geography(args.seed)
        path = Path(tmp) / "year.csv"
        synth_crimes(
            rows=args.rows, seed=args.seed, out=path, start=date(2024, 1, 1), months=12, city=city
        )
        made = time.perf_counter()
        con = connect(":memory:")
        load_incidents(con, path)
        loaded = time.perf_counter()
    types = [t for (t,) in con.execute("SELECT DISTINCT primary_type FROM incidents").fetchall()]
    result, _, as_of = series(con, types, permutations=args.permutations, seed=args.seed)
    scanned = time.perf_counter()
    print(f"synthesised {args.rows:,} incidents in {made - started:.1f} s")
    print(f"loaded in {loaded - made:.1f} s")
    print(
        f"scan as of {as_of}: {result.incidents:,} incidents in the year, "
        f"{result.cylinders:,} cylinders, {args.permutations} permutations: "
        f"{scanned - loaded:.1f} s (target <= 60 s)"
    )
    for row in series_rows(result, as_of)[:5]:
        print("  ", row)


if __name__ == "__main__":
    main()
