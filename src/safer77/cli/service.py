"""``safer77 service``: the case-management service (database, users, imports, exports)."""

from __future__ import annotations

import csv
import getpass
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from safer77.cli.common import DbOption, OutputFormat, console, errors_to_exit, out, warn
from safer77.config import Settings, get_settings
from safer77.service.permissions import Role

app = typer.Typer(help="The case-management and accountability service.", no_args_is_help=True)
db_app = typer.Typer(help="The service's database.", no_args_is_help=True)
user_app = typer.Typer(help="Service users.", no_args_is_help=True)
import_app = typer.Typer(
    help="Import real case outcomes and use-of-force reports.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(audit_app, name="audit")

GRACE = 8  # seconds SIGTERM waits for requests in flight (then they are cancelled)

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Database URL [env SAFER77_DATABASE_URL; default SQLite file]."),
]


def _settings(url: str | None, db: Path | None = None) -> Settings:
    with errors_to_exit():  # a bad SAFER77_* value: one line, not a traceback
        return get_settings(database_url=url, db=db)


@db_app.command("upgrade")
def db_upgrade(url: UrlOption = None) -> None:
    """Create or migrate the service's tables (safe to run again)."""
    from safer77.service.db import make_engine, upgrade

    cfg = _settings(url)
    with errors_to_exit():
        engine = make_engine(cfg.database_url)
        upgrade(engine)
        engine.dispose()
    console.print(f"database at head: {_label(cfg.database_url)}", highlight=False)


@db_app.command("grant")
def db_grant(
    role: Annotated[str, typer.Argument(help="The application role the service runs as.")],
    url: UrlOption = None,
) -> None:
    """PostgreSQL, as the tables' owner: let ROLE run the service and no more (no TRUNCATE, no
    DELETE but of login bookkeeping, audit rows only inserted and sealed). Run it after each
    upgrade."""
    from safer77.service.db import grant_app_role, migrated_engine

    cfg = _settings(url)
    with errors_to_exit(), migrated_engine(cfg.database_url) as engine:
        schema = grant_app_role(engine, role)
    console.print(f"role {role} may run the service in schema {schema} (no TRUNCATE, no DELETE)")


def _label(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("serve")
def serve(
    url: UrlOption = None,
    port: Annotated[int | None, typer.Option(help="Port [default 8078].")] = None,
    host: Annotated[str | None, typer.Option(help="Address [default 127.0.0.1].")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Run the service (OpenAPI docs at /docs)."""
    import uvicorn

    cfg = _settings(url)
    from safer77.service.guard import access_log_to_stderr

    access_log_to_stderr()
    os.environ["SAFER77_ACCESS_LOG"] = "1"  # and in each worker process (asgi.build)
    with errors_to_exit():
        from safer77.config import INSECURE_SECRET
        from safer77.errors import InvalidInput
        from safer77.service.app import create_app

        if workers > 1 and cfg.secret_key == INSECURE_SECRET:
            raise InvalidInput(
                "more than one worker needs a shared SAFER77_SECRET_KEY (each worker would "
                "sign tokens with its own random key)"
            )
        app_ = create_app(cfg)
    console.print(f"service on http://{host or cfg.host}:{port or cfg.service_port}/docs")
    if workers > 1:
        os.environ["SAFER77_DATABASE_URL"] = cfg.database_url
        uvicorn.run(
            "safer77.service.asgi:build",
            factory=True,
            host=host or cfg.host,
            port=port or cfg.service_port,
            workers=workers,
            log_level="warning",
            timeout_graceful_shutdown=GRACE,
            proxy_headers=False,  # X-Forwarded-For: only from SAFER77_TRUSTED_PROXIES
        )
        return
    uvicorn.run(
        app_,
        host=host or cfg.host,
        port=port or cfg.service_port,
        log_level="warning",
        timeout_graceful_shutdown=GRACE,
        proxy_headers=False,
    )


def _read_password(from_stdin: bool) -> str:
    return sys.stdin.readline().rstrip("\n") if from_stdin else getpass.getpass("password: ")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="Role.")],
    unit: Annotated[
        str | None,
        typer.Option(
            help="Unit (detectives), or organisation (community users, e.g. a block club)."
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    url: UrlOption = None,
) -> None:
    """Add a user (the password is asked for, or read from stdin)."""
    from safer77.service.auth import create_user
    from safer77.service.db import migrated_engine, session_factory, transaction

    password = _read_password(password_stdin)
    cfg = _settings(url)
    with (
        errors_to_exit(),
        migrated_engine(cfg.database_url) as engine,
        transaction(session_factory(engine)) as s,
    ):
        user = create_user(s, username=username, password=password, role=role, unit=unit)
        uid = user.id
    console.print(f"user {username} ({role}) created, id {uid}")


def _change_user(username: str, url: str | None, change: str, **args: object) -> None:
    """Apply one account change (``safer77.service.accounts``) as the CLI: audited with no
    actor and ``via: cli``, in one transaction."""
    from safer77.service import accounts
    from safer77.service.db import migrated_engine, session_factory, transaction

    cfg = _settings(url)
    with (
        errors_to_exit(),
        migrated_engine(cfg.database_url) as engine,
        transaction(session_factory(engine)) as s,
    ):
        user = accounts.find_user(s, username=username)
        getattr(accounts, change)(s, None, user, via="cli", **args)


UserArgument = Annotated[str, typer.Argument(help="Login name.")]


@user_app.command("deactivate")
def user_deactivate(username: UserArgument, url: UrlOption = None) -> None:
    """Deactivate a user: no more logins, and every token the user holds is refused from the
    next request."""
    _change_user(username, url, "deactivate")
    console.print(f"user {username} deactivated; tokens revoked")


@user_app.command("reactivate")
def user_reactivate(username: UserArgument, url: UrlOption = None) -> None:
    """Let a deactivated user sign in again."""
    _change_user(username, url, "reactivate")
    console.print(f"user {username} reactivated")


@user_app.command("role")
def user_role(
    username: UserArgument,
    role: Annotated[Role, typer.Option(help="The new role.")],
    unit: Annotated[
        str | None, typer.Option(help="Unit (detectives) or organisation (community users).")
    ] = None,
    url: UrlOption = None,
) -> None:
    """Change a user's role (and unit); the user's tokens are revoked."""
    _change_user(username, url, "set_role", role=role, unit=unit)
    console.print(f"user {username} is now {role}; tokens revoked")


@user_app.command("password")
def user_password(
    username: UserArgument,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    url: UrlOption = None,
) -> None:
    """Reset a user's password (asked for, or read from stdin); the user's tokens are
    revoked."""
    password = _read_password(password_stdin)
    _change_user(username, url, "reset_password", password=password)
    console.print(f"password of {username} reset; tokens revoked")


@audit_app.command("verify")
def audit_verify(url: UrlOption = None) -> None:
    """Check the audit log's hash chain: an edited, removed or inserted row is named (exit 3).
    Rows not chained yet are chained first."""
    from safer77.errors import Conflict
    from safer77.service.audit import SEAL_BATCH, seal, verify
    from safer77.service.db import migrated_engine, session_factory

    cfg = _settings(url)
    with (
        errors_to_exit(),
        migrated_engine(cfg.database_url) as engine,
        session_factory(engine)() as s,
    ):
        while seal(s) == SEAL_BATCH:
            pass
        verdict = verify(s)
        if verdict.broken_at is not None:
            raise Conflict(
                f"audit chain broken at row {verdict.broken_at}: {verdict.reason} "
                f"({verdict.rows:,} rows before it hold)"
            )
    late = f", {verdict.unsealed:,} rows written since, not chained yet" if verdict.unsealed else ""
    console.print(f"audit chain holds: {verdict.rows:,} rows{late}", highlight=False)


def _progress(label: str) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn(label + " {task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _report(reports: list, rejects_out: Path | None) -> None:  # type: ignore[type-arg]
    for r in reports:
        counts = ", ".join(f"{k} {v:,}" for k, v in r.summary().items() if k != "file")
        console.print(f"{Path(r.file).name}: {counts}", highlight=False)
        for note in r.notes:
            console.print(f"  note: {note}", highlight=False)
        for bad in r.rejects[:10]:
            warn(f"rejected: {bad}")
        if len(r.rejects) > 10:
            warn(f"... and {len(r.rejects) - 10:,} more rejected rows")
        for odd in r.flagged[:10]:
            warn(f"loaded, flagged: {odd}")
        if len(r.flagged) > 10:
            warn(f"... and {len(r.flagged) - 10:,} more flagged rows")
    rejects = [bad for r in reports for bad in r.rejects]
    if rejects_out is not None:
        with rejects_out.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["file", "line", "field", "reason"])
            w.writerows([b.file, b.line, b.field, b.reason] for b in rejects)
    out.print(json.dumps([r.summary() for r in reports]))


RejectsOption = Annotated[
    Path | None,
    typer.Option("--rejects", help="Write rejected rows (file, line, field, reason) to CSV."),
]


@import_app.command("cpd-homicides")
def import_homicides(
    path: Annotated[Path, typer.Argument(help="CPD homicide clearance-status CSV.")],
    url: UrlOption = None,
    rejects: RejectsOption = None,
) -> None:
    """Load CPD's homicide clearance release as cases with their clearance events (one
    transaction; importing the same file again changes nothing)."""
    from safer77.service.db import migrated_engine, session_factory, transaction
    from safer77.service.imports import import_cpd_homicides

    cfg = _settings(url)
    with (
        errors_to_exit(),
        migrated_engine(cfg.database_url) as engine,
        _progress(f"importing {path.name}") as bar,
    ):
        task = bar.add_task("rows", total=None)
        with transaction(session_factory(engine)) as s:
            report = import_cpd_homicides(s, None, path, progress=lambda n: bar.advance(task, n))
    _report([report], rejects)


@import_app.command("use-of-force")
def import_force(
    main: Annotated[Path, typer.Argument(help="TRR main file (one row per report).")],
    actions: Annotated[Path | None, typer.Option(help="TRR actions-responses file.")] = None,
    subjects: Annotated[Path | None, typer.Option(help="TRR subjects file.")] = None,
    url: UrlOption = None,
    rejects: RejectsOption = None,
) -> None:
    """Load Tactical Response Reports as use-of-force records with a 30-day release clock."""
    from safer77.service.db import migrated_engine, session_factory, transaction
    from safer77.service.imports import import_use_of_force

    cfg = _settings(url)
    with (
        errors_to_exit(),
        migrated_engine(cfg.database_url) as engine,
        _progress(f"importing {main.name}") as bar,
    ):
        task = bar.add_task("rows", total=None)
        with transaction(session_factory(engine)) as s:
            reports = import_use_of_force(
                s,
                None,
                main,
                actions=actions,
                subjects=subjects,
                progress=lambda n: bar.advance(task, n),
            )
    _report(reports, rejects)


@app.command("clearance")
def clearance(
    url: UrlOption = None,
    grain: Annotated[Literal["year", "month"], typer.Option(help="Period size.")] = "year",
    start: Annotated[
        str | None, typer.Option("--from", help="First period (YYYY or YYYY-MM).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last period (YYYY or YYYY-MM).")] = None,
    crime_type: Annotated[str | None, typer.Option(help="e.g. HOMICIDE.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Date the figures stand on [today].")] = None,
    count: Annotated[
        Literal["victims", "incidents"],
        typer.Option(
            help="Count offenses per victim (UCR; one row of CPD's homicide file each) or per "
            "incident (distinct case/RD number, as some newspapers count)."
        ),
    ] = "victims",
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json (to stdout).")
    ] = OutputFormat.table,
) -> None:
    """UCR clearance from case records, by period: the cohort rate (offenses of the period
    cleared to date) and the in-year UCR rate (clearances recorded in the period / offenses in
    the period; can exceed 100%); arrest and exceptional apart. Periods before the records'
    complete coverage are flagged and show no rates."""
    from safer77.service.db import migrated_engine, session_factory
    from safer77.service.reports import clearance_table, columns

    cfg = _settings(url)
    with (
        errors_to_exit(),
        migrated_engine(cfg.database_url) as engine,
        session_factory(engine)() as s,
    ):
        rows = clearance_table(
            s,
            grain=grain,
            start=start,
            end=end,
            crime_type=crime_type.upper() if crime_type else None,
            as_of=date.fromisoformat(as_of) if as_of else None,
            count=count,
        )
    cols = columns(grain)
    if fmt is OutputFormat.json:
        out.print(json.dumps(rows))
        return
    if fmt is OutputFormat.csv:
        w = csv.DictWriter(sys.stdout, fieldnames=list(cols))
        w.writeheader()
        w.writerows(rows)
        return
    shown = [k for k in cols if k != "counted_by"]
    table = Table(
        title=f"UCR clearance from case records, counted by {count[:-1]} "
        "(definition: ucr_clearance)"
    )
    for key in shown:
        table.add_column(cols[key][0], justify="left" if key in ("period", "coverage") else "right")
    for r in rows:
        table.add_row(*[_fmt(r[k]) if k != "coverage" else r[k].split(":")[0] for k in shown])
    out.print(table)
    for key in shown[1:]:
        out.print(f"{cols[key][0]}: {cols[key][1]}", highlight=False)
    notes = sorted({r["coverage"] for r in rows if r["coverage"] != "complete"})
    for note in notes:
        out.print(note, highlight=False)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.1%}"
    return "" if v is None else str(v)


@app.command("export")
def export(
    url: UrlOption = None,
    db: DbOption = None,
    as_of: Annotated[str | None, typer.Option(help="Date the views stand on [today].")] = None,
) -> None:
    """Write the service's public aggregates (clearance, release on-time %, use-of-force counts,
    requests per department, block clubs per area, town halls per district) into the
    warehouse, in one transaction."""
    from safer77.service.db import migrated_engine
    from safer77.service.export import export_to_warehouse

    cfg = _settings(url, db)
    with errors_to_exit(), migrated_engine(cfg.database_url) as engine:
        result = export_to_warehouse(
            engine, cfg.db, as_of=date.fromisoformat(as_of) if as_of else None
        )
    for name, n in result.rows.items():
        console.print(f"{name}: {n:,} rows", highlight=False)
    console.print(f"warehouse {cfg.db}: load {result.load_id}")
