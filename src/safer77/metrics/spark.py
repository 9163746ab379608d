"""The same metric definitions on Apache Spark (PySpark), for data that outgrows one machine.

Each metric's SQL (DuckDB dialect) is transpiled by SQLGlot; there is no Spark-only copy.
``incidents`` is read from Parquet exported by ``safer77 export parquet`` (or any Parquet of
the same columns).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlglot

from safer77.errors import NotFound
from safer77.metrics.engines import build_query


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


def arrest_stats_spark(
    spark: Any,
    parquet: Path | str,
    *,
    by: str = "city",
    crime_type: str | None = None,
    category: str | None = None,
    from_month: str | None = None,
    to_month: str | None = None,
    agency: str | None = None,
) -> list[Any]:
    """:func:`safer77.metrics.stats.arrest_stats`, computed by Spark."""
    from safer77.metrics.stats import ArrestRow, crime_filter, parse_month
    from safer77.schema import LEVELS

    if by not in LEVELS:
        from safer77.errors import InvalidInput

        raise InvalidInput(f"unknown level {by!r}; expected one of: {', '.join(LEVELS)}")
    ctype = crime_filter(crime_type, category).replace("'", "''")
    where = [f"level = '{by}'", f"crime_type = '{ctype}'"]
    start, end = parse_month(from_month, "--from"), parse_month(to_month, "--to")
    if start:
        where.append(f"month >= DATE '{start.isoformat()}'")
    if end:
        where.append(f"month <= DATE '{end.isoformat()}'")
    register_incidents(spark, parquet)
    sql = (
        "SELECT date_format(month, 'yyyy-MM') AS m, level, area_key, crime_type, incidents, "
        "arrests, arrest_rate, ci_low, ci_high, low_n FROM ("
        + to_spark_sql(build_query("arrest_rate_proxy", agency=agency))
        + f") AS arp WHERE {' AND '.join(where)} "
        "ORDER BY m, CAST(area_key AS INT) NULLS FIRST, area_key"
    )
    return [
        ArrestRow(
            month=r[0],
            by=r[1],
            key=r[2],
            crime_type=r[3],
            incidents=int(r[4]),
            arrests=None if r[5] is None else int(r[5]),
            arrest_rate=None if r[6] is None else float(r[6]),
            ci_low=None if r[7] is None else float(r[7]),
            ci_high=None if r[8] is None else float(r[8]),
            low_n=bool(r[9]),
        )
        for r in spark.sql(sql).collect()
    ]
