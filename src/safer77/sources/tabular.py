"""Reading small CSV releases (plain or gzipped) row by row, with physical line numbers."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from safer77.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Reject:
    """A row that was not loaded: where it is and why."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason} (field {self.field!r})"


class BadField(Exception):
    """Raised while parsing a row: the field that makes it a :class:`Reject`, and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def optional_float(text: str, field: str, label: str) -> float | None:
    """A number, or None for an empty cell or NaN; :class:`BadField` for anything else."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadField(field, f"{label} is not a number: {text!r}") from None
    return value if value == value else None


def _open(path: Path) -> IO[str]:
    raw = path.open("rb")
    head = raw.read(2)
    raw.seek(0)
    stream = cast(IO[bytes], gzip.GzipFile(fileobj=raw)) if head == b"\x1f\x8b" else raw
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def read_header(path: Path) -> list[str]:
    """The header of a CSV file (empty for an empty file)."""
    path = Path(path)
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    with _open(path) as fh:
        try:
            return next(csv.reader(fh), [])
        except (UnicodeDecodeError, OSError, EOFError, csv.Error) as exc:
            raise InvalidInput(f"not a readable CSV file ({exc})", file=str(path), line=1) from None


def read_rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` for each data row; the header must hold every ``required`` column.

    ``line`` is the physical line the row starts on (header = line 1), so a quoted field
    with a newline does not shift later line numbers.
    """
    path = Path(path)
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    with _open(path) as fh:
        try:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
        except (UnicodeDecodeError, OSError, csv.Error) as exc:
            raise InvalidInput(f"not a readable CSV file ({exc})", file=str(path), line=1) from None
        missing = [c for c in required if c not in header]
        if missing:
            raise InvalidInput(
                f"missing column(s) {', '.join(missing)}; is this the right file?",
                file=str(path),
                line=1,
                field=missing[0],
            )
        line = 2
        try:
            for row in reader:
                yield line, row
                line = reader.line_num + 1
        except (UnicodeDecodeError, OSError, EOFError, csv.Error) as exc:
            raise InvalidInput(
                f"unreadable from here on ({exc})", file=str(path), line=line
            ) from None
