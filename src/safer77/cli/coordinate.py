"""``safer77 coordinate``: the Coordination Center's analytics."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from safer77.cli.common import DbOption, OutputFormat, console, errors_to_exit, out, settings


def emit(
    rows: list[dict[str, Any]], fmt: OutputFormat, title: str, text_columns: tuple[str, ...] = ()
) -> None:
    """Rows as a table (stdout), CSV or JSON."""
    if fmt is OutputFormat.json:
        out.print(json.dumps(rows))
        return
    if fmt is OutputFormat.csv:
        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        return
    table = Table(title=title)
    for col in rows[0]:
        table.add_column(col, justify="left" if col in text_columns else "right")
    for r in rows:
        table.add_row(*["–" if v is None else str(v) for v in r.values()])
    out.print(table)


app = typer.Typer(help="Community Safety Coordination Center analytics.", no_args_is_help=True)


@app.command("priority")
def priority(
    db: DbOption = None,
    start: Annotated[int, typer.Option("--from", help="First year of the window.")] = 2018,
    end: Annotated[int, typer.Option("--to", help="Last year of the window.")] = 2020,
    top: Annotated[int, typer.Option(help="How many priority areas (the city chose 15).")] = 15,
    capacity: Annotated[int, typer.Option(help="Areas per phase.")] = 5,
    crime_type: Annotated[
        list[str] | None,
        typer.Option("--crime-type", help="Victimizations counted (repeatable) [HOMICIDE]."),
    ] = None,
    weights: Annotated[
        Path | None,
        typer.Option(
            help="TOML [weights] for a composite index: violence_rate and indicator names."
        ),
    ] = None,
    draws: Annotated[int, typer.Option(help="Weight redraws for the sensitivity.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the weight redraws.")] = 77,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")] = (
        OutputFormat.table
    ),
) -> None:
    """Rank community areas: the city's rule (average yearly victimizations over a window,
    top N), and with --weights a composite index with rank intervals and phases."""
    from safer77.coordinate.ranking import PriorityOptions, priority_table, read_weights
    from safer77.warehouse import connect

    cfg = settings(db)
    with errors_to_exit():
        opts = PriorityOptions(
            start=start,
            end=end,
            top=top,
            capacity=capacity,
            types=tuple(t.upper() for t in crime_type) if crime_type else ("HOMICIDE",),
            weights=read_weights(weights) if weights else None,
            draws=draws,
            seed=seed,
        )
        con = connect(cfg.db, read_only=True)
        try:
            result = priority_table(con, opts)
        finally:
            con.close()
    if fmt is OutputFormat.json:
        out.print(json.dumps({"stable_in_top": result.stable_top, "areas": result.rows}))
        return
    emit(result.rows, fmt, f"Priority areas, {start}-{end}", text_columns=("name",))
    if fmt is not OutputFormat.table:
        return
    if result.stable_top is not None:
        console.print(
            f"{result.stable_top} of the top {top} stay in the top {top} in at least 95% of "
            f"{draws} weight draws (seed {seed})"
        )


@app.command("hotspots")
def hotspots(
    db: DbOption = None,
    crime_type: Annotated[
        list[str] | None, typer.Option("--crime-type", help="Only these types (repeatable).")
    ] = None,
    cell: Annotated[float, typer.Option(help="Grid cell size in metres.")] = 500.0,
    holdout: Annotated[int, typer.Option(help="Months held out, scored one at a time.")] = 6,
    share: Annotated[float, typer.Option(help="Share of the city's area flagged.")] = 0.05,
    bandwidth: Annotated[float, typer.Option(help="KDE bandwidth in cells.")] = 1.5,
    seed: Annotated[int, typer.Option(help="Seed of the tie-breaking order.")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")] = (
        OutputFormat.table
    ),
) -> None:
    """Gi* and KDE hotspots against last month's counts: each fitted on months 1..m and
    scored on month m+1 (hit rate and PAI at the same flagged area)."""
    from safer77.coordinate.study import hotspot_evaluation
    from safer77.warehouse import connect

    cfg = settings(db)
    with errors_to_exit():
        con = connect(cfg.db, read_only=True)
        try:
            scores = hotspot_evaluation(
                con,
                crime_types=tuple(t.upper() for t in crime_type) if crime_type else None,
                cell_m=cell,
                holdout=holdout,
                share=share,
                bandwidth_cells=bandwidth,
                seed=seed,
            )
        finally:
            con.close()
    rows = [
        {
            "month": s.month,
            "method": s.method,
            "incidents": s.incidents,
            "hits": s.hits,
            "area_share": round(s.area_share, 4),
            "hit_rate": None if s.hit_rate is None else round(s.hit_rate, 4),
            "pai": None if s.pai is None else round(s.pai, 2),
        }
        for s in scores
    ]
    emit(rows, fmt, "Hotspots: hit rate and PAI on held-out months", ("month", "method"))
