"""``safer77 release``: one command from the portal (or local files) to a published release."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from safer77.cli.common import DbOption, console, errors_to_exit, print_error
from safer77.errors import Safer77Error
from safer77.release.config import load_config
from safer77.release.steps import STEPS, StepFailed, run_release


class _Bar:
    """Draws the run as one bar over its steps and logs each step with its time."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task = bar.add_task("starting", total=len(STEPS))

    def start(self, step: str) -> None:
        self.bar.update(self.task, description=step)

    def progress(self, step: str, detail: str) -> None:
        self.bar.update(self.task, description=f"{step}: {detail}")

    def end(self, step: str, seconds: float, detail: str) -> None:
        self.bar.advance(self.task)
        self.bar.console.print(f"{step:<9} {seconds:7.2f} s  {detail}", highlight=False)


def release(
    month: Annotated[
        str | None,
        typer.Option("--month", help="Month to release, YYYY-MM [the newest covered in full]."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="release.toml (docs/operations.md) [./release.toml if present]."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what the release would do; change nothing.")
    ] = False,
    files: Annotated[
        list[Path] | None,
        typer.Option("--files", help="Local incident files in place of the portal (repeatable)."),
    ] = None,
    root: Annotated[
        Path | None, typer.Option("--root", help="Release root (releases/, current, work/).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Root URL of a portal mirror.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Fetch since the last release, ingest, analyse, build and publish releases/YYYY-MM with
    its figures, revisions and manifest; print one summary line (exit code 0 on success)."""
    with errors_to_exit():
        if config is None and Path("release.toml").is_file():
            config = Path("release.toml")
        cfg = load_config(config).with_overrides(root=root, db=db, base_url=base_url)
    if dry_run:
        with errors_to_exit():
            outcome = run_release(cfg, month=month, files=files, dry_run=True)
        for step, what in outcome.plan:
            typer.echo(f"{step:<9} {what}")
        typer.echo(outcome.summary())
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        reporter = _Bar(progress)
        try:
            with errors_to_exit():
                outcome = run_release(cfg, month=month, files=files, reporter=reporter)
        except StepFailed as failed:
            code = failed.error.exit_code if isinstance(failed.error, Safer77Error) else 1
            first = str(failed.error).splitlines()[0] if str(failed.error) else repr(failed.error)
            print_error(f"failed at {failed.step}: {first}")
            typer.echo(f"release {month or '?'}: FAILED at {failed.step}: {first}")
            raise typer.Exit(code) from None
    typer.echo(outcome.summary())
