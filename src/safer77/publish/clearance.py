"""The "Clearance" page: true UCR clearance from case records next to the arrest-flag proxy.

Reads only the aggregate tables ``safer77 service export`` wrote into the warehouse
(``service_clearance_*``) and the stored proxy statistics. When no case records have been
exported, the page says so and shows the definitions, so the navigation never breaks.
"""

from __future__ import annotations

from html import escape
from typing import Any

import duckdb

from safer77.metrics.intervals import wilson
from safer77.metrics.registry import DEFINITIONS
from safer77.publish.charts import Point, line_with_band, pair
from safer77.publish.html import downloads, percent
from safer77.schema import LOW_N_THRESHOLD
from safer77.service.clearance import first_complete_year
from safer77.warehouse.db import has_table


def clearance_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per crime type and year: offenses and their clearance to date (arrest, exceptional,
    95% interval), clearances made that year, and the arrest-flag proxy of the same year."""
    if not (
        has_table(con, "service_clearance_cohort") and has_table(con, "service_clearance_cleared")
    ):
        return []
    cohort = con.execute(
        "SELECT crime_type, left(month, 4) AS year, sum(offenses), sum(cleared), "
        "sum(cleared_arrest), sum(cleared_exceptional) FROM service_clearance_cohort "
        "WHERE \"window\" = 'to_date' GROUP BY ALL ORDER BY 1, 2"
    ).fetchall()
    made = {
        (t, y): (int(c), int(a), int(e))
        for t, y, c, a, e in con.execute(
            "SELECT crime_type, left(month, 4), sum(cleared), sum(cleared_arrest), "
            "sum(cleared_exceptional) FROM service_clearance_cleared GROUP BY ALL"
        ).fetchall()
    }
    proxy: dict[tuple[str, str], tuple[int, int]] = {}
    if has_table(con, "stats_arrest_rate_proxy"):
        for t, y, n, k in con.execute(
            "SELECT crime_type, strftime(month, '%Y'), sum(flagged), sum(arrests) "
            "FROM stats_arrest_rate_proxy WHERE level = 'city' GROUP BY ALL"
        ).fetchall():
            proxy[(t, y)] = (int(n or 0), int(k or 0))
    # the first year each crime type's records hold in full (a FOIA file keeps older cases
    # only when they were cleared: those years are flagged, not shown as nearly 100%)
    start = {
        crime: first_complete_year(
            {int(y): (int(n), int(n) - int(c)) for t, y, n, c, _, _ in cohort if t == crime}
        )
        for crime in {str(r[0]) for r in cohort}
    }
    out = []
    for crime, year, n, cleared, arrest, exceptional in cohort:
        n, cleared = int(n), int(cleared)
        first = start[str(crime)]
        complete = first is not None and int(year) >= first
        low, high = wilson(cleared, n) if n and complete else (None, None)
        p_n, p_k = proxy.get((crime, year), (0, 0))
        m = made.get((crime, year), (0, 0, 0))
        out.append(
            {
                "crime_type": crime,
                "year": year,
                "offenses": n,
                "cleared_to_date": cleared,
                "cleared_by_arrest": int(arrest),
                "cleared_exceptionally": int(exceptional),
                "clearance_rate": cleared / n if n and complete else None,
                "coverage": "complete"
                if complete
                else f"incomplete: the records hold this year in part (in full from {first})"
                if first is not None
                else "incomplete: no year is held in full",
                "ci_low": low,
                "ci_high": high,
                "low_n": n < LOW_N_THRESHOLD,
                "cleared_in_year": m[0],
                "cleared_in_year_by_arrest": m[1],
                "cleared_in_year_exceptionally": m[2],
                "arrest_flag_incidents": p_n or None,
                "arrest_flag_rate": p_k / p_n if p_n else None,
                "definition": "ucr_clearance_cohort; ucr_clearance; arrest_rate_proxy",
            }
        )
    return out


def clearance_body(rows: list[dict[str, Any]]) -> str:
    """The page body: one table per crime type, newest year first."""
    lede = (
        "<h1>Clearance: solved by arrest or exceptionally</h1><p class='lede'>"
        + escape(DEFINITIONS["ucr_clearance_cohort"])
        + " Next to it, clearances made in the year (old cases included: "
        + escape(DEFINITIONS["ucr_clearance"])
        + ") and the open data's arrest flag for the same year, which is a proxy, not a "
        "clearance rate.</p>"
    )
    if not rows:
        return lede + (
            "<p>No case records have been exported to this warehouse yet "
            "(<code>safer77 service export</code>), so only the arrest-flag proxy is published "
            "on the other pages.</p>"
        )
    parts = [lede]
    for crime in sorted({r["crime_type"] for r in rows}):
        body = "".join(
            f"<tr{' class=low-n' if r['low_n'] else ''}><th scope='row'>{r['year']}</th>"
            f"<td>{r['offenses']:,}</td><td>{r['cleared_to_date']:,}</td>"
            f"<td>{r['cleared_by_arrest']:,}</td><td>{r['cleared_exceptionally']:,}</td>"
            + (
                f"<td>{percent(r['clearance_rate'])}</td>"
                f"<td>{percent(r['ci_low'])}–{percent(r['ci_high'])}</td>"
                if r["coverage"] == "complete"
                else f"<td colspan='2' class='not-comparable'>{escape(r['coverage'])}</td>"
            )
            + f"<td>{r['cleared_in_year']:,}</td><td>{percent(r['arrest_flag_rate'])}</td></tr>"
            for r in sorted(
                (r for r in rows if r["crime_type"] == crime), key=lambda r: r["year"], reverse=True
            )
        )
        parts.append(clearance_chart(crime, [r for r in rows if r["crime_type"] == crime]))
        parts.append(
            f"<table class='data'><caption>{escape(crime.title())}: clearance by year of "
            "offense</caption><thead><tr><th scope='col'>Year</th><th scope='col'>Offenses</th>"
            "<th scope='col'>Cleared to date</th><th scope='col'>by arrest</th>"
            "<th scope='col'>exceptionally</th><th scope='col'>Clearance rate</th>"
            "<th scope='col'>95% interval</th><th scope='col'>Cleared in the year</th>"
            "<th scope='col'>Arrest-flag proxy</th></tr></thead>"
            f"<tbody>{body}</tbody></table>"
            + downloads("data/clearance/by_year", "(every crime type)")
        )
    parts.append(
        f"<p>Years with fewer than {LOW_N_THRESHOLD} offenses are marked as small cells. A year "
        "the records hold only in part (a records release that keeps older cases only when "
        "they were cleared) shows its counts but no rate: it would read as nearly 100%.</p>"
    )
    return "".join(parts)


def clearance_chart(crime: str, rows: list[dict[str, Any]]) -> str:
    """One crime type's clearance rate by year of offense with its 95% interval, and the
    arrest-flag proxy of the same years as a dashed line; years held in part are gaps.
    Its caption stands above it. '' when no year has a rate."""
    years = sorted(rows, key=lambda r: r["year"])
    if not any(r["clearance_rate"] is not None for r in years):
        return ""
    points = [
        Point(str(r["year"]), r["clearance_rate"], r["ci_low"], r["ci_high"], bool(r["low_n"]))
        for r in years
    ]
    proxy = [r["arrest_flag_rate"] for r in years]
    title = f"{crime.title()}: clearance rate by year of offense"
    chart = pair(
        lambda width: line_with_band(
            points,
            title=title,
            percent=True,
            width=width,
            reference=proxy if any(v is not None for v in proxy) else None,
            reference_label="arrest-flag proxy",
            series_label="clearance",
            period="year",
        )
    )
    return (
        f"<figure><figcaption>{escape(title)}; the band is the 95% interval, the dashed line "
        "the open data's arrest flag for the same years (a proxy); years the records hold "
        f"only in part are left out.</figcaption>{chart}</figure>"
    )
