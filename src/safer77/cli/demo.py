"""``safer77 demo``: a synthetic city, loaded, summarised, published and served."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from safer77.cli.common import console, errors_to_exit, out, settings
from safer77.cli.publish import build, run_server
from safer77.cli.stats import _arrest_table, _pct
from safer77.demo import DEMO_DIR, demo_settings, run_demo
from safer77.metrics.stats import arrest_stats, yoy
from safer77.warehouse import connect


def demo(
    rows: Annotated[int, typer.Option(help="Synthetic incidents to generate.")] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic city.")] = 77,
    workdir: Annotated[
        Path,
        typer.Option(help="The demo's folder: its synthetic files, warehouse and site (site/)."),
    ] = DEMO_DIR,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="The demo's warehouse [default WORKDIR/safer77.duckdb; never SAFER77_DB, "
            "the warehouse of real loads].",
        ),
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve", help="Build the site (WORKDIR/site) and serve it at the end."
        ),
    ] = True,
    port: Annotated[int, typer.Option(help="Port for the site.")] = 8077,
) -> None:
    """Synthesise a city, load it into the demo's own warehouse, print citywide and
    per-district summaries, then build the public site (marked synthetic on every page) and
    serve it (its address is printed)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    cfg = demo_settings(settings(), workdir, db)
    with (
        errors_to_exit(),
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("starting", total=1.0)
        result = run_demo(
            cfg,
            rows=rows,
            seed=seed,
            workdir=workdir,
            db=cfg.db,
            on_step=lambda msg: bar.update(task, description=msg, completed=0),
            on_progress=lambda f: bar.update(task, completed=f),
        )
    for load in result.loads:
        console.print(
            f"{Path(load.file).name}: read {load.read:,}, loaded {load.loaded:,}, "
            f"updated {load.updated:,}, duplicates {load.duplicates:,}, "
            f"quarantined {load.quarantined:,}",
            highlight=False,
        )
    con = connect(cfg.db, read_only=True)
    try:
        city = arrest_stats(con, by="city")
        months = [r.month for r in city]
        latest = months[-1] if months else None
        prev = f"{int(latest[:4]) - 1}{latest[4:]}" if latest else None
        districts = arrest_stats(con, by="district", from_month=latest, to_month=latest)
        change = {str(r["key"]): r for r in yoy(con, by="district", month=latest)}
    finally:
        con.close()
    _arrest_table(
        city[-12:], "Citywide, last 12 months (arrest_rate_proxy: the Arrest flag, not clearance)"
    )
    table = Table(
        "district",
        "incidents",
        f"vs {prev}",
        "arrest rate",
        "95% interval",
        "low n",
        title=f"Districts, {latest} (arrest_rate_proxy)",
    )
    for r in districts:
        c = change.get(r.key, {}).get("incidents_change_pct")
        table.add_row(
            r.key,
            f"{r.incidents:,}",
            "–" if c is None else f"{float(c):+.1f}%",  # type: ignore[arg-type]
            _pct(r.arrest_rate),
            f"{_pct(r.ci_low)}–{_pct(r.ci_high)}",
            "yes" if r.low_n else "",
        )
    out.print(table)
    console.print(
        f"warehouse: {result.db}  ·  try: safer77 stats arrests --db {result.db} "
        f"--by district --category violent --from {latest}",
        highlight=False,
    )
    if serve:
        built = build(cfg, cfg.site_dir, None)
        console.print(f"site: {built.pages} pages in {built.out}", highlight=False)
        run_server(cfg, cfg.site_dir, port)
