"""The "Resource requests" page: public aggregates of the Coordination Center's request workflow.

Reads only ``service_requests_summary``, the table ``safer77 service export`` writes into the
warehouse (counts per department and community area: no descriptions, organisations or
people). When the service has not exported, the page says so, so the navigation never breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

import duckdb

from safer77.metrics.intervals import wilson
from safer77.publish.html import downloads, low_n_cell, percent
from safer77.schema import LOW_N_THRESHOLD
from safer77.warehouse.db import has_table, table_dicts

TABLE = "service_requests_summary"
BASE = "data/requests/"


@dataclass(frozen=True)
class RequestTables:
    """The page's three tables (also its downloads) and when the service exported them."""

    exported_on: str | None  # None: the service has not exported
    by_department: list[dict[str, Any]] = field(default_factory=list)
    by_area: list[dict[str, Any]] = field(default_factory=list)
    by_department_area: list[dict[str, Any]] = field(default_factory=list)
    block_clubs: list[dict[str, Any]] = field(default_factory=list)  # active clubs per area
    town_halls: list[dict[str, Any]] = field(default_factory=list)  # meetings per district


def request_tables(con: duckdb.DuckDBPyConnection, names: dict[int, str]) -> RequestTables:
    """Per department, per community area, and per both; ``names`` names the areas."""
    if not has_table(con, TABLE):
        return RequestTables(None)
    ((finished,),) = con.execute(
        "SELECT max(finished_at) FROM load_log WHERE kind = 'service'"
    ).fetchall()
    clubs = [
        {"community_area": r["community_area"], "name": names.get(r["community_area"], "")}
        | {"block_clubs": r["clubs"]}
        for r in table_dicts(con, "service_block_clubs", "community_area")
    ]
    # columns in the export's order (service.export.SCHEMAS)
    halls = table_dicts(con, "service_town_halls", "district")
    return RequestTables(
        str(finished)[:10] if finished else "",
        [{"department": d, **_figures(f)} for d, *f in _grouped(con, "department")],
        [
            {"community_area": a, "name": names.get(a, ""), **_figures(f)}
            for a, *f in _grouped(con, "community_area")
        ],
        [
            {"department": d, "community_area": a, "name": names.get(a, ""), **_figures(f)}
            for d, a, *f in _grouped(con, "department, community_area")
        ],
        clubs,
        halls,
    )


def _grouped(con: duckdb.DuckDBPyConnection, keys: str) -> list[tuple[Any, ...]]:
    # the export has one row per department and area, so only that grain has a median: medians
    # of parts do not give the median of the whole
    median = ", any_value(median_days_to_close)" if "," in keys else ""
    return con.execute(
        f"SELECT {keys}, sum(filed), sum(open), sum(open_overdue), sum(closed), "
        f"sum(closed_on_time){median} FROM {TABLE} GROUP BY {keys} ORDER BY {keys}"
    ).fetchall()


def _figures(values: list[Any]) -> dict[str, Any]:
    filed, open_, overdue, closed, on_time, *median = values
    closed, on_time = int(closed), int(on_time)
    low, high = wilson(on_time, closed) if closed else (None, None)
    out = {
        "filed": int(filed),
        "open": int(open_),
        "open_overdue": int(overdue),
        "closed": closed,
        "closed_on_time": on_time,
        "on_time_share": on_time / closed if closed else None,
        "ci_low": low,
        "ci_high": high,
    }
    if median:
        out["median_days_to_close"] = None if median[0] is None else float(median[0])
    out["low_n"] = closed < LOW_N_THRESHOLD
    return out


def _days(v: float | None) -> str:
    return "–" if v is None else f"{v:g}"


def requests_body(tables: RequestTables, links: dict[int, str]) -> str:
    """The page; ``links`` gives each community area's page (relative to the site root)."""
    lede = (
        "<h1>Resource requests</h1><p class='lede'>Needs that block clubs and community "
        "organisations file with the Community Safety Coordination Center (a street light out, "
        "a vacant lot, an abandoned building, food, internet, housing, health care) are routed "
        "to a city department with a due date set by the kind of need. These tables count "
        "them, per department and per community area; they carry no descriptions, "
        "organisations or people.</p>"
    )
    if tables.exported_on is None:
        return lede + (
            "<p>The Coordination Center's service has not exported its request figures to this "
            "warehouse yet (<code>safer77 service export</code>), so there is nothing to show."
            "</p>"
        )
    parts = [
        lede,
        (
            f"<p>Counts as exported by the service on {escape(tables.exported_on)}.</p>"
            if tables.exported_on
            else ""
        )
        + "<dl class='defs'><dt>Filed</dt><dd>Requests filed up to the export.</dd>"
        "<dt>Open</dt><dd>Filed and neither resolved nor declined.</dd>"
        "<dt>Overdue</dt><dd>Open past the due date (due = filed + the days allowed for the "
        "need).</dd><dt>Closed</dt><dd>Resolved or declined.</dd>"
        "<dt>On time</dt><dd>The share of closed requests closed on or before their due date, "
        "with its 95% Wilson score interval.</dd><dt>Median days to close</dt><dd>The median "
        "of closing date minus filing date over the closed requests of one department in one "
        "area. Medians do not add up, and the export holds them only per department and area, "
        "so the totals give none.</dd>"
        f"<dt>low n</dt><dd>Fewer than {LOW_N_THRESHOLD} closed requests: the on-time share "
        "and the median rest on few requests, so read them with care.</dd></dl>",
    ]
    civic = _civic(tables, links)
    if not tables.by_department_area:
        return "".join([*parts, "<p>No requests have been filed yet.</p>", civic])

    def area(r: dict[str, Any]) -> str:
        label = escape(f"{r['name']} ({r['community_area']})" if r["name"] else "")
        label = label or f"Community area {r['community_area']}"
        href = links.get(int(r["community_area"]))
        return f"<a href='{href}'>{label}</a>" if href else label

    def dept(r: dict[str, Any]) -> str:
        return escape(str(r["department"]))

    parts += [
        _table("Requests by department", "by_department", tables.by_department, [dept]),
        _table("Requests by community area", "by_area", tables.by_area, [area]),
        _table(
            "Requests by department and community area",
            "by_department_area",
            tables.by_department_area,
            [dept, area],
        ),
        civic,
    ]
    return "".join(parts)


def _civic(tables: RequestTables, links: dict[int, str]) -> str:
    """Block clubs per area and town halls per district: counts only, no names or contacts."""
    out = []
    if tables.block_clubs:
        body = "".join(
            "<tr><th scope='row'>"
            + (
                f"<a href='{links[int(r['community_area'])]}'>{escape(str(r['name']))} "
                f"({r['community_area']})</a>"
                if int(r["community_area"]) in links
                else f"Community area {r['community_area']}"
            )
            + f"</th><td>{r['block_clubs']}</td></tr>"
            for r in tables.block_clubs
        )
        out.append(
            "<h2>Block clubs</h2><p>Block clubs registered with the Coordination Center, per "
            "community area (active clubs only; no names or contacts are published).</p>"
            "<table class='data'><caption>Registered block clubs by community area</caption>"
            "<thead><tr><th scope='col'>Community area</th><th scope='col'>Block clubs</th>"
            f"</tr></thead><tbody>{body}</tbody></table>" + downloads(BASE + "block_clubs")
        )
    if tables.town_halls:
        cols = [c for c in tables.town_halls[0] if c != "district"]
        body = "".join(
            f"<tr><th scope='row'>District {r['district']}</th>"
            + "".join(f"<td>{r[c]}</td>" for c in cols)
            + "</tr>"
            for r in tables.town_halls
        )
        out.append(
            "<h2>Town halls</h2><p>Town-hall meetings per police district, and their "
            "follow-up items, each tracked as a resource request (open: neither resolved nor "
            "declined).</p><table class='data'><caption>Town halls and follow-ups by district"
            "</caption><thead><tr><th scope='col'>District</th><th scope='col'>Held</th>"
            "<th scope='col'>Scheduled</th><th scope='col'>Cancelled</th>"
            "<th scope='col'>Follow-ups open</th><th scope='col'>Follow-ups closed</th></tr>"
            f"</thead><tbody>{body}</tbody></table>" + downloads(BASE + "town_halls")
        )
    return "".join(out)


HEADS = {"by_department": ["Department"], "by_area": ["Community area"]}


def _table(
    caption: str, name: str, rows: list[dict[str, Any]], keys: list[Callable[[dict[str, Any]], str]]
) -> str:
    median = "median_days_to_close" in (rows[0] if rows else {})
    heads = HEADS.get(name, ["Department", "Community area"])
    head = "".join(f"<th scope='col'>{h}</th>" for h in heads) + "".join(
        f"<th scope='col'>{h}</th>"
        for h in ("Filed", "Open", "Overdue", "Closed", "On time", "95% interval")
        + (("Median days to close",) if median else ())
        + ("Low n",)
    )
    body = "".join(
        f"<tr><th scope='row'>{keys[0](r)}</th>"
        + "".join(f"<td>{k(r)}</td>" for k in keys[1:])
        + f"<td>{r['filed']:,}</td><td>{r['open']:,}</td><td>{r['open_overdue']:,}</td>"
        f"<td>{r['closed']:,}</td><td>{percent(r['on_time_share'])}</td>"
        f"<td>{percent(r['ci_low'])}–{percent(r['ci_high'])}</td>"
        + (f"<td>{_days(r['median_days_to_close'])}</td>" if median else "")
        + low_n_cell(r["low_n"])
        + "</tr>"
        for r in rows
    )
    return (
        f"<table class='data'><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>" + downloads(BASE + name)
    )
