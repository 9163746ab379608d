"""``safer77 ingest crimes|boundaries``, ``safer77 quarantine`` and ``safer77 cross-source``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from safer77.cli.common import (
    DbOption,
    OutputFormat,
    console,
    errors_to_exit,
    out,
    settings,
    warn,
)
from safer77.warehouse import LoadResult, connect, list_quarantine, load_boundaries, load_incidents
from safer77.warehouse.quarantine import count_quarantine

app = typer.Typer(help="Load data into the warehouse.", no_args_is_help=True)

COUNT_KEYS = ("read", "loaded", "updated", "duplicates", "cross_source", "quarantined")


def _print_result(result: LoadResult) -> None:
    counts = ", ".join(f"{k} {getattr(result, k):,}" for k in COUNT_KEYS)
    console.print(f"{Path(result.file).name}: {counts} ({result.seconds:.1f} s)", highlight=False)
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False)
    if result.geo_assigned:
        console.print(f"  {result.geo_assigned:,} rows placed in an area from their coordinates")
    if result.quarantined:
        warn(f"{result.quarantined:,} rows quarantined; see `safer77 quarantine`")


def _updater(bar: Progress, task: TaskID) -> Callable[[float], None]:
    def update(fraction: float) -> None:
        bar.update(task, completed=fraction)

    return update


@app.command("crimes")
def crimes(
    paths: Annotated[list[Path], typer.Argument(help="CSV, CSV.gz, JSON, JSON Lines or GeoJSON.")],
    db: DbOption = None,
    agency: Annotated[str, typer.Option(help="Agency the incidents belong to.")] = "CPD",
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table: counts on stderr; json: one object.")
    ] = OutputFormat.table,
) -> None:
    """Load incident files. Each file is one transaction; reloading a file changes nothing."""
    _load_files(
        paths,
        db,
        fmt,
        lambda con, path, progress: load_incidents(con, path, agency=agency, on_progress=progress),
    )


def _load_files(
    paths: list[Path],
    db: Path | None,
    fmt: OutputFormat,
    load: Callable[[duckdb.DuckDBPyConnection, Path, Callable[[float], None]], LoadResult],
) -> None:
    """Load each file with a progress bar, print its counts, and the totals."""
    cfg = settings(db)
    totals = dict.fromkeys(COUNT_KEYS, 0)
    with errors_to_exit():
        con = connect(cfg.db, memory_limit=cfg.memory_limit)
        try:
            for path in paths:
                with Progress(
                    TextColumn(f"loading {path.name}"),
                    BarColumn(),
                    TimeElapsedColumn(),
                    console=console,
                    transient=True,
                ) as bar:
                    task = bar.add_task("load", total=1.0)
                    result = load(con, path, _updater(bar, task))
                _print_result(result)
                for k in COUNT_KEYS:
                    totals[k] += getattr(result, k)
        finally:
            con.close()
    if len(paths) > 1:
        console.print("total: " + ", ".join(f"{k} {v:,}" for k, v in totals.items()))
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(totals))


@app.command("boundaries")
def boundaries(
    kind: Annotated[
        str, typer.Argument(help="community-areas, districts, beats, wards or zip-codes.")
    ],
    path: Annotated[Path, typer.Argument(help="GeoJSON, .shp or zipped shapefile.")],
    db: DbOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table (default), csv or json.")
    ] = OutputFormat.table,
) -> None:
    """Load boundary polygons, replacing those of the same kind."""
    cfg = settings(db)
    with errors_to_exit():
        con = connect(cfg.db, memory_limit=cfg.memory_limit)
        try:
            result = load_boundaries(con, kind, path)
        finally:
            con.close()
    _print_result(result)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps({k: getattr(result, k) for k in COUNT_KEYS}))


@app.command("311")
def requests_311(
    paths: Annotated[list[Path], typer.Argument(help="311 service-request CSV or CSV.gz files.")],
    db: DbOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table: counts on stderr; json: one object.")
    ] = OutputFormat.table,
) -> None:
    """Load 311 service requests (the unified export or the older per-type datasets). A
    request number is one row; a newer version of a request replaces the older one."""
    from safer77.warehouse.city311 import load_311

    _load_files(
        paths, db, fmt, lambda con, path, progress: load_311(con, path, on_progress=progress)
    )


@app.command("calls")
def calls(
    paths: Annotated[list[Path], typer.Argument(help="CAD export(s): CSV or CSV.gz.")],
    mapping: Annotated[
        str,
        typer.Option(
            help="Column mapping: the built-in 'cad-default' (the DECC weekly reports) or a "
            "TOML file naming the export's columns, priority codes and agencies [docs/calls.md]."
        ),
    ] = "cad-default",
    db: DbOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table: counts on stderr; json: one object.")
    ] = OutputFormat.table,
) -> None:
    """Load computer-aided-dispatch records: one row per incident and agency, with the queue,
    dispatch, roll-out, travel, on-scene and total intervals. Rows with a negative or
    impossible interval are quarantined with line and field; reloading changes nothing."""
    from safer77.warehouse.calls import load_calls

    _load_files(paths, db, fmt, lambda con, path, _progress: load_calls(con, path, mapping))


@app.command("victims")
def victims(
    paths: Annotated[
        list[Path], typer.Argument(help="The City's victims export, or a Gun Violence Archive CSV.")
    ],
    db: DbOption = None,
    city: Annotated[str, typer.Option(help="GVA rows of this city only.")] = "Chicago",
    state: Annotated[str, typer.Option(help="GVA rows of this state only.")] = "Illinois",
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table: counts on stderr; json: objects.")
    ] = OutputFormat.table,
) -> None:
    """Load victims of homicides and non-fatal shootings (one row per victim; victims'
    names are never read). Each file is one transaction; reloading changes nothing."""
    from dataclasses import asdict

    from safer77.warehouse.victims import load_victims

    cfg = settings(db)
    results = []
    with errors_to_exit():
        con = connect(cfg.db, memory_limit=cfg.memory_limit)
        try:
            for path in paths:
                r = load_victims(con, path, city=city, state=state)
                results.append(asdict(r))
                console.print(
                    f"{path.name}: {r.rows:,} rows, {r.victims:,} victims: loaded {r.loaded:,}, "
                    f"updated {r.updated:,}, duplicates {r.duplicates:,}; quarantined "
                    f"{r.quarantined:,} rows, {r.elsewhere:,} rows of other places; "
                    f"{r.unplaced:,} victims without a community area ({r.seconds:.1f} s)",
                    highlight=False,
                )
                if r.quarantined:
                    warn(f"{r.quarantined:,} rows quarantined; see `safer77 quarantine`")
        finally:
            con.close()
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(results))


@app.command("indicators")
def indicators(
    path: Annotated[Path, typer.Argument(help="Indicator table: CSV or GeoJSON (properties).")],
    mapping: Annotated[
        str | None,
        typer.Option(
            help="Built-in mapping (census-2008-2012, cmap-2020, public-health-2005-2011, "
            "sdoh-2014-tracts, population-2010) or a TOML file; without it, a long file "
            "community_area,indicator,value of known indicators."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Load community-area indicators (refused whole, with file, line and field, if bad)."""
    from safer77.warehouse.indicators import load_indicators

    cfg = settings(db)
    with errors_to_exit():
        con = connect(cfg.db, memory_limit=cfg.memory_limit)
        try:
            result = load_indicators(con, path, mapping)
        finally:
            con.close()
    console.print(
        f"{path.name}: {result.rows:,} rows, {result.indicators} indicators, "
        f"{result.values:,} values ({result.missing:,} missing) in {result.seconds:.1f} s",
        highlight=False,
    )


def quarantine(
    db: DbOption = None,
    file: Annotated[str | None, typer.Option(help="Only rows from this file.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many rows.")] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table (default), csv or json.")
    ] = OutputFormat.table,
) -> None:
    """List quarantined rows: file, line, field and reason."""
    cfg = settings(db)
    with errors_to_exit():
        con = connect(cfg.db, read_only=True)
        try:
            rows = list_quarantine(con, file=file, limit=limit)
            total = count_quarantine(con, file=file)
        finally:
            con.close()
    shown = f"{len(rows):,} of {total:,}" if len(rows) < total else f"{total:,}"
    if fmt is not OutputFormat.table and len(rows) < total:
        warn(f"shown {shown} quarantined rows (--limit)")  # on stderr: stdout stays data
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(rows, default=str))
        return
    if fmt is OutputFormat.csv:
        import csv
        import sys

        writer = csv.DictWriter(sys.stdout, fieldnames=["file", "line", "field", "reason", "value"])
        writer.writeheader()
        writer.writerows(rows)
        return
    table = Table("file", "line", "field", "reason", title=f"{shown} quarantined rows")
    for r in rows:
        table.add_row(
            Path(str(r["file"])).name, str(r["line"]), str(r["field"] or ""), str(r["reason"])
        )
    out.print(table)


def cross_source(
    db: DbOption = None,
    file: Annotated[
        Path | None, typer.Option(help="Only pairs with a row from this file (kept or dropped).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many pairs.")] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table (default), csv or json.")
    ] = OutputFormat.table,
) -> None:
    """List cross-source duplicates: the same incident loaded from two files without a shared
    ID (matched on time to the minute, block, type and community area). The row kept and the
    row dropped, with the match key."""
    from safer77.warehouse.crosssource import PAIR_COLUMNS, list_cross_source

    cfg = settings(db)
    with errors_to_exit():
        con = connect(cfg.db, read_only=True)
        try:
            rows, total = list_cross_source(
                con, file=str(file.resolve()) if file else None, limit=limit
            )
        finally:
            con.close()
    if fmt is OutputFormat.json:
        for r in rows:
            r["dropped_row"] = json.loads(str(r["dropped_row"]))
        typer.echo(json.dumps(rows, default=str))
        return
    if fmt is OutputFormat.csv:
        import csv
        import sys

        writer = csv.DictWriter(sys.stdout, fieldnames=list(PAIR_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
        return
    shown = f"{len(rows):,} of {total:,}" if len(rows) < total else f"{total:,}"
    table = Table(
        "time", "block", "type", "area", "kept", "dropped", "rule",
        title=f"{shown} cross-source pairs",
    )  # fmt: skip
    for r in rows:
        table.add_row(
            str(r["occurred_minute"])[:16],
            str(r["block"]),
            str(r["primary_type"]),
            "" if r["community_area"] is None else str(r["community_area"]),
            f"{Path(str(r['kept_file'])).name} #{r['kept_key']}",
            f"{Path(str(r['dropped_file'])).name} #{r['dropped_key']}",
            str(r["rule"]),
        )
    out.print(table)
