"""Every registered metric gives the same answer on DuckDB and on local Spark, over the same
Parquet export (exact counts, rates to 1e-12). Skips only when Java or PySpark is absent."""

from __future__ import annotations

import math
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from safer77.metrics.engines import build_query
from safer77.metrics.registry import METRICS
from safer77.warehouse import connect
from safer77.warehouse.export import export_parquet, parquet_glob

pytestmark = [
    pytest.mark.skipif(shutil.which("java") is None, reason="Java is not installed"),
    pytest.mark.slow,  # a Spark session
]


@pytest.fixture(scope="module")
def parquet(synth_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parquet") / "incidents"
    con = connect(synth_db, read_only=True)
    assert export_parquet(con, out) == 20_000
    con.close()
    return out


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pyspark", reason="PySpark is not installed")
    from safer77.metrics.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def _norm(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) or type(value).__name__ == "Decimal":
        return float(value)
    return value


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12):
                return False
        elif x != y:
            return False
    return True


@pytest.mark.parametrize("name", list(METRICS))
def test_metric_is_identical_on_duckdb_and_spark(name: str, parquet: Path, spark: Any) -> None:
    from safer77.metrics.spark import run_metric

    con = duckdb.connect()
    glob = parquet_glob(parquet).replace("'", "''")
    con.execute(
        f"CREATE VIEW incidents AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true)"
    )
    ours = sorted(
        (tuple(_norm(v) for v in r) for r in con.execute(build_query(name)).fetchall()), key=repr
    )
    theirs = sorted(
        (tuple(_norm(v) for v in r) for r in run_metric(spark, parquet, name)), key=repr
    )
    assert len(ours) == len(theirs) > 0
    mismatched = [(a, b) for a, b in zip(ours, theirs, strict=True) if not _same(a, b)]
    assert mismatched == []


def test_stats_readers_answer_the_same_from_spark(
    synth_db: Path, parquet: Path, spark: Any
) -> None:
    from safer77.metrics import arrest_stats, open_by_age, yoy
    from safer77.metrics.spark import spark_warehouse

    con = connect(synth_db, read_only=True)
    from_spark = spark_warehouse(spark, parquet)
    for query in (
        {"by": "district"},
        {
            "by": "community-area",
            "category": "violent",
            "from_month": "2024-01",
            "to_month": "2024-03",
        },
    ):
        ours, theirs = arrest_stats(con, **query), arrest_stats(from_spark, **query)
        assert [(r.month, r.key, r.incidents, r.arrests) for r in theirs] == [
            (r.month, r.key, r.incidents, r.arrests) for r in ours
        ]
        assert all(
            math.isclose(a.ci_low or 0, b.ci_low or 0, abs_tol=1e-12)
            for a, b in zip(ours, theirs, strict=True)
        )
    assert open_by_age(from_spark, by="beat") == open_by_age(con, by="beat")
    ours_yoy, theirs_yoy = yoy(con, by="district"), yoy(from_spark, by="district")
    assert [(r["month"], r["key"], r["incidents_prev_year"]) for r in theirs_yoy] == [
        (r["month"], r["key"], r["incidents_prev_year"]) for r in ours_yoy
    ]
    scoped = spark_warehouse(spark, parquet, agency="CPD")  # the agency filter, on Spark
    ours_scoped = arrest_stats(con, by="beat", agency="CPD")
    assert all(r.coverage for r in ours_scoped)  # the warehouse knows its loads ...
    # ... a Parquet export read by Spark does not
    assert arrest_stats(scoped, by="beat") == [replace(r, coverage=None) for r in ours_scoped]
    con.close()


def test_spark_engine_needs_parquet() -> None:
    from typer.testing import CliRunner

    from safer77.cli import app

    result = CliRunner().invoke(app, ["stats", "arrests", "--engine", "spark"])
    assert result.exit_code == 2 and "--parquet" in result.stderr


def test_spark_reads_csv_in_the_export_schema(
    synth_db: Path, parquet: Path, spark: Any, tmp_path: Path
) -> None:
    from safer77.metrics.spark import run_metric
    from safer77.warehouse.export import EXPORT_COLUMNS

    csv = tmp_path / "incidents.csv"
    con = connect(synth_db, read_only=True)
    con.execute(
        f"COPY (SELECT {', '.join(EXPORT_COLUMNS)} FROM incidents) TO '{csv}' "
        "(HEADER, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S', DATEFORMAT '%Y-%m-%d')"
    )
    con.close()
    from_csv = sorted(map(repr, run_metric(spark, csv, "monthly_facts")))
    from_parquet = sorted(map(repr, run_metric(spark, parquet, "monthly_facts")))
    assert from_csv == from_parquet and len(from_csv) > 1000
