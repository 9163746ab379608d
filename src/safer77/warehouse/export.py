"""Export the warehouse's incidents as Parquet, partitioned by year and month of occurrence.

The files are what other engines (Spark, another DuckDB) read to run the same metric
definitions; only the columns the metrics and analysts need, never source file paths.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from safer77.warehouse.db import sql_str

#: Columns written; the partition columns occ_year and occ_month become directory names.
EXPORT_COLUMNS = (
    "incident_key", "id", "case_number", "occurred_at", "month", "block", "iucr",
    "primary_type", "description", "location_description", "arrest", "domestic", "beat",
    "district", "ward", "community_area", "fbi_code", "x_coordinate", "y_coordinate",
    "updated_on", "latitude", "longitude", "category", "index_crime", "agency",
)  # fmt: skip


def export_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """Write ``folder/occ_year=YYYY/occ_month=M/*.parquet`` (replacing the folder); return rows."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT {', '.join(EXPORT_COLUMNS)}, year(occurred_at) AS occ_year, "
        "month(occurred_at) AS occ_month FROM incidents ORDER BY occurred_at, incident_key) "
        f"TO {sql_str(str(folder))} (FORMAT parquet, PARTITION_BY (occ_year, occ_month), "
        "COMPRESSION zstd)"
    )
    rows = con.execute("SELECT count(*) FROM incidents").fetchall()
    return int(rows[0][0])


def parquet_glob(folder: Path) -> str:
    """The read pattern for an exported folder (hive-style partitions)."""
    return str(folder / "**" / "*.parquet")


#: Spark DDL of the exported columns, for readers of CSV in the export's schema.
EXPORT_DDL = ", ".join(
    f"{name} {kind}"
    for name, kind in (
        ("incident_key", "BIGINT"), ("id", "BIGINT"), ("case_number", "STRING"),
        ("occurred_at", "TIMESTAMP"), ("month", "DATE"), ("block", "STRING"),
        ("iucr", "STRING"), ("primary_type", "STRING"), ("description", "STRING"),
        ("location_description", "STRING"), ("arrest", "BOOLEAN"), ("domestic", "BOOLEAN"),
        ("beat", "INT"), ("district", "INT"), ("ward", "INT"), ("community_area", "INT"),
        ("fbi_code", "STRING"), ("x_coordinate", "DOUBLE"), ("y_coordinate", "DOUBLE"),
        ("updated_on", "TIMESTAMP"), ("latitude", "DOUBLE"), ("longitude", "DOUBLE"),
        ("category", "STRING"), ("index_crime", "BOOLEAN"), ("agency", "STRING"),
    )
)  # fmt: skip
