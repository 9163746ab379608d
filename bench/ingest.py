"""Ingest benchmark (run by hand: `make bench`; not part of the tests).

Synthesises 8,000,000 portal-schema rows (~2 GB CSV; cached in bench/out/) and prints, in one
run: `safer77 ingest` vs plain DuckDB CREATE TABLE AS read_csv on the same file (target ratio
<= 1.5); the same parse + monthly group-by, straight from the file (`stats --file`), vs a
straightforward pandas pipeline (target: >= 5x faster), and ingest + all stats vs pandas;
computing every statistic from the warehouse (target <= 1 s); an incremental load of 10,000
new/changed rows into the 8M-row warehouse (target <= 2 s); and peak memory of each step
(must stay under 8 GB). Each step runs in its own process so its peak memory is its own.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=8_000_000)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--workdir", type=Path, default=HERE / "out")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv = args.workdir / f"synth_{args.rows}_{args.seed}.csv"
    exe = str(Path(PY).with_name("safer77"))

    synth_csv(exe, csv, args.rows, args.seed)
    size_gb = csv.stat().st_size / 1e9
    print(f"input: {csv.name}, {args.rows:,} rows, {size_gb:.2f} GB\n")

    db, plain_db = args.workdir / "bench.duckdb", args.workdir / "plain.duckdb"
    rm_db(db)
    rm_db(plain_db)
    env_db = ["--db", str(db)]
    os.sync()

    t_plain, m_plain, _ = run([PY, "-c", PLAIN, str(csv), str(plain_db)], "plain duckdb")
    rm_db(plain_db)
    t_ingest, m_ingest, out = run(
        [exe, "ingest", "crimes", str(csv), *env_db, "--format", "json"], "ingest"
    )
    counts = json.loads(out.strip().splitlines()[-1])
    _, m_stats, out = run([PY, "-c", STATS, str(db)], "stats")
    stats = json.loads(out)
    t_pandas, m_pandas, _ = run([PY, "-c", PANDAS, str(csv)], "pandas")
    t_file, m_file, _ = run(
        [exe, "stats", "arrests", "--by", "district", "--file", str(csv), "--format", "csv"],
        "stats --file",
    )

    inc = args.workdir / "increment_10k.csv"
    run([PY, "-c", INCREMENT, str(csv), str(inc)], "make increment")
    t_inc_cli, m_inc, out = run(
        [exe, "ingest", "crimes", str(inc), *env_db, "--format", "json"], "incremental ingest (CLI)"
    )
    inc_counts = json.loads(out.strip().splitlines()[-1])
    # the same increment again through the library (all duplicates now), for the in-process time
    _, _, out = run([PY, "-c", INCREMENT_LIB, str(db), str(inc)], "incremental (library)")
    inc_lib = json.loads(out)

    ours = t_ingest + stats["seconds"]
    print(f"ingest counts: {counts}")
    print(f"stats tables:  {stats['rows']}")
    print(f"increment:     {inc_counts}  (re-run: {inc_lib})\n")
    rows = [
        ("plain DuckDB CTAS read_csv", t_plain, m_plain, ""),
        (
            "safer77 ingest (CLI, end to end)",
            t_ingest,
            m_ingest,
            f"ratio to plain {t_ingest / t_plain:.2f} (target <= 1.5)",
        ),
        ("pandas parse + monthly group-by", t_pandas, m_pandas, ""),
        (
            "safer77 stats --file (parse + monthly group-by)",
            t_file,
            m_file,
            f"{t_pandas / t_file:.1f}x faster than pandas (target >= 5)",
        ),
        (
            "safer77 ingest + all stats",
            ours,
            max(m_ingest, m_stats),
            f"{t_pandas / ours:.1f}x faster than pandas (every row checked and stored)",
        ),
        ("all stats from the warehouse", stats["seconds"], m_stats, "target <= 1 s"),
        ("incremental 10k rows (CLI, end to end)", t_inc_cli, m_inc, "target <= 2 s"),
        ("incremental 10k rows (in-process load)", inc_lib["seconds"], float("nan"), ""),
    ]
    print(f"{'step':48s} {'seconds':>8s} {'peak GB':>8s}  note")
    for label, sec, gb, note in rows:
        print(f"{label:48s} {sec:8.2f} {gb:8.2f}  {note}")
    print(
        f"\npeak memory of any step: {max(r[2] for r in rows if r[2] == r[2]):.2f} GB (limit 8 GB)"
    )


if __name__ == "__main__":
    main()
