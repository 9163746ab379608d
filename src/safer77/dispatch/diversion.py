"""Real call types through the triage policies: what share of police calls, and of police
busy hours, each policy's crisis team could take; the crisis-team scenarios on the calibrated
police fleet; text calls against voice calls.

A record's flags come from its call type's words (the records carry no weapon field): a
weapon (WEAPON, GUN, KNIFE, ARMED, SHOOT, STAB), violence (ASSAULT, FIGHT, BATTERY, DOMESTIC
VIOL) or an injury (INJ or TRAUMA, but not NO INJ). Police then keep the call whatever the rule.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import numpy as np

from safer77.dispatch.calibrate import PRIORITIES, run
from safer77.dispatch.policy import Policy, load_policy, triage
from safer77.dispatch.scenarios import CRISIS_TRAVEL
from safer77.dispatch.sim import RESPONDER_CODES, Fleet

POLICIES = ("default", "cahoots", "star")
MENTAL_HEALTH = ("MENTAL", "SUICIDE")  # the "mental-health-tagged" calls (CARE's anchor)
#: published anchors, for the page and the report (share, what it is a share of, source)
ANCHORS = (
    ("CAHOOTS (Eugene)", "3-8% of 911 calls; up to 17% of police volume by its own count"),
    ("Chicago CARE", "11% of mental-health-tagged calls in its pilot districts"),
    ("Denver STAR", "calls for service a clinician and a paramedic answered instead of police"),
)
_WEAPON = re.compile(r"WEAPON|GUN|KNIFE|ARMED|SHOOT|STAB")
_VIOLENCE = re.compile(r"ASSAULT|FIGHT|BATTERY|DOMESTIC VIOL")
_INJURY = re.compile(r"(?<!NO )INJ|TRAUMA")


def flags_of(call_type: str) -> tuple[str, ...]:
    """The police flags a call type's words imply."""
    text = call_type.upper()
    out = []
    if _WEAPON.search(text):
        out.append("weapon")
    if _VIOLENCE.search(text):
        out.append("violence")
    if _INJURY.search(text):
        out.append("injury")
    return tuple(out)


def _records(con: duckdb.DuckDBPyConnection, weeks: list[int] | None) -> list[tuple[Any, ...]]:
    where = "" if weeks is None else "AND list_contains(?, week)"
    return con.execute(
        "SELECT agency, call_type, self_initiated, (isodow(received_at) - 1) * 24 + "
        "hour(received_at), epoch(closed_at - dispatched_at) / 3600 FROM calls "
        f"WHERE priority BETWEEN 1 AND 3 {where}",
        [] if weeks is None else [weeks],
    ).fetchall()


def diversion_table(
    con: duckdb.DuckDBPyConnection,
    policies: tuple[str, ...] = POLICIES,
    weeks: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Per policy: the police calls for service (officer-initiated work aside) its crisis team
    would take at the hour they came in, as shares of police calls, of police busy hours (all
    police work, officer-initiated included, dispatched -> closed), of every agency's calls
    for service, and of the mental-health-tagged police calls; and the share it would take if
    the team worked around the clock."""
    rows = _records(con, weeks)
    all_calls = sum(1 for r in rows if not r[2])
    police = [r for r in rows if r[0] == "police"]
    busy_total = sum(r[4] or 0.0 for r in police)
    service = [r for r in police if not r[2]]
    mh = [r for r in service if any(w in r[1] for w in MENTAL_HEALTH)]
    out = []
    for name in policies:
        pol = load_policy(name)
        decided = {}
        for r in service:
            key = (r[1], int(r[3]))
            if key not in decided:
                decided[key] = triage(pol, r[1], flags_of(r[1]), int(r[3])).responder
        crisis = [r for r in service if decided[(r[1], int(r[3]))] == "crisis"]
        co = sum(1 for r in service if decided[(r[1], int(r[3]))] == "co_response")
        always = [r for r in service if triage(pol, r[1], flags_of(r[1])).responder == "crisis"]
        mh_taken = sum(1 for r in mh if any(r is c for c in crisis))
        out.append(
            {
                "policy": name,
                "team_hours": _hours(pol),
                "police_calls": len(service),
                "crisis_calls": len(crisis),
                "co_response_calls": co,
                "share_police_calls": round(len(crisis) / max(len(service), 1), 4),
                "share_police_busy_hours": round(
                    sum(r[4] or 0.0 for r in crisis) / max(busy_total, 1e-9), 4
                ),
                "share_all_calls": round(len(crisis) / max(all_calls, 1), 4),
                "share_mental_health_calls": round(mh_taken / max(len(mh), 1), 4),
                "share_if_around_the_clock": round(len(always) / max(len(service), 1), 4),
                "top_types": ", ".join(_top(crisis)),
            }
        )
    return out


def _hours(pol: Policy) -> str:
    days = "every day" if len(pol.crisis_days) == 7 else f"{len(pol.crisis_days)} days a week"
    start, end = pol.crisis_hours
    return f"{start:02d}-{end:02d}, {days}" if (start, end) != (0, 24) else f"24 h, {days}"


def _top(rows: list[tuple[Any, ...]], n: int = 4) -> list[str]:
    from collections import Counter

    return [f"{name} ({k})" for name, k in Counter(str(r[1]) for r in rows).most_common(n)]


def crisis_scenarios(
    profile: dict[str, Any],
    policies: tuple[str, ...] = POLICIES,
    teams: tuple[int, ...] = (1, 2, 4),
    days: int = 28,
    seeds: tuple[int, ...] = (1, 2, 3),
) -> list[dict[str, Any]]:
    """The calibrated police fleet alone and with each policy's crisis teams (city-wide, the
    policy's hours): police priority-1 p50/p90 response (handling + wait + travel), the share
    of calls the teams took and how busy they were, on the same simulated calls per seed."""
    out = []
    for name in policies:
        pol = load_policy(name)
        for n in (0, *teams):
            extra = (
                {}
                if n == 0
                else {
                    "crisis": Fleet(
                        (n,), CRISIS_TRAVEL, hours=pol.crisis_hours, days=pol.crisis_days
                    )
                }
            )
            resp, p2, diverted, util = [], [], [], []
            for seed in seeds:
                r = run(profile, days, seed, pol, extra, name)
                ok = r.measured() & (r.drawn.given.priority == 1)
                # only calls the police served count as police responses
                police = _served_by_police(r)
                resp.append(r.response()[ok & police])
                m2 = r.measured() & (r.drawn.given.priority == 2) & police
                p2.append(r.time_to_dispatch()[m2])
                diverted.append(r.result.diverted)
                st = r.result.fleets.get("crisis")
                util.append(st.summary()["utilisation"] if st else None)
            x = np.concatenate(resp)
            out.append(
                {
                    "policy": name,
                    "crisis_teams": n,
                    "p1_response_p50_min": round(float(np.quantile(x, 0.5)), 2),
                    "p1_response_p90_min": round(float(np.quantile(x, 0.9)), 2),
                    "p2_dispatch_p90_min": round(float(np.quantile(np.concatenate(p2), 0.9)), 2),
                    "diverted": round(float(np.mean(diverted)), 4),
                    "crisis_util": round(float(np.mean([u for u in util if u is not None])), 3)
                    if n
                    else None,
                }
            )
    return out


def _served_by_police(r: Any) -> Any:
    from safer77.dispatch.sim import responders

    staffed = set(r.result.fleets)
    codes = responders(r.drawn.policy, r.drawn.calls, staffed)
    return codes == RESPONDER_CODES.index("police")


def text_vs_voice(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Police calls for service that came in as text against the others: how many, and
    minutes from received to queued, and queued to dispatched, p50/p90, per priority."""
    out = []
    for p in (None, *PRIORITIES):
        cond = "" if p is None else f"AND priority = {int(p)}"
        rows = con.execute(
            "SELECT text, count(*), quantile_cont(queue_s, 0.5) / 60, "
            "quantile_cont(dispatch_s, 0.5) / 60, quantile_cont(dispatch_s, 0.9) / 60, "
            "quantile_cont(queue_s + dispatch_s, 0.5) / 60 FROM calls WHERE agency = 'police' "
            f"AND NOT self_initiated AND priority BETWEEN 1 AND 3 {cond} GROUP BY text "
            "ORDER BY text DESC"
        ).fetchall()
        for text, n, q50, d50, d90, rd50 in rows:
            out.append(
                {
                    "priority": "all" if p is None else str(p),
                    "reception": "text" if text else "voice and other",
                    "calls": n,
                    "received_to_queued_p50_min": round(q50, 2),
                    "time_to_dispatch_p50_min": round(d50, 2),
                    "time_to_dispatch_p90_min": round(d90, 2),
                    "received_to_dispatched_p50_min": round(rd50, 2),
                }
            )
    return out
