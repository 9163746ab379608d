"""The same metric definitions on Apache Spark (PySpark), for data that outgrows one machine.

Each metric's SQL (DuckDB dialect) is transpiled by SQLGlot; there is no Spark-only copy.
``incidents`` is read from Parquet exported by ``safer77 export parquet`` (or any Parquet of
the same columns).
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from safer77.errors import NotFound
from safer77.metrics.engines import build_query
from safer77.metrics.registry import METRICS
from safer77.metrics.stats import STATS_TABLES


def to_spark_sql(sql: str) -> str:
    """DuckDB-dialect SQL → Spark SQL."""
    return str(sqlglot.transpile(sql, read="duckdb", write="spark")[0])


def spark_session(master: str = "local[2]", app_name: str = "safer77") -> Any:
    """A Spark session: UTC, no UI, few shuffle partitions (the data per metric is small)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise NotFound("the spark engine needs PySpark: pip install 'safer77[spark]'") from None
    session = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def register_incidents(spark: Any, source: Path | str) -> None:
    """Make ``incidents`` a view of ``source``: Parquet (a file or an export folder), or CSV
    with a header in the export's columns (``safer77.warehouse.export.EXPORT_COLUMNS``)."""
    from safer77.warehouse.export import EXPORT_DDL

    path = str(source)
    if path.lower().endswith((".csv", ".csv.gz")):
        frame = spark.read.option("header", "true").schema(EXPORT_DDL).csv(path)
    else:
        frame = spark.read.parquet(path)
    frame.createOrReplaceTempView("incidents")


def run_metric(
    spark: Any, parquet: Path | str, name: str, *, as_of: datetime | None = None
) -> list[tuple[Any, ...]]:
    """Rows of metric ``name`` computed by Spark over the incidents in ``parquet``."""
    register_incidents(spark, parquet)
    frame = spark.sql(to_spark_sql(build_query(name, as_of=as_of)))
    return [tuple(row) for row in frame.collect()]


def spark_warehouse(
    spark: Any, source: Path | str, *, agency: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Every public metric computed by Spark over ``source``, held in an in-memory DuckDB as
    current ``stats_*`` tables: the usual readers (``arrest_stats``, ``yoy``, ``open_by_age``)
    then answer from Spark's results. Only the (small) metric results leave Spark."""
    register_incidents(spark, source)
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE load_log (load_id INTEGER, kind VARCHAR)")  # no loads: stamp 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, metric in METRICS.items():
            if not metric.public:
                continue
            out = Path(tmp) / name
            spark.sql(to_spark_sql(build_query(name, agency=agency))).write.parquet(str(out))
            table = STATS_TABLES[name]
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{out}/*.parquet')")
            con.execute(f"COMMENT ON TABLE {table} IS '0'")
    return con
