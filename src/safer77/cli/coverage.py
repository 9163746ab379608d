"""``safer77 coverage``: what the loaded files cover, per crime type and month."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from safer77.cli.common import DbOption, OutputFormat, out, reading


def coverage(
    db: DbOption = None,
    crime_type: Annotated[
        str | None, typer.Option("--crime-type", help="Only this primary type, e.g. HOMICIDE.")
    ] = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option(
            "--format", help="table (months merged into ranges), csv or json (per month)."
        ),
    ] = OutputFormat.table,
) -> None:
    """Per crime type x month: covered or not (and why), the levels recorded, and the loads."""
    from safer77.metrics.coverage import read_coverage
    from safer77.metrics.coverage_table import coverage_ranges, coverage_table

    with reading(db) as con:
        rows = coverage_table(read_coverage(con, with_shares=False))
    if crime_type:
        rows = [r for r in rows if r["crime_type"] == crime_type.strip().upper()]
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(rows, default=str))
        return
    if fmt is OutputFormat.csv:
        import csv
        import sys

        flat = [
            {**r, "loads": " ".join(map(str, r["loads"])), "files": " ".join(r["files"])}
            for r in rows
        ]
        if flat:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(flat[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(flat)
        return
    ranges = coverage_ranges(rows)
    table = Table(
        "crime type",
        "months",
        "covered",
        "levels recorded (≥90% of rows)",
        "rows",
        "files",
        title=f"Coverage: {len({r['crime_type'] for r in rows})} crime types, {len(ranges)} ranges",
    )
    for r in ranges:
        months = r["from"] if r["from"] == r["to"] else f"{r['from']} to {r['to']}"
        covered = r["scope"] if r["covered"] else f"no: {r['reason']}"
        table.add_row(r["crime_type"], months, covered, r["levels"], f"{r['rows']:,}", r["files"])
    out.print(table)
