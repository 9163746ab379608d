"""Ingest and start-up benchmark (run by hand: `make bench`; not part of the tests).

Synthesises portal-schema rows (default 8,000,000, ~2 GB CSV; cached in bench/out/) and prints
every row of issue 27's table, each with its target and PASS/FAIL; every ratio is measured in
this run with its peer interleaved (ours, peer, ours, peer, ...), best of --repeat (3; at
least 5 for the start-up rows):
`safer77 --help` (whole process; peer `python -c pass`), `stats arrests --by district` on a
20,000-row warehouse (peer: the same query in bare DuckDB), all statistics from the big
warehouse in a fresh process, `stats arrests --file` against Polars `scan_csv` -> group by and
against pandas, an incremental load of 10,000 new/changed rows (CLI), and `safer77 ingest`
against DuckDB's own CREATE TABLE AS read_csv. Peak memory of each step is printed too (must
stay under 8 GB). Each step runs in its own process so its time and memory are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable

PLAIN = """
import duckdb, sys
con = duckdb.connect(sys.argv[2]); con.execute("SET enable_progress_bar_print=false")
con.execute(f"CREATE TABLE plain AS SELECT * FROM read_csv('{sys.argv[1]}')")
"""

PANDAS = """
import sys, pandas as pd
cols = ["Date", "Primary Type", "Arrest", "Beat", "District", "Community Area", "FBI Code"]
df = pd.read_csv(sys.argv[1], usecols=cols, dtype={"Beat": "string", "District": "string",
                 "FBI Code": "string", "Primary Type": "string", "Arrest": "string",
                 "Community Area": "string"})
df["month"] = pd.to_datetime(df["Date"], format="%m/%d/%Y %I:%M:%S %p").dt.to_period("M")
df["arrest"] = df["Arrest"].str.lower() == "true"
out = df.groupby(["month", "District", "Primary Type"]).agg(
    incidents=("arrest", "size"), arrests=("arrest", "sum"))
print(len(out))
"""

STATS = """
import sys, time, json
from safer77.warehouse import connect
from safer77.metrics import compute_all
con = connect(sys.argv[1])
t = time.perf_counter(); counts = compute_all(con); dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "rows": {k: v for k, v in counts.items() if k != "seconds"}}))
"""

POLARS = """
import sys, polars as pl
out = (
    pl.scan_csv(sys.argv[1], infer_schema=False)
    .select("Date", "Primary Type", "Arrest", "District")
    .with_columns(
        month=pl.col("Date").str.strptime(pl.Datetime, "%m/%d/%Y %I:%M:%S %p").dt.truncate("1mo"),
        arrest=pl.col("Arrest").str.to_lowercase() == "true",
    )
    .group_by("month", "District", "Primary Type")
    .agg(incidents=pl.len(), arrests=pl.col("arrest").sum())
    .collect()
)
print(len(out))
"""

DUCK_QUERY = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print(len(con.sql(
    "SELECT date_trunc('month', occurred_at) AS m, district, count(*), "
    "count(*) FILTER (WHERE arrest) FROM incidents GROUP BY ALL ORDER BY ALL").fetchall()))
"""

INCREMENT = """
import duckdb, sys
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect(); con.execute("SET enable_progress_bar_print=false")
con.execute(f'''
COPY (
  SELECT * REPLACE (
      CASE WHEN "Arrest" THEN false ELSE true END AS "Arrest",
      "Updated On" + INTERVAL 30 DAY AS "Updated On")
  FROM (SELECT * FROM read_csv('{src}', all_varchar = false) LIMIT 5000)
  UNION ALL
  SELECT * REPLACE ("ID" + 100000000 AS "ID", 'ZZ' || "Case Number" AS "Case Number")
  FROM (SELECT * FROM read_csv('{src}', all_varchar = false) LIMIT 5000 OFFSET 5000)
) TO '{out}' (HEADER, DELIMITER ',', TIMESTAMPFORMAT '%m/%d/%Y %I:%M:%S %p')
''')
"""

INCREMENT_LIB = """
import sys, time, json
from pathlib import Path
from safer77.warehouse import connect, load_incidents
con = connect(sys.argv[1])
t = time.perf_counter(); r = load_incidents(con, Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - t, **{k: getattr(r, k) for k in
      ("read", "loaded", "updated", "duplicates", "quarantined")}}))
"""


def run(cmd: list[str], label: str) -> tuple[float, float, str]:
    """Run a command; return (seconds, its peak resident memory in GB, its stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        dt = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            sys.exit(f"{label} failed:\n{err.read().decode()[-2000:]}")
        return dt, usage.ru_maxrss / 1024 / 1024, out.read().decode()


def synth_csv(exe: str, csv: Path, rows: int, seed: int) -> None:
    """The synthetic input, made once and reused by every benchmark."""
    if csv.exists():
        return
    print(f"synthesising {rows:,} rows -> {csv} ...", flush=True)
    cmd = [exe, "synth", "crimes", "--rows", str(rows), "--seed", str(seed), "--out", str(csv)]
    dt, gb, _ = run(cmd, "synth")
    print(f"  synth: {dt:.1f} s, peak {gb:.2f} GB")


def rm_db(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)


def best(pair: list[tuple[list[str], str]], repeat: int) -> list[tuple[float, float, str]]:
    """Run the commands in turn ``repeat`` times (interleaved); per command its best time, the
    peak memory of that run and its output."""
    results: list[tuple[float, float, str]] = [(float("inf"), 0.0, "")] * len(pair)
    for _ in range(repeat):
        for k, (cmd, label) in enumerate(pair):
            r = run(cmd, label)
            if r[0] < results[k][0]:
                results[k] = r
    return results


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=8_000_000)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many, interleaved")
    ap.add_argument("--workdir", type=Path, default=HERE / "out")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv = args.workdir / f"synth_{args.rows}_{args.seed}.csv"
    small_csv = args.workdir / f"synth_20000_{args.seed}.csv"
    exe = str(Path(PY).with_name("safer77"))
    n = args.repeat

    synth_csv(exe, csv, args.rows, args.seed)
    synth_csv(exe, small_csv, 20_000, args.seed)
    size_gb = csv.stat().st_size / 1e9
    print(f"input: {csv.name}, {args.rows:,} rows, {size_gb:.2f} GB; best of {n}, interleaved\n")

    db, plain_db = args.workdir / "bench.duckdb", args.workdir / "plain.duckdb"
    small_db = args.workdir / "small.duckdb"
    env_db = ["--db", str(db)]
    os.sync()

    # start-up: --help, and stats on a 20k-row warehouse against bare DuckDB
    rm_db(small_db)
    run([exe, "ingest", "crimes", str(small_csv), "--db", str(small_db)], "small ingest")
    (t_help, _, _), (t_pass, _, _) = best(
        [([exe, "--help"], "--help"), ([PY, "-c", "pass"], "python -c pass")], max(n, 5)
    )
    stats_cmd = [exe, "stats", "arrests", "--by", "district", "--db", str(small_db)]
    (t_small, _, _), (t_duck, _, _) = best(
        [(stats_cmd, "stats 20k"), ([PY, "-c", DUCK_QUERY, str(small_db)], "bare duckdb")],
        max(n, 5),
    )

    # ingest against DuckDB's own CTAS (a fresh warehouse each time)
    t_ingest = t_plain = float("inf")
    m_ingest = m_plain = 0.0
    out = ""
    for _ in range(n):
        rm_db(plain_db)
        t, m_plain, _ = run([PY, "-c", PLAIN, str(csv), str(plain_db)], "plain duckdb")
        t_plain = min(t_plain, t)
        rm_db(db)
        t, m, out = run([exe, "ingest", "crimes", str(csv), *env_db, "--format", "json"], "ingest")
        t_ingest, m_ingest = min(t_ingest, t), max(m_ingest, m)
    rm_db(plain_db)
    counts = json.loads(out.strip().splitlines()[-1])

    # all statistics, fresh process: in-process seconds and the whole process
    t_stats_whole, m_stats, out = best([([PY, "-c", STATS, str(db)], "stats")], n)[0]
    stats = json.loads(out)

    file_cmd = [exe, "stats", "arrests", "--by", "district", "--file", str(csv), "--format", "csv"]
    (t_file, m_file, _), (t_polars, m_polars, _) = best(
        [(file_cmd, "stats --file"), ([PY, "-c", POLARS, str(csv)], "polars")], n
    )
    (t_file2, _, _), (t_pandas, m_pandas, _) = best(
        [(file_cmd, "stats --file"), ([PY, "-c", PANDAS, str(csv)], "pandas")], max(1, n - 2)
    )
    t_file = min(t_file, t_file2)

    inc = args.workdir / "increment_10k.csv"
    run([PY, "-c", INCREMENT, str(csv), str(inc)], "make increment")
    t_inc_cli, m_inc, out = run(
        [exe, "ingest", "crimes", str(inc), *env_db, "--format", "json"], "incremental ingest (CLI)"
    )
    inc_counts = json.loads(out.strip().splitlines()[-1])
    # the same increment again through the library (all duplicates now), for the in-process time
    _, _, out = run([PY, "-c", INCREMENT_LIB, str(db), str(inc)], "incremental (library)")
    inc_lib = json.loads(out)

    print(f"ingest counts: {counts}")
    print(f"stats tables:  {stats['rows']}")
    print(f"increment:     {inc_counts}  (re-run in process: {inc_lib['seconds']:.2f} s)\n")
    rows = [
        ("`safer77 --help`, whole process", f"{t_help:.2f} s", "<= 0.3 s",
         f"`python -c pass` {t_pass:.3f} s", t_help <= 0.3),
        ("`stats arrests --by district`, 20k-row warehouse", f"{t_small:.2f} s", "<= 0.4 s",
         f"bare DuckDB {t_duck:.2f} s", t_small <= 0.4),
        (f"all stats, {args.rows:,}-row warehouse, fresh process",
         f"{stats['seconds']:.2f} s in process, {t_stats_whole:.2f} s whole", "<= 0.5 s whole",
         "-", t_stats_whole <= 0.5),
        ("`stats arrests --file` (one pass)", f"{t_file:.2f} s ({t_file / t_polars:.2f}x Polars)",
         "<= 1.0x Polars", f"Polars scan_csv -> group by {t_polars:.2f} s",
         t_file <= t_polars),
        ("the same against pandas", f"{t_pandas / t_file:.1f}x faster", ">= 5x faster",
         f"pandas {t_pandas:.2f} s", t_pandas / t_file >= 5),
        ("incremental 10k rows, CLI", f"{t_inc_cli:.2f} s", "<= 0.8 s", "-", t_inc_cli <= 0.8),
        ("ingest against DuckDB's own CTAS", f"{t_ingest / t_plain:.2f}x ({t_ingest:.2f} s)",
         "<= 1.2x", f"CTAS {t_plain:.2f} s", t_ingest / t_plain <= 1.2),
    ]  # fmt: skip
    print("| measure | ours | target | peer | pass |\n|---|---|---|---|---|")
    for label, ours, target, peer, ok in rows:
        print(f"| {label} | {ours} | {target} | {peer} | {verdict(ok)} |")
    print("| dispatch against SimPy | see bench/dispatch.py | >= 10x | | |")
    peaks = {
        "ingest": m_ingest, "plain": m_plain, "stats": m_stats, "stats --file": m_file,
        "polars": m_polars, "pandas": m_pandas, "incremental": m_inc,
    }  # fmt: skip
    print("\npeak memory (GB): " + ", ".join(f"{k} {v:.2f}" for k, v in peaks.items()))
    print(f"peak memory of any step: {max(peaks.values()):.2f} GB (limit 8 GB)")


if __name__ == "__main__":
    main()
