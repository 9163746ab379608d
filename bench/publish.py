"""Site-build benchmark (run by hand; not part of the tests).

Builds the public site from an 8,000,000-row synthetic warehouse (made by bench/ingest.py, or
here if missing) and prints the build time (target <= 30 s), pages per second and the build's
peak memory (target < 4 GB). The build runs in its own process, as `safer77 publish`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ingest import run, synth_csv  # noqa: E402  (the same timing helper as the ingest benchmark)

PY = sys.executable


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=8_000_000)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--workdir", type=Path, default=HERE / "out")
    args = ap.parse_args()
    exe = str(Path(PY).with_name("safer77"))
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    csv = work / f"synth_{args.rows}_{args.seed}.csv"
    db = work / "publish.duckdb"
    for p in (db, Path(f"{db}.wal")):
        p.unlink(missing_ok=True)
    synth_csv(exe, csv, args.rows, args.seed)
    geo = work / "geo"
    run([exe, "synth", "boundaries", "--out", str(geo), "--seed", str(args.seed)], "boundaries")
    for kind, name in (
        ("community-areas", "community_areas"),
        ("districts", "districts"),
        ("beats", "beats"),
    ):
        run(
            [exe, "ingest", "boundaries", kind, str(geo / f"{name}.geojson"), "--db", str(db)], kind
        )
    t_ingest, _, out = run(
        [exe, "ingest", "crimes", str(csv), "--db", str(db), "--format", "json"], "ingest"
    )
    counts = json.loads(out.strip().splitlines()[-1])
    site = work / "site"
    seconds, peak, _ = run([exe, "publish", "--out", str(site), "--db", str(db)], "publish")
    pages = sum(1 for _ in site.rglob("*.html"))
    files = sum(1 for p in site.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6
    print(f"warehouse: {counts['loaded']:,} incidents (ingest {t_ingest:.1f} s)")
    print(f"site build (CLI, end to end, stats included): {seconds:.2f} s (target <= 30 s)")
    print(f"pages: {pages}, {pages / seconds:.1f} pages/s; files: {files}, {size:.1f} MB")
    print(f"peak memory of the build: {peak:.2f} GB (target < 4 GB)")


if __name__ == "__main__":
    main()
