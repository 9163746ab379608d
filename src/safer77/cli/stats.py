"""``safer77 stats ...`` and ``safer77 demo``."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.table import Table

from safer77.cli.common import DbOption, OutputFormat, console, errors_to_exit, out, settings
from safer77.errors import InvalidInput
from safer77.metrics.stats import ArrestRow, arrest_stats, compute_all, open_by_age, yoy
from safer77.warehouse import connect

app = typer.Typer(
    help="Statistics from the warehouse. Arrest rates use the open data's Arrest flag "
    "(definition arrest_rate_proxy), which is a proxy for clearance, not clearance.",
    no_args_is_help=True,
)


class Level(StrEnum):
    city = "city"
    district = "district"
    community_area = "community-area"
    beat = "beat"


CrimeType = Annotated[
    str | None, typer.Option("--crime-type", help="A primary type, e.g. ROBBERY.")
]
Category = Annotated[
    str | None, typer.Option("--category", help="violent, property, index or all.")
]
By = Annotated[Level, typer.Option("--by", help="Geographic level.")]
Fmt = Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")]
FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file",
        help="Compute straight from this crimes file instead of the warehouse (no load; "
        "bad rows left out, repeated rows not removed).",
    ),
]


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


EngineOption = Annotated[
    Engine, typer.Option(help="duckdb (the warehouse, or --file) or spark (--parquet).")
]
ParquetOption = Annotated[
    Path | None,
    typer.Option(
        help="Parquet (from `safer77 export parquet`) or CSV in the same columns, "
        "for --engine spark."
    ),
]
MasterOption = Annotated[str, typer.Option(help="Spark master for --engine spark.")]
AgencyOption = Annotated[
    str | None, typer.Option(help="Only this agency's incidents (default: every agency).")
]


def _open(
    db: Path | None,
    file: Path | None,
    engine: Engine = Engine.duckdb,
    parquet: Path | None = None,
    master: str = "local[2]",
    agency: str | None = None,
) -> tuple[duckdb.DuckDBPyConnection, str | None]:
    """A connection the stats readers can query, and the agency filter they still apply.

    With Spark the metrics (for that agency) are computed by Spark and held in DuckDB.
    """
    if engine is Engine.spark:
        from safer77.metrics.spark import spark_session, spark_warehouse

        if parquet is None:
            raise InvalidInput(
                "--engine spark reads Parquet: give --parquet DIR "
                "(write it with `safer77 export parquet DIR`)"
            )
        session = spark_session(master)
        try:
            return spark_warehouse(session, parquet, agency=agency), None
        finally:
            session.stop()
    if file is not None:
        from safer77.warehouse.fileview import connect_file

        return connect_file(file), agency
    return connect(settings(db).db, read_only=True), agency


def _pct(v: object) -> str:
    return "–" if v is None else f"{100 * float(v):.1f}%"  # type: ignore[arg-type]


def _emit(rows: list[dict[str, object]], fmt: OutputFormat, title: str) -> None:
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(rows, default=str))
    elif fmt is OutputFormat.csv:
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        table = Table(*(rows[0].keys() if rows else ["(no rows)"]), title=title)
        for r in rows:
            table.add_row(
                *(
                    "" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)
                    for v in r.values()
                )
            )
        out.print(table)


@app.command("arrests")
def arrests(
    by: By = Level.city,
    crime_type: CrimeType = None,
    category: Category = None,
    from_month: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM.")] = None,
    to_month: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM.")] = None,
    fmt: Fmt = OutputFormat.table,
    db: DbOption = None,
    file: FileOption = None,
    engine: EngineOption = Engine.duckdb,
    parquet: ParquetOption = None,
    master: MasterOption = "local[2]",
    agency: AgencyOption = None,
) -> None:
    """Monthly incidents, arrests and arrest rate (proxy) with 95% Wilson intervals."""
    with errors_to_exit():
        con, scope = _open(db, file, engine, parquet, master, agency)
        try:
            rows = arrest_stats(
                con,
                by=by.value,
                crime_type=crime_type,
                category=category,
                from_month=from_month,
                to_month=to_month,
                agency=scope,
            )
        finally:
            con.close()
    if fmt is OutputFormat.table:
        _arrest_table(rows)
    else:
        _emit([r.as_dict() for r in rows], fmt, "")


def _arrest_table(rows: list[ArrestRow], title: str | None = None) -> None:
    """Rows as a table; columns that hold one value for every row go into the title."""
    varying = [c for c in ("by", "key", "crime_type") if len({getattr(r, c) for r in rows}) > 1]
    fixed = ", ".join(
        f"{c.replace('_', ' ')} {getattr(rows[0], c)}"
        for c in ("by", "key", "crime_type")
        if rows and c not in varying
    )
    table = Table(
        "month",
        *(c.replace("_", " ") for c in varying),
        "incidents",
        "arrests",
        "arrest rate",
        "95% interval",
        "low n",
        title=title or f"Arrest rate proxy (Arrest flag, not clearance) — {fixed}",
    )
    # the loaded files' coverage, where a row's is not simply every crime type
    scoped = {r.coverage for r in rows} - {None, "all crime types"}
    if scoped:
        table.add_column("coverage")
    for r in rows:
        table.add_row(
            r.month,
            *(str(getattr(r, c)) for c in varying),
            f"{r.incidents:,}",
            "–" if r.arrests is None else f"{r.arrests:,}",
            _pct(r.arrest_rate),
            f"{_pct(r.ci_low)}–{_pct(r.ci_high)}",
            "yes" if r.low_n else "",
            *([r.coverage or ""] if scoped else []),
        )
    out.print(table)


@app.command("yoy")
def yoy_cmd(
    by: By = Level.city,
    crime_type: CrimeType = None,
    category: Category = None,
    month: Annotated[str | None, typer.Option("--month", help="Only this month, YYYY-MM.")] = None,
    fmt: Fmt = OutputFormat.table,
    db: DbOption = None,
    file: FileOption = None,
    engine: EngineOption = Engine.duckdb,
    parquet: ParquetOption = None,
    master: MasterOption = "local[2]",
    agency: AgencyOption = None,
) -> None:
    """Change on the same month a year earlier."""
    with errors_to_exit():
        con, scope = _open(db, file, engine, parquet, master, agency)
        try:
            rows = yoy(
                con,
                by=by.value,
                crime_type=crime_type,
                category=category,
                month=month,
                agency=scope,
            )
        finally:
            con.close()
    _emit(rows, fmt, "Year-over-year change")


@app.command("open")
def open_cmd(
    by: By = Level.city,
    category: Category = None,
    fmt: Fmt = OutputFormat.table,
    db: DbOption = None,
    file: FileOption = None,
    engine: EngineOption = Engine.duckdb,
    parquet: ParquetOption = None,
    master: MasterOption = "local[2]",
    agency: AgencyOption = None,
) -> None:
    """Open (no-arrest) incidents by age: 0-30, 31-90, 91-365, over 365 days."""
    with errors_to_exit():
        con, scope = _open(db, file, engine, parquet, master, agency)
        try:
            rows = open_by_age(con, by=by.value, category=category, agency=scope)
        finally:
            con.close()
    _emit(rows, fmt, "Open incidents by age (no arrest recorded)")


@app.command("refresh")
def refresh(db: DbOption = None) -> None:
    """Recompute and store every statistic (the site and API read the stored tables)."""
    cfg = settings(db)
    with errors_to_exit():
        con = connect(cfg.db, memory_limit=cfg.memory_limit)
        try:
            counts = compute_all(con)
        finally:
            con.close()
    console.print(
        ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:.2f}" for k, v in counts.items())
    )
