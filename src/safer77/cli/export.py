"""``safer77 export parquet``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safer77.cli.common import DbOption, console, errors_to_exit, settings
from safer77.warehouse import connect
from safer77.warehouse.export import export_parquet

app = typer.Typer(help="Export the warehouse for other engines.", no_args_is_help=True)


@app.command("parquet")
def parquet(
    folder: Annotated[Path, typer.Argument(help="Folder to write (replaced).")],
    db: DbOption = None,
) -> None:
    """Incidents as Parquet, partitioned by year and month (occ_year=/occ_month=)."""
    cfg = settings(db)
    with errors_to_exit():
        con = connect(cfg.db, read_only=True)
        try:
            rows = export_parquet(con, folder)
        finally:
            con.close()
    console.print(f"wrote {rows:,} incidents to {folder}", highlight=False)
