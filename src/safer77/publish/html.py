"""Small HTML pieces the hand-built pages share."""

from __future__ import annotations

from html import escape


def percent(v: float | None, digits: int = 1) -> str:
    """``v`` (a share) as a percentage; an en dash when there is none."""
    return "–" if v is None else f"{v * 100:.{digits}f}%"


def downloads(base: str, note: str = "") -> str:
    """The CSV and JSON links under a table (``base`` without its extension)."""
    tail = f" {escape(note)}" if note else ""
    return (
        f"<p class='downloads'>Download this table: <a href='{base}.csv'>CSV</a> · "
        f"<a href='{base}.json'>JSON</a>{tail}</p>"
    )


def low_n_cell(flag: bool) -> str:
    """The table cell that marks a small cell."""
    return "<td><span class='lown'>low n</span></td>" if flag else "<td></td>"
