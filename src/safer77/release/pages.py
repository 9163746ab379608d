"""The Revisions page of a release, the methodology's section on revisions, and the page a
release shows when no month is covered in full (rendered with the site's own templates)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import duckdb

from safer77.metrics.coverage import month_label
from safer77.publish.site import _env
from safer77.release.revisions import METHOD
from safer77.warehouse.synthetic import provenance

#: Rows of the city's revisions shown on the page (every revision is in the CSV).
SHOWN = 200


def render(
    con: duckdb.DuckDBPyConnection, out: Path, path: str, title: str, body: str, month: str
) -> None:
    """Write page ``path`` of the release folder ``out`` in the site's layout."""
    env = _env()
    origin = provenance(con)
    env.globals.update(
        provenance=origin,
        city="Synthetic city" if origin.is_synthetic else "Chicago",
        has_district_plan=False,
    )
    html = env.get_template("text.html").render(
        root="../" * path.count("/"),
        month=month,
        month_label=month_label(month),
        title=title,
        body=body,
    )
    target = out / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")


def revisions_body(
    month: str, previous: str | None, rows: list[dict[str, str]], records: int
) -> str:
    """The Revisions page: what changed since the previous release and why."""
    head = (
        "<h1>Revisions</h1><p class='lede'>Figures change after they are published: the "
        "police add arrests to records, reclassify incidents, and report some late. Each "
        "release keeps the figures it published; this page lists those of the previous "
        "release that this one changes. <a href='methodology.html#revisions'>How revisions "
        "are measured</a>.</p>"
    )
    if previous is None:
        return head + (
            f"<p>This is the first release ({escape(month_label(month))}): it revises nothing.</p>"
        )
    intro = (
        f"<p>Compared with the release of {escape(month_label(previous))}: "
        f"{len(rows):,} figures revised, from {records:,} records received since "
        "(new or changed). <em>Records changed</em> counts the records whose change moved "
        "the figure.</p><p class='downloads'>Download every revision: "
        "<a href='data/revisions.csv'>CSV</a></p>"
    )
    if not rows:
        return head + intro + "<p>No published figure changed.</p>"
    city = [r for r in rows if r["level"] == "city"]
    body = "".join(
        f"<tr><th scope='row'>{escape(r['month'])}</th><td>{escape(r['crime_type'])}</td>"
        f"<td>{escape(r['metric'])}</td><td>{escape(_show(r['old'], r['metric']))}</td>"
        f"<td>{escape(_show(r['new'], r['metric']))}</td>"
        f"<td>{escape(_difference(r))}</td><td>{int(r['records_changed']):,}</td></tr>"
        for r in city[:SHOWN]
    )
    more = (
        f"<p>The first {SHOWN:,} of {len(city):,} citywide revisions are shown.</p>"
        if len(city) > SHOWN
        else ""
    )
    areas = len(rows) - len(city)
    return (
        head + intro + "<table class='data'><caption>Citywide figures revised</caption><thead><tr>"
        "<th scope='col'>Month</th><th scope='col'>Crime type</th><th scope='col'>Figure</th>"
        "<th scope='col'>Published</th><th scope='col'>Now</th><th scope='col'>Difference</th>"
        f"<th scope='col'>Records changed</th></tr></thead><tbody>{body}</tbody></table>{more}"
        f"<p>{areas:,} revisions of community-area and district figures are in the CSV; each "
        "area's page names its revised months.</p>"
    )


def _show(value: str, metric: str) -> str:
    if value == "":
        return "–"
    if metric == "arrest_rate":
        return f"{float(value) * 100:.1f}%"
    return f"{int(value):,}"


def _difference(row: dict[str, str]) -> str:
    if row["old"] == "" or row["new"] == "":
        return "–"
    if row["metric"] == "arrest_rate":
        return f"{(float(row['new']) - float(row['old'])) * 100:+.1f} pp"
    return f"{int(row['new']) - int(row['old']):+,}"


def methodology_section(ages: list[dict[str, Any]]) -> str:
    """The methodology's section on revisions, with the arrest-rate revision by age."""
    text = "<h2 id='revisions'>Revisions</h2>" + "".join(f"<p>{escape(p)}</p>" for p in METHOD)
    if not ages:
        return text + (
            "<p>The warehouse does not yet hold enough history to say how large revisions "
            "typically are.</p>"
        )
    rows = "".join(
        f"<tr><th scope='row'>{a['age_months']}</th><td>{a['months_measured']:,}</td>"
        f"<td>{a['median_revision_pp']:+.2f}</td><td>{a['p90_revision_pp']:+.2f}</td></tr>"
        for a in ages
    )
    return text + (
        "<table class='data'><caption>How much a month's "
        "citywide arrest rate rose after it was first published (percentage points)"
        "</caption><thead><tr><th scope='col'>Months after the month ended</th>"
        "<th scope='col'>Months measured</th><th scope='col'>Median rise</th>"
        f"<th scope='col'>90th percentile</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def uncovered_body(month: str, reason: str) -> str:
    """The index page of a release whose warehouse covers no month in full."""
    return (
        f"<h1>Release {escape(month)}</h1><p class='lede'>No page of figures: "
        f"{escape(reason)}.</p><p>The release keeps every figure the loaded files give in "
        "<a href='data/figures.csv'>data/figures.csv</a>, and what changed since the previous "
        "release on the <a href='revisions.html'>Revisions</a> page.</p>"
    )
