"""Shared CLI plumbing: consoles, options, and turning library errors into one-line exits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from safer77.config import Settings, get_settings
from safer77.errors import Safer77Error

console = Console(stderr=True)
out = Console(soft_wrap=True)

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
    """Call ``fn``; a :class:`Safer77Error` becomes one red line on stderr and its exit code."""
    try:
        return fn()
    except Safer77Error as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        raise typer.Exit(exc.exit_code) from None


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Context-manager form of :func:`run`."""
    try:
        yield
    except Safer77Error as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
