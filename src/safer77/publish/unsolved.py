"""The "Unsolved homicides" page: per community area, homicides cleared by arrest, cleared
exceptionally and unsolved, from the counts ``safer77 solve publish`` stores (table
``solve_area_counts``). Counts only: no case numbers, no victims."""

from __future__ import annotations

from html import escape
from typing import Any

import duckdb

from safer77.publish.html import downloads, percent
from safer77.solve.publish import DEFINITION, TABLE
from safer77.warehouse.db import table_dicts

COLUMNS = (
    "community_area",
    "name",
    "years",
    "homicides",
    "cleared_arrest",
    "cleared_exceptional",
    "unsolved",
    "clearance",
    "ci_low",
    "ci_high",
    "expected",
    "below_comparable",
    "low_n",
    "definition",
)


def unsolved_rows(con: duckdb.DuckDBPyConnection, names: dict[int, str]) -> list[dict[str, Any]]:
    rows = table_dicts(con, TABLE, "unsolved DESC, community_area")
    return [
        {c: (names.get(int(r["community_area"]), "") if c == "name" else r.get(c)) for c in COLUMNS}
        for r in rows
    ]


def unsolved_body(rows: list[dict[str, Any]], links: dict[int, str]) -> str:
    lede = (
        "<h1>Unsolved homicides</h1><p class='lede'>Every homicide counts until it is solved. "
        "Per community area: homicides, how many were cleared by an arrest or exceptionally "
        "(the offender died, prosecution was declined), and how many remain unsolved.</p>"
    )
    if not rows:
        return lede + (
            "<p>No counts have been stored yet (<code>safer77 solve publish --clearance "
            "FILE</code>).</p>"
        )
    body = []
    for r in rows:
        area = int(r["community_area"])
        label = escape(f"{r['name']} ({area})" if r["name"] else f"Community area {area}")
        cell = f"<a href='{links[area]}'>{label}</a>" if area in links else label
        flag = "below comparable cases" if r["below_comparable"] else ""
        small = " (small number)" if r["low_n"] else ""
        body.append(
            f"<tr><th scope='row'>{cell}</th><td>{r['homicides']}</td>"
            f"<td>{r['cleared_arrest']}</td><td>{r['cleared_exceptional']}</td>"
            f"<td>{r['unsolved']}</td><td>{percent(r['clearance'])}{small}</td>"
            f"<td>{percent(r['ci_low'])}–{percent(r['ci_high'])}</td>"
            f"<td>{percent(r['expected']) if r['expected'] is not None else '–'}</td>"
            f"<td>{flag}</td></tr>"
        )
    return (
        lede + f"<p>Injury years {escape(str(rows[0]['years']))}. {escape(DEFINITION)}; this is "
        "not the arrest-flag proxy used elsewhere on this site.</p>"
        "<dl class='defs'><dt>Clearance</dt><dd>Cleared by arrest or exceptionally, as a "
        "share of homicides, with its 95% Wilson interval.</dd><dt>Comparable cases</dt><dd>"
        "The clearance that homicides of the same injury years achieve city-wide (older cases "
        "have had longer to be solved).</dd><dt>Below comparable cases</dt><dd>The area's "
        "clearance is significantly lower than that (exact test, Benjamini-Hochberg over the "
        "areas at a 5% false discovery rate).</dd></dl>"
        "<table class='data'><caption>Homicides by community area, most unsolved first"
        "</caption><thead><tr><th scope='col'>Community area</th><th scope='col'>Homicides"
        "</th><th scope='col'>Cleared by arrest</th><th scope='col'>Cleared exceptionally"
        "</th><th scope='col'>Unsolved</th><th scope='col'>Clearance</th><th scope='col'>"
        "95% interval</th><th scope='col'>Comparable cases</th><th scope='col'>Flag</th>"
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>" + downloads("data/homicides/by_area")
    )
