"""``safer77 publish`` and ``safer77 serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from safer77.cli.common import DbOption, console, errors_to_exit, settings
from safer77.config import Settings
from safer77.metrics.stats import compute_all, stats_are_current
from safer77.publish.site import BuildResult, build_site
from safer77.warehouse import connect

SiteOption = Annotated[
    Path | None,
    typer.Option("--out", help="Folder for the site [env SAFER77_SITE_DIR; default ./site]."),
]


def build(
    cfg: Settings, out: Path, month: str | None, district_plan: Path | None = None
) -> BuildResult:
    """Build the site with a progress bar; shared by `publish` and `demo`."""
    with (
        errors_to_exit(),
        Progress(
            TextColumn("building site"),
            BarColumn(),
            TextColumn("{task.completed} pages"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("pages", total=None)
        con = connect(cfg.db, read_only=True)  # a running server may hold the file open too
        if not stats_are_current(con):
            con.close()
            writer = connect(cfg.db, memory_limit=cfg.memory_limit)
            try:
                compute_all(writer)
            finally:
                writer.close()
            con = connect(cfg.db, read_only=True)
        try:
            return build_site(
                con,
                out,
                month=month,
                on_page=lambda n: bar.update(task, completed=n),
                district_plan=district_plan,
                release_deadline=cfg.release_deadline_days,
                site_url=cfg.site_url,
            )
        finally:
            con.close()


def publish(
    out: SiteOption = None,
    month: Annotated[
        str | None, typer.Option("--month", help="Month to feature, YYYY-MM (default: newest).")
    ] = None,
    db: DbOption = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the monthly report to PDF (Chromium).")
    ] = False,
    district_plan: Annotated[
        Path | None,
        typer.Option(help="Publish a proposal written by `safer77 plan districts --out DIR`."),
    ] = None,
) -> None:
    """Build the public site: pages, charts, maps, open data files, data.json, the report."""
    cfg = settings(db)
    result = build(cfg, out or cfg.site_dir, month, district_plan)
    console.print(
        f"built {result.pages} pages and {result.files} data files for {result.month} "
        f"in {result.out} ({result.seconds:.1f} s)",
        highlight=False,
    )
    if pdf:
        from safer77.publish.report import print_pdf

        page = result.out / "report" / f"{result.month}.html"
        with errors_to_exit():
            done = print_pdf(page, page.with_suffix(".pdf"))
        console.print(f"report: {done}", highlight=False)


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8077,
    site: SiteOption = None,
    db: DbOption = None,
) -> None:
    """Serve the built site and the read-only JSON API (/api/areas, /docs for the spec)."""
    cfg = settings(db)
    run_server(cfg, site or cfg.site_dir, port)


def run_server(cfg: Settings, site: Path, port: int) -> None:
    """Serve until interrupted, printing the address first."""
    import uvicorn

    from safer77.web.app import create_app

    with errors_to_exit():
        if not (site / "index.html").exists():
            from safer77.errors import NotFound

            raise NotFound(f"no site in {site}; run `safer77 publish --out {site}` first")
        app = create_app(cfg, site)
    console.print(
        f"serving http://{cfg.host}:{port}/ (API: /api/areas, spec: /docs); Ctrl-C stops",
        highlight=False,
    )
    uvicorn.run(app, host=cfg.host, port=port, log_level="warning")
