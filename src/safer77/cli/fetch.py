"""``safer77 fetch``: download raw records from Chicago's open-data portal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from safer77.cli.common import console, errors_to_exit
from safer77.config import get_settings
from safer77.sources.socrata import fetch_crimes

app = typer.Typer(
    help="Download raw records from Chicago's open-data portal (resumable JSON Lines).",
    no_args_is_help=True,
)


@app.callback()
def _group() -> None:
    """Keep ``fetch`` a group even while it has a single command."""


@app.command("crimes")
def crimes(
    since: Annotated[
        datetime,
        typer.Option(
            "--since",
            formats=["%Y-%m-%d"],
            help="Fetch incidents that occurred on or after this day (YYYY-MM-DD).",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            dir_okay=False,
            help="JSON Lines file to write; rerun the same command to resume a broken download.",
        ),
    ],
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, help="Rows per request.")
    ] = 50_000,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Root URL of a portal mirror, replacing https://<portal_domain>.",
        ),
    ] = None,
) -> None:
    """Download 'Crimes - 2001 to Present' since a day (app token: SAFER77_SOCRATA_APP_TOKEN)."""
    settings = get_settings()
    pages = 0
    with console.status(f"fetching crimes since {since:%Y-%m-%d}…") as status, errors_to_exit():

        def on_page(rows: int, total: int) -> None:
            nonlocal pages
            pages += 1
            console.print(f"page {pages}: +{rows:,} rows ({total:,} in file)", highlight=False)
            status.update(f"fetching page {pages + 1} (from row {total:,})…")

        result = fetch_crimes(
            since=since.date(),
            out=out,
            domain=settings.portal_domain,
            dataset=settings.crimes_dataset,
            app_token=settings.socrata_app_token,
            page_size=page_size,
            base_url=base_url,
            on_page=on_page,
        )
    if result.rows_written == 0 and result.resumed_from > 0:
        console.print(
            f"{out} is complete ({result.resumed_from:,} rows); nothing new to fetch",
            highlight=False,
        )
        return
    resumed = f" (resumed at row {result.resumed_from:,})" if result.resumed_from else ""
    n_pages = f"{result.pages} page" + ("" if result.pages == 1 else "s")
    console.print(
        f"[green]done:[/] {result.rows_written:,} rows in {n_pages} → {out}{resumed}",
        highlight=False,
    )
