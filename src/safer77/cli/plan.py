"""``safer77 plan``: planning tools (district maps now; more subcommands will join)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from safer77.cli.common import DbOption, OutputFormat, console, out, reading
from safer77.cli.coordinate import emit
from safer77.cli.dispatch import calibrate_command, simulate_command, triage_command

app = typer.Typer(
    help="Planning: police districts redrawn from beats; crisis-response triage and dispatch "
    "simulation.",
    no_args_is_help=True,
)


@app.command("districts")
def districts(
    db: DbOption = None,
    count: Annotated[
        int | None,
        typer.Option("--districts", help="How many districts [as many as today's map]."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First month of workload, YYYY-MM.")
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last month of workload, YYYY-MM [newest; window 12 months]."),
    ] = None,
    severity: Annotated[
        Path | None,
        typer.Option(help="CSV primary_type,weight of incident weights [docs/plan.md]."),
    ] = None,
    keep: Annotated[
        str,
        typer.Option(
            help="Districts kept as they are and out of the balance, comma-separated "
            "('' for none) [31, O'Hare airport]."
        ),
    ] = "31",
    bound: Annotated[
        float | None,
        typer.Option(help="Max workload deviation, % [5, or the lower bound + 1 if higher]."),
    ] = None,
    compactness: Annotated[float, typer.Option(help="Weight of compactness.")] = 1.0,
    splits: Annotated[float, typer.Option(help="Weight of community areas split.")] = 0.25,
    moves: Annotated[float, typer.Option(help="Weight of beats moved.")] = 0.0,
    steps: Annotated[int, typer.Option(help="Optimiser steps (the plan depends on them).")] = (
        200_000
    ),
    seconds: Annotated[
        float | None, typer.Option(help="Stop after this long with the best plan so far.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed: same seed and steps, same plan.")] = 0,
    method: Annotated[
        str,
        typer.Option(
            help="anneal, or columns: anneal, then the best plan of a pool of balanced "
            "districts by MIP (HiGHS)."
        ),
    ] = "anneal",
    max_splits: Annotated[
        str,
        typer.Option(
            help="Cap on community areas split (a warning says when no plan within it was "
            "found): a number, 'today' (no more than today's map splits) or 'none' [today]."
        ),
    ] = "today",
    mip_seconds: Annotated[
        float, typer.Option(help="Time limit of the MIP of --method columns.")
    ] = 60.0,
    tolerance: Annotated[
        float, typer.Option(help="Gap between beats, metres, still read as a shared edge.")
    ] = 5.0,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write districts.geojson, beats.csv, map.svg, comparison.csv here."
        ),
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")] = (
        OutputFormat.table
    ),
) -> None:
    """Redraw police districts from beats: balanced workload, contiguous, compact, community
    areas kept whole; prints today's scores beside the proposal's (Ctrl-C stops early)."""
    from safer77.plan.districts import Request, redraw
    from safer77.plan.optimise import Options, Step
    from safer77.plan.outputs import comparison_rows, run_info, write_outputs

    request = Request(
        options=Options(
            districts=count,
            keep=_district_numbers(keep),
            bound_pct=bound,
            compactness=compactness,
            splits=splits,
            moves=moves,
            steps=steps,
            seed=seed,
            method=method,
            max_splits=_split_cap(max_splits),
            mip_seconds=mip_seconds,
        ),
        start=start,
        end=end,
        severity=severity,
        tolerance=tolerance,
        seconds=seconds,
    )
    with (
        reading(db) as con,
        Progress(
            TextColumn("optimising"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} steps · best {task.fields[best]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("steps", total=steps, best="–")

        def tick(step: Step) -> None:
            if step.stage:
                bar.update(task, best=step.stage)
            elif step.step % 500 == 0:
                label = f"{step.best_energy:.4f}" + (
                    "" if step.feasible else " (not yet within the bound and the cap)"
                )
                bar.update(task, completed=step.step, best=label)

        result = redraw(con, request, on_step=tick)
        if out_dir is not None:
            write_outputs(con, result, out_dir)
    rows = comparison_rows(result)
    if fmt is OutputFormat.json:
        out.print(json.dumps({"comparison": rows, "run": run_info(result)}))
        return
    emit(rows, fmt, "Today's districts vs. the proposal", text_columns=("measure",))
    if fmt is OutputFormat.table:
        info = run_info(result)
        console.print(
            f"{info['steps']:,} steps"
            + (f", then {info['outcome']}" if info["outcome"] else "")
            + f" in {info['seconds']:.1f} s"
            + (" (stopped early)" if result.stopped_early else "")
            + f"; workload {info['window']}: {info['incidents']:,} incidents "
            f"({info['by_point']:,} by point, {info['by_beat']:,} by beat, "
            f"{info['by_block']:,} by block, "
            f"{info['by_area']:,} spread over their community area, "
            f"{info['unplaced']:,} unplaced)"
        )
        if not result.proposed_score.contiguous or result.proposed_score.max_deviation_pct > (
            result.bound_pct
        ):
            console.print(
                f"[yellow]warning:[/yellow] no plan within ±{result.bound_pct:.1f}% was found "
                "yet; try more --steps or a looser --bound"
            )
        if not info["within_cap"]:
            console.print(
                f"[yellow]warning:[/yellow] the plan splits {result.proposed_score.splits} "
                f"community areas, over the cap of {info['max_splits']}; try more --steps or "
                "--max-splits none"
            )


def _split_cap(text: str) -> int | Literal["today"] | None:
    word = text.strip().lower()
    if word == "today":
        return "today"
    if word == "none":
        return None
    try:
        return int(word)
    except ValueError:
        raise typer.BadParameter(
            f"--max-splits takes a number, 'today' or 'none'; got {text!r}"
        ) from None


def _district_numbers(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(
            f"--keep takes district numbers like 31,12; got {text!r}"
        ) from None


app.command("triage")(triage_command)
app.command("simulate")(simulate_command)
app.command("calibrate")(calibrate_command)
