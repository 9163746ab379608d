"""The "Crisis response" page: the dispatch scenarios stored by ``safer77 plan simulate
--save`` (table ``plan_dispatch_scenarios``), with what each figure means."""

from __future__ import annotations

from functools import partial
from html import escape
from typing import Any

import duckdb

from safer77.publish.charts import pair, ranked_bars
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


def _bars(items: list[tuple[str, float]], title: str, percent: bool, width: int) -> str:
    return ranked_bars(items, title=title, percent=percent, width=width, digits=1, what="scenarios")


def scenario_charts(rows: list[dict[str, Any]]) -> str:
    """Bars per scenario: the share of calls diverted from police, and police priority-1
    response at the 90th percentile (minutes); each with its caption above it."""
    charts = []
    for key, title, caption, percent in (
        (
            "diverted",
            "Calls diverted from police, by scenario",
            "Share of calls diverted from police, by scenario.",
            True,
        ),
        (
            "p1_p90_min",
            "Police priority-1 response, 90th percentile, by scenario (minutes)",
            "Police priority-1 response by scenario: nine emergencies in ten are reached "
            "within this many minutes (90th percentile).",
            False,
        ),
    ):
        items = [(str(r["scenario"]), float(r[key])) for r in rows if r.get(key) is not None]
        if not items:
            continue
        chart = pair(partial(_bars, items, title, percent))
        charts.append(f"<figure><figcaption>{escape(caption)}</figcaption>{chart}</figure>")
    return "".join(charts)


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
        + scenario_charts(rows)
        + "<table class='data'><caption>Dispatch scenarios</caption>"
        + f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + downloads("data/dispatch/scenarios")
    )


# --- the calibration on real dispatch records (plan calibrate --store) ---------------------

CALIBRATION_TABLES = {
    "validation": "plan_calibration",
    "utilisation": "plan_calibration_utilisation",
    "diversion": "plan_diversion",
    "scenarios": "plan_crisis_calibrated",
    "text_voice": "plan_text_voice",
}
SOURCE_NOTE = (
    "The records are 22,147 computer-aided-dispatch rows (police, fire and EMS; one row per "
    "incident and agency, every timestamp from call received to close) of a US emergency "
    "communications center that its analyst publishes weekly (GitHub trdunsworth/DECCreport3, "
    "weeks 35-48 of 2025; the agency is not named, staff names are replaced by codes). "
    "<strong>They are not Chicago's records</strong>: this is a much smaller agency (about 10 "
    "to 20 police units on duty), used because the City does not publish its dispatch times. "
    "The same code reads Chicago OEMC's export through a column mapping when it is available."
)


def store_calibration(con: duckdb.DuckDBPyConnection, result: Any, extra: dict[str, Any]) -> None:
    """Replace the calibration tables the page reads (one transaction)."""
    import pyarrow as pa

    from safer77.warehouse.db import replace_table

    data = {"validation": result.rows, **extra}
    con.execute("BEGIN TRANSACTION")
    try:
        for key, table in CALIBRATION_TABLES.items():
            rows = data.get(key) or []
            if rows:
                replace_table(con, table, pa.Table.from_pylist(rows))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def calibration_chart(rows: list[dict[str, Any]]) -> str:
    """Grouped bars: observed and simulated p50 and p90 time to dispatch per police priority
    on the held-out weeks (minutes, log scale), as inline SVG."""
    import math

    from safer77.publish.charts import ACCENT, BAND, INK, MUTED

    bars = [
        r
        for r in rows
        if r["agency"] == "police" and r["measure"] == "time_to_dispatch" and r["observed"]
    ]
    if not bars:
        return ""
    width, height, left, bottom, top = 640, 280, 56, 48, 24
    top_v = max(max(float(r["observed"]), float(r["simulated"] or 0)) for r in bars)
    hi = 10 ** math.ceil(math.log10(top_v))
    lo = 0.1

    def y(v: float) -> float:
        v = min(max(v, lo), hi)
        span = height - top - bottom
        return top + span * (
            1 - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        )

    body = []
    tick = lo
    while tick <= hi * 1.001:
        body.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#e4e7eb"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="{MUTED}">{tick:g}</text>'
        )
        tick *= 10
    group = (width - left - 8) / len(bars)
    for i, r in enumerate(bars):
        x0 = left + i * group + group * 0.2
        for j, (key, colour) in enumerate((("observed", INK), ("simulated", ACCENT))):
            v = float(r[key] or lo)
            bar_x = x0 + j * group * 0.3
            body.append(
                f'<rect x="{bar_x:.1f}" y="{y(v):.1f}" width="{group * 0.28:.1f}" '
                f'height="{y(lo) - y(v):.1f}" fill="{colour}"><title>priority {r["priority"]} '
                f"p{int(100 * r['quantile'])} {key}: {v:g} min</title></rect>"
            )
        body.append(
            f'<text x="{x0 + group * 0.3:.1f}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle" fill="{INK}">P{r["priority"]} p{int(100 * r["quantile"])}'
            "</text>"
        )
    body.append(
        f'<rect x="{left}" y="{height - 18}" width="10" height="10" fill="{INK}"/>'
        f'<text x="{left + 14}" y="{height - 9}" font-size="11" fill="{INK}">observed</text>'
        f'<rect x="{left + 90}" y="{height - 18}" width="10" height="10" fill="{ACCENT}"/>'
        f'<text x="{left + 104}" y="{height - 9}" font-size="11" fill="{INK}">simulated</text>'
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}" stroke="{BAND}"/>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        'class="chart"><title>Police time to dispatch on held-out weeks: observed and '
        "simulated</title><desc>Median and 90th percentile minutes from the call entering the "
        "queue to the first unit dispatched, per priority, observed against the calibrated "
        "simulation (log scale); the figures are in the table below.</desc>"
        + "".join(body)
        + "</svg>"
    )


def _table(rows: list[dict[str, Any]], caption: str, heads: tuple[tuple[str, str], ...]) -> str:
    def cell(key: str, v: Any) -> str:
        if v is None:
            return "–"
        if key.startswith("share") or key in ("rel_error", "naive_rel_error", "diverted"):
            return f"{100 * float(v):+.1f}%" if "error" in key else f"{100 * float(v):.1f}%"
        return escape(str(v))

    head = "".join(f"<th scope='col'>{label}</th>" for _, label in heads)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(k, r.get(k))}</td>" for k, _ in heads) + "</tr>" for r in rows
    )
    return (
        f"<table class='data'><caption>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def calibration_body(con: duckdb.DuckDBPyConnection) -> str:
    """The calibration section of the Crisis response page ('' before plan calibrate
    --store)."""
    validation = table_dicts(con, CALIBRATION_TABLES["validation"])
    if not validation:
        return ""
    police = [r for r in validation if r["agency"] == "police"]
    diversion = table_dicts(con, CALIBRATION_TABLES["diversion"])
    scenarios = table_dicts(con, CALIBRATION_TABLES["scenarios"])
    text_voice = table_dicts(con, CALIBRATION_TABLES["text_voice"])
    from safer77.dispatch.diversion import ANCHORS

    anchors = "".join(f"<li><strong>{escape(a)}</strong>: {escape(b)}</li>" for a, b in ANCHORS)
    return (
        "<h2>Does the model reproduce a real dispatch floor?</h2>"
        f"<p>{SOURCE_NOTE}</p>"
        "<p>The simulation was calibrated on ten weeks (arrivals per priority and hour of the "
        "week, call types, lognormal on-scene times per call type, travel per priority, the "
        "dispatcher's own handling time, units on duty per shift fitted to the observed time "
        "to dispatch) and then run on the four weeks it had not seen. Time to dispatch runs "
        "from the call entering the queue to the first unit assigned; response adds the "
        "unit's travel to the scene. A naive model (Erlang C: one queue, no priorities, mean "
        "service time) is shown for comparison.</p>"
        + calibration_chart(validation)
        + _table(
            police,
            "Police, held-out weeks: observed, simulated and naive (minutes)",
            (
                ("priority", "Priority"),
                ("measure", "Measure"),
                ("quantile", "Quantile"),
                ("observed", "Observed"),
                ("simulated", "Simulated"),
                ("rel_error", "Error"),
                ("naive", "Erlang C"),
                ("naive_rel_error", "Erlang C error"),
            ),
        )
        + "<h2>What a crisis team could take</h2><p>The real call types of every police call "
        "for service (officer-initiated work aside) through each triage policy, at the hour "
        "the call came in. Busy hours count every police incident from dispatch to close. "
        f"Published anchors:</p><ul>{anchors}</ul>"
        + _table(
            diversion,
            "Police calls a crisis team would take, by policy (weeks 35-48)",
            (
                ("policy", "Policy"),
                ("team_hours", "Team on duty"),
                ("crisis_calls", "Calls"),
                ("share_police_calls", "Of police calls"),
                ("share_police_busy_hours", "Of police busy hours"),
                ("share_all_calls", "Of all agencies' calls"),
                ("share_mental_health_calls", "Of mental-health calls"),
                ("share_if_around_the_clock", "Of police calls, team 24/7"),
                ("top_types", "Most frequent types"),
            ),
        )
        + _table(
            scenarios,
            "Crisis teams on the calibrated police fleet (simulated, 28 days x 3 seeds)",
            (
                ("policy", "Policy"),
                ("crisis_teams", "Teams"),
                ("p1_response_p50_min", "Priority-1 response, median (min)"),
                ("p1_response_p90_min", "Priority-1 response, p90 (min)"),
                ("p2_dispatch_p90_min", "Priority-2 time to dispatch, p90 (min)"),
                ("diverted", "Diverted"),
                ("crisis_util", "Teams busy"),
            ),
        )
        + _table(
            text_voice,
            "Text-to-911 against voice and other police calls (observed, minutes)",
            (
                ("priority", "Priority"),
                ("reception", "Came in by"),
                ("calls", "Calls"),
                ("received_to_queued_p50_min", "Received to queued, median"),
                ("time_to_dispatch_p50_min", "Time to dispatch, median"),
                ("time_to_dispatch_p90_min", "Time to dispatch, p90"),
            ),
        )
    )
