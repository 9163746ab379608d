"""The "Priority areas" page: the city's rule (average yearly homicide victims over the three
full years before the site's month, top 15, phases of 5) from the warehouse's incidents."""

from __future__ import annotations

from html import escape
from typing import Any

import duckdb

from safer77.coordinate.ranking import PriorityOptions, priority_table
from safer77.errors import NotFound

TOP = 15
CAPACITY = 5


def priority_rows(con: duckdb.DuckDBPyConnection, month: str) -> tuple[list[dict[str, Any]], str]:
    """The ranked areas (empty without homicides in the window) and the window's label."""
    end = int(month[:4]) - 1
    start = end - 2
    try:
        result = priority_table(
            con, PriorityOptions(start=start, end=end, top=TOP, capacity=CAPACITY)
        )
    except NotFound:
        return [], f"{start}-{end}"
    return [r for r in result.rows if r["city_rule_top"]], f"{start}-{end}"


def priority_body(rows: list[dict[str, Any]], window: str) -> str:
    lede = (
        "<h1>Priority areas</h1><p class='lede'>The city's rule for its priority community "
        f"areas, reproduced: the {TOP} areas with the highest average yearly number of homicide "
        f"victims over {escape(window)} (one victim per portal row; the city's own list also "
        "counts non-fatal shootings, which the open incident data cannot separate), in phases "
        f"of {CAPACITY} areas.</p>"
    )
    if not rows:
        return lede + f"<p>No homicides are recorded for {escape(window)} in this warehouse.</p>"
    body = "".join(
        f"<tr><td>{r['city_rule_rank']}</td><th scope='row'>{escape(str(r['name']))} "
        f"({r['community_area']})</th><td>{r['victims_per_year']:.1f}</td>"
        f"<td>{r['phase']}</td></tr>"
        for r in rows
    )
    return (
        lede + "<table class='data'><caption>Priority areas by the city's rule</caption><thead><tr>"
        "<th scope='col'>Rank</th><th scope='col'>Community area</th>"
        "<th scope='col'>Homicide victims per year</th><th scope='col'>Phase</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
        "<p class='downloads'>Download this table: <a href='data/priority/city_rule.csv'>CSV</a>"
        " · <a href='data/priority/city_rule.json'>JSON</a></p>"
    )
