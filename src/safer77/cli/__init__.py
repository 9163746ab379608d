"""The ``safer77`` command: thin Typer groups over library functions."""

from __future__ import annotations

import typer

from safer77.cli import (
    coordinate,
    coverage,
    demo,
    dispatch,
    export,
    fetch,
    ingest,
    plan,
    publish,
    release,
    service,
    solve,
    stats,
    synth,
)
from safer77.cli.common import console

app = typer.Typer(
    name="safer77",
    help="Open public-safety statistics for Chicago's 77 community areas.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(ingest.app, name="ingest")
app.add_typer(fetch.app, name="fetch")
app.add_typer(synth.app, name="synth")
app.add_typer(stats.app, name="stats")
app.add_typer(export.app, name="export")
app.add_typer(service.app, name="service")
app.add_typer(coordinate.app, name="coordinate")
app.add_typer(solve.app, name="solve")
app.add_typer(plan.app, name="plan")
plan.app.command("triage")(dispatch.triage_command)
plan.app.command("simulate")(dispatch.simulate_command)
plan.app.command("calibrate")(dispatch.calibrate_command)
app.command("quarantine")(ingest.quarantine)
app.command("coverage")(coverage.coverage)
app.command("cross-source")(ingest.cross_source)
app.command("demo")(demo.demo)
app.command("publish")(publish.publish)
app.command("serve")(publish.serve)
app.command("release")(release.release)


def main() -> None:
    """Entry point of the ``safer77`` script."""
    app()


__all__ = ["app", "console", "main"]
