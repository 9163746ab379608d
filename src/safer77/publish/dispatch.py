"""The "Crisis response" page: the dispatch scenarios stored by ``safer77 plan simulate
--save`` (table ``plan_dispatch_scenarios``), with what each figure means."""

from __future__ import annotations

from html import escape
from typing import Any

import duckdb

from safer77.publish.html import downloads
from safer77.warehouse.db import table_dicts

TABLE = "plan_dispatch_scenarios"
HEADS = (
    ("scenario", "Scenario"),
    ("calls", "Calls"),
    ("diverted", "Diverted from police"),
    ("p1_p50_min", "Police priority-1 response, median (min)"),
    ("p1_p90_min", "Police priority-1 response, 90th percentile (min)"),
    ("police_util", "Police busy"),
    ("crisis_calls", "Crisis-team calls"),
    ("crisis_wait_mean", "Crisis-team mean wait (min)"),
    ("crisis_util", "Crisis teams busy"),
    ("co_response_calls", "Co-response calls"),
    ("backups", "Police backups"),
    ("overloaded", "Overloaded"),
)


def dispatch_rows(con: duckdb.DuckDBPyConnection) -> tuple[list[dict[str, Any]], str]:
    """The stored scenario rows and a line saying how they were simulated ('' if none)."""
    rows = table_dicts(con, TABLE)
    if not rows:
        return [], ""
    first = rows[0]
    how = (
        f"{first['days']} simulated days per scenario, seed {first['seed']}, "
        f"policy: {first['policy']}"
    )
    keep = [k for k, _ in HEADS]
    return [{k: r.get(k) for k in keep} for r in rows], how


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key in ("diverted", "police_util", "crisis_util"):
        return f"{100 * float(value):.1f}%"
    if key == "overloaded":
        return "yes" if value else "no"
    return escape(str(value))


def dispatch_body(rows: list[dict[str, Any]], how: str) -> str:
    lede = (
        "<h1>Crisis response</h1><p class='lede'>What would happen if civilian crisis teams "
        "or co-responders (an officer and a clinician) took the non-violent crisis calls that "
        "police answer today? A simulation of police and crisis teams together, on the same "
        "calls in every scenario, answers before anyone is hired: how many calls they would "
        "take and how police response to emergencies would change.</p>"
    )
    if not rows:
        return lede + (
            "<p>No simulation has been stored yet (<code>safer77 plan simulate --save</code>).</p>"
        )
    head = "".join(f"<th scope='col'>{label}</th>" for _, label in HEADS)
    body = "".join(
        "<tr>"
        + "".join(
            f"<th scope='row'>{_cell(k, r[k])}</th>"
            if k == "scenario"
            else f"<td>{_cell(k, r[k])}</td>"
            for k, _ in HEADS
        )
        + "</tr>"
        for r in rows
    )
    return (
        lede
        + f"<p>{escape(how)}.</p>"
        + "<dl class='defs'><dt>Diverted from police</dt><dd>The share of calls (ambulance "
        "calls aside) served by crisis teams or co-responders.</dd><dt>Police priority-1 "
        "response</dt><dd>Minutes from the call to a police unit's arrival for emergencies: "
        "the wait for a free unit plus the travel.</dd><dt>Busy</dt><dd>The share of on-duty "
        "minutes a fleet's units spend on calls.</dd><dt>Police backups</dt><dd>Crisis-team "
        "calls on which the team asked for police.</dd><dt>Overloaded</dt><dd>More than 1% of "
        "the calls were still waiting when the simulation ended: the fleet is too small for "
        "that demand.</dd></dl><p>These are model results, not measurements: demand is shaped "
        "like recorded incidents by district and hour, service and travel times are assumed "
        "averages, and the triage policy decides which calls a crisis team may take.</p>"
        + "<table class='data'><caption>Dispatch scenarios</caption>"
        + f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + downloads("data/dispatch/scenarios")
    )
