"""Spark benchmark (run by hand; not part of the tests).

Exports the 8,000,000-row synthetic warehouse (made by bench/ingest.py) to Parquet and
prints, for every registered metric together: DuckDB vs Spark local[2] seconds and their ratio,
and Spark's time over the same rows split into 1, 2 and 4 input files (partitions).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from safer77.metrics.engines import build_query  # noqa: E402
from safer77.metrics.registry import METRICS  # noqa: E402
from safer77.metrics.spark import run_metric, spark_session  # noqa: E402
from safer77.warehouse import connect  # noqa: E402
from safer77.warehouse.export import export_parquet, parquet_glob  # noqa: E402


def duckdb_all(parquet: Path) -> float:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar_print = false")
    glob = parquet_glob(parquet).replace("'", "''")
    con.execute(
        f"CREATE VIEW incidents AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true)"
    )
    t = time.perf_counter()
    for name in METRICS:
        con.execute(build_query(name)).fetchall()
    return time.perf_counter() - t


def spark_all(spark: object, parquet: Path) -> float:
    t = time.perf_counter()
    for name in METRICS:
        run_metric(spark, parquet, name)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--db",
        type=Path,
        default=HERE / "out" / "bench.duckdb",
        help="an 8M-row warehouse (bench/ingest.py makes it)",
    )
    ap.add_argument("--workdir", type=Path, default=HERE / "out")
    args = ap.parse_args()
    con = connect(args.db, read_only=True)
    parquet = args.workdir / "parquet"
    t = time.perf_counter()
    rows = export_parquet(con, parquet)
    print(f"export: {rows:,} rows to Parquet in {time.perf_counter() - t:.1f} s")
    flat = {}
    for n in (1, 2, 4):
        folder = args.workdir / f"parquet_{n}"
        con.execute(f"SET threads = {n}")  # one file per writer thread
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.parquet"):
            old.unlink()
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{parquet_glob(parquet)}', "
            f"hive_partitioning = true)) TO '{folder}' (FORMAT parquet, "
            f"PER_THREAD_OUTPUT true)"
        )
        flat[n] = folder
    con.close()
    t_duck = duckdb_all(parquet)
    spark = spark_session("local[2]")
    spark_all(spark, parquet)  # warm-up: JVM, code generation
    t_spark = spark_all(spark, parquet)
    print(
        f"all {len(METRICS)} metrics, DuckDB: {t_duck:.2f} s; Spark local[2]: {t_spark:.2f} s; "
        f"Spark/DuckDB = {t_spark / t_duck:.1f}"
    )
    for folder in flat.values():
        files = len(list(folder.glob("*.parquet")))
        t_n = spark_all(spark, folder)
        print(f"Spark over {files} input file(s) (partitions): {t_n:.2f} s")
    spark.stop()


if __name__ == "__main__":
    main()
