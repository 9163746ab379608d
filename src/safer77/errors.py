"""The library's exceptions: small, named, and each carrying a message that says what to do."""

from __future__ import annotations


class Safer77Error(Exception):
    """Base class; the CLI prints the message on one line and exits non-zero."""

    exit_code = 1


class InvalidInput(Safer77Error):
    """An input file (or a value in it) is not what was expected.

    ``file``, ``line`` (1-based, header = line 1) and ``field`` locate the problem when known.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = f"{where}: " if where else ""
        suffix = f" (field {field!r})" if field else ""
        super().__init__(f"{prefix}{message}{suffix}")


class NotFound(Safer77Error):
    """A requested thing (file, area, metric, table) does not exist."""

    exit_code = 2


class Conflict(Safer77Error):
    """The request contradicts the current state."""

    exit_code = 3


class FetchError(Safer77Error):
    """A download from the open-data portal failed after its retries."""

    exit_code = 4
