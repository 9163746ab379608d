"""Shared CLI plumbing: consoles, options, and turning library errors into one-line exits."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import duckdb
import typer
from rich.console import Console
from rich.text import Text

from safer77.config import Settings, get_settings
from safer77.errors import Safer77Error

console = Console(stderr=True, soft_wrap=True)
# Tables piped to a file or another program are not squeezed into 80 columns.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)

T = TypeVar("T")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB warehouse file [env SAFER77_DB; default ./safer77.duckdb]."),
]


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def settings(db: Path | None = None) -> Settings:
    return get_settings(db=db)


def run(fn: Callable[[], T]) -> T:
    """Call ``fn`` under :func:`errors_to_exit`."""
    with errors_to_exit():
        return fn()


@contextmanager
def reading(db: Path | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse opened read-only, with library errors turned into one-line exits."""
    from safer77.warehouse import connect

    with errors_to_exit():
        con = connect(settings(db).db, read_only=True)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """A :class:`Safer77Error` (or a DuckDB error) becomes one red line and its exit code."""
    try:
        yield
    except Safer77Error as exc:
        print_error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except duckdb.Error as exc:  # e.g. a file that `stats --file` reads is cut short
        from safer77.warehouse.readers import engine_refusal

        print_error(str(engine_refusal(exc, doing="could not read")))
        raise typer.Exit(2) from None


def print_error(message: str) -> None:
    """One line on stderr, never wrapped, never read as Rich markup."""
    console.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


def warn(message: str) -> None:
    """A one-line warning on stderr."""
    console.print(Text.assemble(("warning: ", "yellow"), message), soft_wrap=True)
