"""The ``safer77`` command: thin Typer groups over library functions.

Every command is imported when it runs (:mod:`safer77.cli.lazy`): ``safer77 --help`` and each
command pay only for what they use. A new command or group is one line in ``COMMANDS``; its
help there is what ``safer77 --help`` lists (a test checks it matches the command's own).
"""

from __future__ import annotations

import typer

from safer77.cli.lazy import Lazy, LazyGroup

COMMANDS = {
    "demo": Lazy(
        "safer77.cli.demo:demo",
        "Synthesise a city, load it into the demo's own warehouse, print citywide and "
        "per-district summaries, then build the public site (marked synthetic on every page) "
        "and serve it (its address is printed).",
    ),
    "ingest": Lazy("safer77.cli.ingest:app", "Load data into the warehouse."),
    "fetch": Lazy(
        "safer77.cli.fetch:app",
        "Download raw records from Chicago's open-data portal (resumable JSON Lines).",
    ),
    "synth": Lazy(
        "safer77.cli.synth:app",
        "A synthetic city (real community areas, synthetic beats) in the portal's schema.",
    ),
    "stats": Lazy(
        "safer77.cli.stats:app",
        "Statistics from the warehouse. Arrest rates use the open data's Arrest flag "
        "(definition arrest_rate_proxy), which is a proxy for clearance, not clearance.",
    ),
    "coverage": Lazy(
        "safer77.cli.coverage:coverage",
        "Per crime type x month: covered or not (and why), the levels recorded, and the loads.",
    ),
    "quarantine": Lazy(
        "safer77.cli.ingest:quarantine", "List quarantined rows: file, line, field and reason."
    ),
    "cross-source": Lazy(
        "safer77.cli.ingest:cross_source",
        "List cross-source duplicates: the same incident loaded from two files without a shared "
        "ID (matched on time to the minute, block, type and community area). The row kept and "
        "the row dropped, with the match key.",
    ),
    "publish": Lazy(
        "safer77.cli.publish:publish",
        "Build the public site: pages, charts, maps, open data files, data.json, the report.",
    ),
    "serve": Lazy(
        "safer77.cli.publish:serve",
        "Serve the built site and the read-only JSON API (/api/areas, /docs for the spec).",
    ),
    "release": Lazy(
        "safer77.cli.release:release",
        "Fetch since the last release, ingest, analyse, build and publish releases/YYYY-MM with "
        "its figures, revisions and manifest; print one summary line (exit code 0 on success).",
    ),
    "export": Lazy("safer77.cli.export:app", "Export the warehouse for other engines."),
    "service": Lazy("safer77.cli.service:app", "The case-management and accountability service."),
    "coordinate": Lazy(
        "safer77.cli.coordinate:app", "Community Safety Coordination Center analytics."
    ),
    "solve": Lazy("safer77.cli.solve:app", "Unsolved-homicide analytics (restricted outputs)."),
    "plan": Lazy(
        "safer77.cli.plan:app",
        "Planning: police districts redrawn from beats; crisis-response triage and dispatch "
        "simulation.",
    ),
}


class Safer77Group(LazyGroup):
    lazy = COMMANDS


app = typer.Typer(
    name="safer77",
    cls=Safer77Group,
    help="Open public-safety statistics for Chicago's 77 community areas.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Open public-safety statistics for Chicago's 77 community areas."""


def main() -> None:
    """Entry point of the ``safer77`` script."""
    app()


__all__ = ["COMMANDS", "app", "main"]
