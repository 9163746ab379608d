"""Small HTML pieces the hand-built pages share."""

from __future__ import annotations

import re
from html import escape


def percent(v: float | None, digits: int = 1) -> str:
    """``v`` (a share) as a percentage; an en dash when there is none."""
    return "–" if v is None else f"{v * 100:.{digits}f}%"


def downloads(base: str, note: str = "", what: str = "this table") -> str:
    """The CSV and JSON links under a table (``base`` without its extension)."""
    tail = f" {escape(note)}" if note else ""
    return (
        f"<p class='downloads'>Download {what}: <a href='{base}.csv'>CSV</a> · "
        f"<a href='{base}.json'>JSON</a>{tail}</p>"
    )


def low_n_cell(flag: bool) -> str:
    """The table cell that marks a small cell."""
    return "<td><span class='lown'>low n</span></td>" if flag else "<td></td>"


#: Rows a table shows before the rest fold away (they stay in the page and the downloads).
FOLD_AFTER = 24

_TABLE = re.compile(r"<table class=[\"']data[\"'].*?</table>", re.S)
_CAPTION = re.compile(r"<caption>(.*?)</caption>", re.S)
_HEAD = re.compile(r"<thead>.*?</thead>", re.S)
_BODY = re.compile(r"<tbody>(.*?)</tbody>", re.S)
_ROW = re.compile(r"<tr\b.*?</tr>", re.S)


def _scroll(table: str, label: str) -> str:
    """A table in its own horizontal scroller, so no page is wider than a phone; the region
    is named and focusable, so a keyboard can scroll it."""
    return (
        f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">{table}</div>'
    )


def finish_tables(page: str) -> str:
    """Every data table of ``page`` in a scroller, and the rows of long ones after the first
    :data:`FOLD_AFTER` folded into a "show the other rows" disclosure (a second table with
    the same head)."""

    def one(m: re.Match[str]) -> str:
        table = m.group(0)
        caption = _CAPTION.search(table)
        label = re.sub(r"<[^>]+>", "", caption.group(1)).strip() if caption else "Table"
        label = label.replace('"', "&quot;")
        body = _BODY.search(table)
        rows = _ROW.findall(body.group(1)) if body else []
        if body is None or len(rows) <= FOLD_AFTER:
            return _scroll(table, label)
        head = _HEAD.search(table)
        ident = re.match(r"<table[^>]*\bid=[\"']([^\"']+)", table)
        more_id = f' id="{ident.group(1)}-more"' if ident else ""
        first = table[: body.start(1)] + "".join(rows[:FOLD_AFTER]) + table[body.end(1) :]
        rest = (
            f'<table class="data more"{more_id}><caption>{label} (continued)</caption>'
            f"{head.group(0) if head else ''}<tbody>{''.join(rows[FOLD_AFTER:])}</tbody></table>"
        )
        return (
            _scroll(first, label)
            + f'<details class="more-rows"><summary>Show the other {len(rows) - FOLD_AFTER:,} '
            f"rows</summary>{_scroll(rest, label + ' (continued)')}</details>"
        )

    return _TABLE.sub(one, page)
