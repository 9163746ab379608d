"""``safer77 plan triage|simulate``: crisis-response triage and the dispatch simulation."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from safer77.cli.common import DbOption, OutputFormat, console, errors_to_exit, out, settings
from safer77.cli.coordinate import emit

PolicyOption = Annotated[
    str, typer.Option(help="Triage policy: a TOML file or the built-in 'default'.")
]


def triage_command(
    call_type: Annotated[list[str], typer.Argument(help="Call type(s), e.g. 'WELFARE CHECK'.")],
    flag: Annotated[
        list[str] | None, typer.Option("--flag", help="Reported: weapon, violence, injury.")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="When the call comes in (YYYY-MM-DD HH:MM) [now].")
    ] = None,
    policy: PolicyOption = "default",
) -> None:
    """Explain the triage decision for each call type, rule by rule."""
    from safer77.dispatch.policy import load_policy, triage

    when = datetime.now()
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            raise typer.BadParameter(f"not a time (YYYY-MM-DD HH:MM): {at!r}") from None
    how = when.weekday() * 24 + when.hour
    with errors_to_exit():
        pol = load_policy(policy)
    for name in call_type:
        d = triage(pol, name, tuple(flag or ()), how)
        out.print(f"{name} at {when:%a %H:%M}: {d.responder}", highlight=False)
        for reason in d.reasons:
            out.print(f"  - {reason}", highlight=False)


def simulate_command(
    db: DbOption = None,
    policy: PolicyOption = "default",
    days: Annotated[int, typer.Option(help="Days simulated per scenario.")] = 28,
    seed: Annotated[int, typer.Option(help="Seed (the same seed gives the same table).")] = 1,
    calls_per_year: Annotated[
        float, typer.Option(help="Calls a year, spread like the warehouse's incidents.")
    ] = 3_000_000,
    profile: Annotated[
        Path | None,
        typer.Option(
            help="Demand CSV: district,hour_of_week,calls_per_hour (no warehouse); or a "
            "calibrated profile (.json, from plan calibrate --save): real demand and the "
            "calibrated police fleet, with and without the policy's crisis teams."
        ),
    ] = None,
    police_units: Annotated[
        int | None, typer.Option(help="Police units per district [sized for 70% busy].")
    ] = None,
    travel: Annotated[
        Path | None,
        typer.Option(
            help="CSV district,minutes of mean police travel [from the district boundaries' "
            "areas by the square-root law, or 7 minutes without them]."
        ),
    ] = None,
    staffing: Annotated[
        str,
        typer.Option(
            help="Crisis teams compared, comma-separated, or 'auto': half, one and one and a "
            "half times the teams the policy's crisis calls would keep 70% busy."
        ),
    ] = "auto",
    save: Annotated[
        bool, typer.Option(help="Store the table in the warehouse for the public site.")
    ] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")] = (
        OutputFormat.table
    ),
) -> None:
    """Simulate police plus crisis teams: for each scenario the share of calls diverted,
    police priority-1 response p50/p90, waits and utilisation per fleet."""
    from safer77.dispatch.policy import load_policy
    from safer77.dispatch.scenarios import compare, plan_run, save_scenarios
    from safer77.warehouse import connect

    levels: tuple[int, ...] | None = None
    if staffing != "auto":
        try:
            levels = tuple(int(x) for x in staffing.split(",") if x.strip())
        except ValueError:
            raise typer.BadParameter(f"staffing levels must be numbers: {staffing!r}") from None
    if profile is not None and profile.suffix == ".json":
        from safer77.dispatch.calibrate import load_profile
        from safer77.dispatch.diversion import crisis_scenarios

        with errors_to_exit():
            prof = load_profile(profile)["agencies"]["police"]
            load_policy(policy)
            rows = crisis_scenarios(prof, (policy,), days=days, seeds=(seed,))
        emit(rows, fmt, f"Calibrated police fleet, {days} days, seed {seed}", ("policy",))
        return
    cfg = settings(db)
    with errors_to_exit():
        pol = load_policy(policy)
        con = connect(cfg.db, read_only=True) if profile is None or cfg.db.exists() else None
        try:
            run = plan_run(
                con,
                pol,
                profile=profile,
                calls_per_year=calls_per_year,
                units_per_district=police_units,
                travel=travel,
                staffing=levels,
            )
        finally:
            if con is not None:
                con.close()
        scenarios = run.scenarios
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("simulating", total=len(scenarios))

            def step(name: str) -> None:
                bar.update(task, advance=1, description=f"simulated {name}")

            _, rows = compare(scenarios, pol, run.rates, days, seed, on_done=step)
        if save:
            con = connect(cfg.db)
            try:
                save_scenarios(con, rows, policy=pol.source, days=days, seed=seed)
            finally:
                con.close()
    if fmt is OutputFormat.json:
        out.print(json.dumps(rows))
        return
    emit(rows, fmt, f"Dispatch scenarios, {days} days, seed {seed}", ("scenario",))
    if fmt is OutputFormat.table:
        console.print(
            f"{len(run.districts)} districts; police units per district: "
            f"{', '.join(map(str, run.units))}; mean police travel: "
            + (
                ", ".join(f"{t:.1f}" for t in run.police_travel) + " min"
                if run.police_travel
                else "7 min (no district boundaries)"
            )
            + f"; policy: {pol.source}",
            highlight=False,
        )


def calibrate_command(
    train_weeks: Annotated[
        str, typer.Option(help="Weeks to estimate from, e.g. 35-44 (the export's week numbers).")
    ] = "35-44",
    test_weeks: Annotated[str, typer.Option(help="Held-out weeks to validate on.")] = "45-48",
    db: DbOption = None,
    save: Annotated[
        Path | None,
        typer.Option(help="Write the calibrated profile (JSON) for plan simulate --profile."),
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            help="Store the validation, the diversion by policy, the crisis-team scenarios and "
            "text against voice in the warehouse, for the public site."
        ),
    ] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")] = (
        OutputFormat.table
    ),
) -> None:
    """Calibrate the dispatch simulation on the warehouse's CAD records (ingest calls):
    arrivals, call types, on-scene and travel times, dispatcher handling and units per shift
    from the training weeks; then the held-out weeks observed against simulated and against
    Erlang C (p50/p90 time to dispatch and response per agency and priority, in minutes)."""
    from safer77.cli.common import reading
    from safer77.dispatch.calibrate import calibrate, parse_weeks, save_profile
    from safer77.dispatch.policy import load_policy
    from safer77.warehouse import connect

    with errors_to_exit():
        train, test = parse_weeks(train_weeks), parse_weeks(test_weeks)
        with reading(db) as con:
            result = calibrate(con, train, test, load_policy())
            extra = _diversion(con, result.profile) if store or fmt is OutputFormat.table else {}
            extra["utilisation"] = result.utilisation.get("police", [])
        if save is not None:
            save_profile(result.profile, save)
        if store:
            from safer77.publish.dispatch import store_calibration

            con = connect(settings(db).db)
            try:
                store_calibration(con, result, extra)
            finally:
                con.close()
    emit(result.rows, fmt, f"Weeks {test_weeks}: observed, simulated (trained on {train_weeks}) "
         "and Erlang C, minutes", ("agency", "measure"))  # fmt: skip
    if fmt is not OutputFormat.table:
        return
    units = {a: p["units"] for a, p in result.profile["agencies"].items()}
    console.print(f"units on duty per shift (fitted): {units}", highlight=False)
    for title, key in (
        ("Police utilisation by hour (held-out weeks)", "utilisation"),
        ("What a crisis team could take, by policy (all weeks)", "diversion"),
        ("Crisis teams on the calibrated police fleet", "scenarios"),
        ("Text calls against voice (police)", "text_voice"),
    ):
        emit(extra[key], fmt, title, ("policy", "reception", "team_hours", "top_types"))


def _diversion(con: Any, profile: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    from safer77.dispatch.diversion import crisis_scenarios, diversion_table, text_vs_voice

    police = profile["agencies"].get("police")
    return {
        "diversion": diversion_table(con),
        "scenarios": crisis_scenarios(police) if police else [],
        "text_voice": text_vs_voice(con),
    }
