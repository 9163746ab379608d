"""``safer77 coordinate``: the Coordination Center's analytics."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from safer77.cli.common import (
    DbOption,
    OutputFormat,
    console,
    errors_to_exit,
    out,
    reading,
    settings,
)


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
    victims: Annotated[
        list[str] | None,
        typer.Option(
            "--victims",
            help="Count victims from `safer77 ingest victims` instead (repeatable): homicide, "
            "nonfatal_shooting (the city's own rule counts both).",
        ),
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
            victim_kinds=tuple(v.lower() for v in victims or ()),
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

    with reading(db) as con:
        scores = hotspot_evaluation(
            con,
            crime_types=tuple(t.upper() for t in crime_type) if crime_type else None,
            cell_m=cell,
            holdout=holdout,
            share=share,
            bandwidth_cells=bandwidth,
            seed=seed,
        )
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


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {text!r}") from None


FromDay = Annotated[str, typer.Option("--from", help="First day of the window (YYYY-MM-DD).")]
ToDay = Annotated[str, typer.Option("--to", help="Last day of the window (YYYY-MM-DD).")]
KindOption = Annotated[
    list[str] | None,
    typer.Option(
        "--kind",
        help="311 request kinds (repeatable): street_light, vacant_building, sanitation, "
        "graffiti, ... [street_light, vacant_building, sanitation, graffiti]",
    ),
]
ViolentOption = Annotated[
    list[str] | None,
    typer.Option("--crime-type", help="Incident types counted (repeatable) [violent crimes]."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")]


def _kinds(kind: list[str] | None) -> tuple[str, ...]:
    from safer77.coordinate.env_study import DEFAULT_CATEGORIES

    return tuple(k.lower() for k in kind) if kind else DEFAULT_CATEGORIES


@app.command("repair-times")
def repair_times(
    start: FromDay,
    end: ToDay,
    db: DbOption = None,
    kind: KindOption = None,
    versus: Annotated[
        str, typer.Option(help="Indicator the areas' median days are correlated with.")
    ] = "poverty_pct",
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Days from a 311 request to its repair per community area (median with a 95%
    interval, 90th percentile, open backlog on the last day), and whether areas in need wait
    longer."""
    from safer77.coordinate.env_study import equity
    from safer77.coordinate.env_study import repair_times as compute

    first, last = _day(start), _day(end)
    with reading(db) as con:
        rows = compute(con, first, last, _kinds(kind))
        eq = equity(rows, con, versus)
    if fmt is OutputFormat.json:
        out.print(json.dumps({"areas": rows, "equity": eq}))
        return
    emit(rows, fmt, f"Time to repair, requests created {start} to {end} (first row: city)")
    if fmt is OutputFormat.table and eq is not None:
        console.print(
            f"Spearman correlation of median days with {eq['indicator']} over {eq['areas']} "
            f"areas: {eq['spearman']:+.3f} (p = {eq['p_value']:.3g})"
        )


@app.command("risk-terrain")
def risk_terrain(
    start: FromDay,
    end: ToDay,
    db: DbOption = None,
    kind: KindOption = None,
    crime_type: ViolentOption = None,
    cell: Annotated[float, typer.Option(help="Grid cell size in metres.")] = 150.0,
    reach: Annotated[int, typer.Option(help="Cells around a request counted as near it.")] = 1,
    permutations: Annotated[int, typer.Option(help="Permutations for the p-value.")] = 999,
    seed: Annotated[int, typer.Option(help="Seed of the permutations.")] = 0,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Relative risk of violent incidents near open 311 requests vs. elsewhere in the same
    community area and month, with a permutation p-value."""
    from safer77.coordinate.env_study import risk_terrain as compute

    first, last = _day(start), _day(end)
    with reading(db) as con:
        rows = compute(
            con,
            first,
            last,
            categories=_kinds(kind),
            crime_types=tuple(t.upper() for t in crime_type or ()),
            cell_m=cell,
            steps=reach,
            permutations=permutations,
            seed=seed,
        )
    emit(
        rows,
        fmt,
        f"Violence near open 311 requests, {start} to {end} "
        f"(cell-months; p from {permutations} permutations within area and month)",
        ("kind",),
    )


@app.command("fix-first")
def fix_first(
    db: DbOption = None,
    as_of: Annotated[
        str | None, typer.Option(help="Day the requests are open on [last request's day].")
    ] = None,
    kind: KindOption = None,
    crime_type: ViolentOption = None,
    cell: Annotated[float, typer.Option(help="Grid cell size in metres.")] = 150.0,
    reach: Annotated[int, typer.Option(help="Cells around a request counted as near it.")] = 1,
    lookback: Annotated[int, typer.Option(help="Days of incidents counted.")] = 365,
    top: Annotated[int, typer.Option(help="Requests listed per area.")] = 5,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Per community area, the open 311 requests to fix first: most violent incidents
    nearby over the last year, then the longest open."""
    from safer77.coordinate.env_study import fix_first as compute

    day = _day(as_of) if as_of else None
    with reading(db) as con:
        rows = compute(
            con,
            day,
            categories=_kinds(kind),
            crime_types=tuple(t.upper() for t in crime_type or ()),
            cell_m=cell,
            steps=reach,
            lookback_days=lookback,
            top=top,
        )
    if not rows:
        if fmt is OutputFormat.json:
            out.print("[]")
        else:
            console.print("no open requests of these kinds on that day")
        return
    emit(rows, fmt, "Fix first", ("request_number", "category", "block"))
