"""``safer77 synth``: a seeded synthetic city in the portal's schema, for demos and benchmarks."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from safer77.cli.common import console, run
from safer77.sources.synthetic import manifest_path
from safer77.synth import synth_crimes, synth_geography, write_boundaries

app = typer.Typer(
    help="A synthetic city (real community areas, synthetic beats) in the portal's schema.",
    no_args_is_help=True,
)

SeedOption = Annotated[
    int, typer.Option("--seed", help="Seed; the same seed gives the same city and file.")
]


def _start_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD") from None


@app.command()
def crimes(
    out: Annotated[Path, typer.Option("--out", help="Output file, .csv or .csv.gz.")],
    rows: Annotated[int, typer.Option("--rows", min=0, help="Number of incidents.")] = 200_000,
    seed: SeedOption = 77,
    start: Annotated[
        str, typer.Option("--start", help="First day of the period, YYYY-MM-DD.")
    ] = "2023-01-01",
    months: Annotated[int, typer.Option("--months", min=1, help="Length of the period.")] = 24,
) -> None:
    """Write synthetic incidents in the "Crimes - 2001 to present" CSV schema, and beside them
    the manifest (FILE.synthetic.json) that marks them synthetic when they are loaded."""
    first_day = _start_date(start)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("synthetic incidents", total=rows)
        result = run(
            lambda: synth_crimes(
                rows=rows,
                seed=seed,
                out=out,
                start=first_day,
                months=months,
                on_progress=lambda done: progress.update(task, completed=done),
            )
        )
    size = result.path.stat().st_size / 1e6
    console.print(
        f"wrote {result.rows:,} rows ({size:,.1f} MB) to {result.path} in {result.seconds:.1f} s",
        highlight=False,
    )
    console.print(
        f"marked synthetic by {manifest_path(result.path)}: pages built from it will say so",
        highlight=False,
    )


@app.command()
def boundaries(
    out: Annotated[Path, typer.Option("--out", help="Folder for the GeoJSON files.")],
    seed: SeedOption = 77,
) -> None:
    """Write the synthetic city's community areas, districts, beats and wards as GeoJSON."""
    paths = run(lambda: write_boundaries(synth_geography(seed), out))
    for kind, path in paths.items():
        console.print(f"{kind}: {path}", highlight=False)
