"""``safer77 solve``: unsolved-homicide analytics for analysts (restricted: case numbers are
printed only when asked, and never reach the public site)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safer77.cli.common import (
    DbOption,
    OutputFormat,
    console,
    errors_to_exit,
    out,
    reading,
    settings,
    warn,
)
from safer77.cli.coordinate import emit

if TYPE_CHECKING:
    from safer77.solve.study import Study

app = typer.Typer(help="Unsolved-homicide analytics (restricted outputs).", no_args_is_help=True)

ClearanceOption = Annotated[
    Path | None,
    typer.Option(help="CPD's homicide clearance file (FOIA P744333 layout)."),
]
ServiceOption = Annotated[
    bool,
    typer.Option("--service", help="Read the homicide cases from the service database instead."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")]


def _url(service: bool) -> str | None:
    return settings().database_url if service else None


@app.command("link")
def link_command(
    db: DbOption = None,
    clearance: ClearanceOption = None,
    service: ServiceOption = False,
    cases: Annotated[
        bool,
        typer.Option("--cases", help="List the unmatched and refused records (case numbers)."),
    ] = False,
) -> None:
    """Link CPD's clearance records to the portal's homicide rows: the match rate, unmatched
    records counted by reason, and with --cases every unmatched or refused record."""
    from safer77.solve.study import linkage

    with reading(db) as con:
        result = linkage(con, clearance, _url(service))
    out.print(
        f"{len(result.linked):,} of {result.records:,} clearance records linked "
        f"({100 * result.rate:.1f}%); {len(result.unmatched):,} unmatched; "
        f"{len(result.refused):,} rows of the file refused; {result.date_flags:,} links whose "
        "dates differ by more than 2 days",
        highlight=False,
    )
    reasons = Counter(why for _, why in result.unmatched)
    for why, n in reasons.most_common():
        out.print(f"  {n:,} unmatched: {why}", highlight=False)
    if not cases:
        return
    for rec, why in result.unmatched:
        out.print(f"  unmatched {rec.rd_number} ({rec.injury_at:%Y-%m-%d}): {why}", highlight=False)
    for rej in result.refused:
        out.print(f"  refused {rej}", highlight=False)


@app.command("clusters")
def clusters_command(
    db: DbOption = None,
    clearance: ClearanceOption = None,
    service: ServiceOption = False,
    by: Annotated[
        list[str] | None,
        typer.Option(
            help="Group by (repeatable): area, district, sex, age, location, year, period "
            "[area, sex]."
        ),
    ] = None,
    first: Annotated[int, typer.Option("--from", help="First injury year.")] = 2010,
    last: Annotated[int | None, typer.Option("--to", help="Last injury year.")] = None,
    women: Annotated[bool, typer.Option("--women", help="Female victims only.")] = False,
    min_n: Annotated[int, typer.Option(help="Smallest group tested.")] = 10,
    fdr: Annotated[float, typer.Option(help="False discovery rate of the flags.")] = 0.05,
    flagged_only: Annotated[bool, typer.Option(help="Only the flagged groups.")] = False,
    cases: Annotated[
        bool, typer.Option("--cases", help="Also list the unsolved case numbers of flagged groups.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    to_service: Annotated[
        str | None,
        typer.Option(
            "--to-service",
            help="Publish the flagged groups and their unsolved cases as a review queue of this "
            "name in the service (restricted; a women-victims queue with --women).",
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Service user publishing the queue (needs review:manage)."),
    ] = None,
) -> None:
    """Groups whose clearance is significantly below that of comparable cases (same injury
    years) city-wide: exact Poisson-binomial test, Benjamini-Hochberg flags."""
    from safer77.solve.study import clusters, group_rows

    if to_service is not None and not as_user:
        raise typer.BadParameter("name the service user publishing the queue with --as USER")

    with reading(db) as con:
        study = clusters(
            con,
            clearance=clearance,
            database_url=_url(service),
            by=tuple(by or ("area", "sex")),
            first_year=first,
            last_year=last,
            women_only=women,
            min_n=min_n,
            fdr=fdr,
        )
    if to_service is not None and as_user:
        _publish(study, to_service, as_user)
    rows = group_rows(study.groups, flagged_only=flagged_only)
    flagged = [g for g in study.groups if g.flagged]
    if fmt is OutputFormat.json:
        payload = {"cases": study.cases, "linked_rate": study.linkage.rate, "groups": rows}
        if cases:
            payload["unsolved"] = [{**g.key, "cases": list(g.unsolved)} for g in flagged]
        out.print(json.dumps(payload))
        return
    console.print(
        f"{study.cases:,} cases ({'female victims, ' if women else ''}injured {first}-"
        f"{last or 'latest'}); {len(study.groups)} groups of {min_n}+ tested, "
        f"{len(flagged)} flagged at a false discovery rate of {fdr:g}",
        highlight=False,
    )
    if rows:
        emit(
            rows,
            fmt,
            "Clearance by group (expected = comparable cases city-wide)",
            tuple(by or ("area", "sex")),
        )
    if cases and fmt is OutputFormat.table:
        for g in flagged:
            label = ", ".join(f"{k} {v}" for k, v in g.key.items())
            out.print(f"{label}: {len(g.unsolved)} unsolved: {' '.join(g.unsolved)}")


def _publish(study: Study, name: str, username: str) -> None:
    from safer77.service.review import QueueKind, publish_to_service

    kind = QueueKind.women_victims if study.women_only else QueueKind.low_clearance
    with errors_to_exit():
        done = publish_to_service(settings().database_url, username, study, kind, name)
    console.print(
        f"review queue {done.queue_id} {name!r} ({kind}): {done.groups} flagged groups, "
        f"{done.items} cases to review",
        highlight=False,
    )
    for key, numbers in done.missing:
        label = ", ".join(f"{k} {v}" for k, v in key.items())
        warn(f"{label}: {len(numbers)} unsolved not in the service: {' '.join(numbers)}")


@app.command("series")
def series_command(
    crime_type: Annotated[
        list[str], typer.Option("--crime-type", help="Crime type(s) to scan (repeatable).")
    ],
    db: DbOption = None,
    as_of: Annotated[
        str | None, typer.Option(help="Scan as of this day (YYYY-MM-DD) [the last incident's].")
    ] = None,
    history: Annotated[int, typer.Option(help="Days of history compared against.")] = 365,
    window: Annotated[int, typer.Option(help="Longest series scanned for, in days.")] = 14,
    cell: Annotated[float, typer.Option(help="Cell size in metres.")] = 500.0,
    radius: Annotated[float, typer.Option(help="Largest series radius in metres.")] = 1000.0,
    permutations: Annotated[int, typer.Option(help="Permutations for the p-values.")] = 999,
    seed: Annotated[int, typer.Option(help="Seed of the permutations.")] = 0,
    alpha: Annotated[float, typer.Option(help="Largest p-value reported.")] = 0.05,
    incidents: Annotated[
        bool, typer.Option("--incidents", help="List each series' incidents.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Emerging space-time series of a crime type (prospective space-time permutation scan):
    places whose last days are unusual against their own history. Run it daily."""
    from datetime import date

    from safer77.solve.study import series, series_rows

    day = None
    if as_of:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise typer.BadParameter(f"not a date (YYYY-MM-DD): {as_of!r}") from None
    with reading(db) as con:
        result, members, day = series(
            con,
            [t.upper() for t in crime_type],
            as_of=day,
            history_days=history,
            window_days=window,
            cell_m=cell,
            radius_m=radius,
            permutations=permutations,
            seed=seed,
            alpha=alpha,
        )
    rows = series_rows(result, day)
    if fmt is OutputFormat.json:
        out.print(json.dumps({"as_of": str(day), "series": rows, "incidents": members}))
        return
    console.print(
        f"{result.incidents:,} incidents in {history} days to {day}; {result.cylinders:,} "
        f"space-time cylinders; {len(rows)} series with p <= {alpha:g} "
        f"({permutations} permutations, seed {seed})",
        highlight=False,
    )
    if rows:
        emit(rows, fmt, f"Emerging series as of {day}")
    if incidents and fmt is OutputFormat.table:
        for i, group in enumerate(members, start=1):
            out.print(f"series {i}:")
            for m in group:
                out.print(f"  {m['id']} {m['occurred_at']} {m['block']} {m['type']}")


@app.command("publish")
def publish_command(
    db: DbOption = None,
    clearance: ClearanceOption = None,
    service: ServiceOption = False,
    first: Annotated[int, typer.Option("--from", help="First injury year.")] = 2010,
    last: Annotated[int | None, typer.Option("--to", help="Last injury year.")] = None,
    fdr: Annotated[float, typer.Option(help="False discovery rate of the flags.")] = 0.05,
) -> None:
    """Store public counts of unsolved homicides per community area in the warehouse (the
    site's Unsolved homicides page): counts and rates only, never case numbers."""
    from safer77.solve.publish import area_counts, save_area_counts
    from safer77.warehouse import connect

    cfg = settings(db)
    with errors_to_exit():
        con = connect(cfg.db)
        try:
            rows = area_counts(
                con,
                clearance=clearance,
                database_url=_url(service),
                first_year=first,
                last_year=last,
                fdr=fdr,
            )
            save_area_counts(con, rows)
        finally:
            con.close()
    flagged = sum(r["below_comparable"] for r in rows)
    console.print(
        f"{len(rows)} community areas, {sum(r['homicides'] for r in rows):,} homicides "
        f"({rows[0]['years'] if rows else 'none'}); {flagged} areas below comparable cases",
        highlight=False,
    )
