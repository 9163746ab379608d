"""The "Accountability" page: use-of-force reports and their public release clock.

Reads only what ``safer77 service export`` writes into the warehouse: the monthly count of
use-of-force reports per district (``service_use_of_force_monthly``), the release ledger per
incident month under each published deadline (``service_release_ledger``) and the records
overdue now by how long (``service_release_overdue``). No record, case number or person
reaches the page. The deadline in force (30 days, or COPA's 60) is a setting; the page says
which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape
from typing import Any

import duckdb

from safer77.metrics.coverage import month_label, shift_months
from safer77.metrics.intervals import wilson
from safer77.publish.charts import Point, line_with_band, pair
from safer77.publish.html import downloads, percent
from safer77.schema import LOW_N_THRESHOLD
from safer77.warehouse.db import has_table, table_dicts

BASE = "data/accountability/"
KIND = "use_of_force"
KINDS = {"use_of_force": "Use-of-force reports", "body_camera": "Body-camera footage"}
DEADLINE_TEXT = {
    30: "30 days after the incident: the platform's promise",
    60: "60 days after the incident: COPA's policy for video",
}


@dataclass(frozen=True)
class Accountability:
    """The page's figures (also its downloads), for the deadline in force."""

    deadline: int
    exported_on: str | None  # None: the service has not exported these tables
    as_of: str | None = None  # the day the export's "now" stands on
    force: list[dict[str, Any]] = field(default_factory=list)  # month, district, reports
    ledger: list[dict[str, Any]] = field(default_factory=list)  # use of force, per month
    overdue: list[dict[str, Any]] = field(default_factory=list)  # per kind and band

    def months(self) -> list[str]:
        """Every month from the first report to the export's last full month."""
        seen = sorted({r["month"] for r in self.force} | {r["month"] for r in self.ledger})
        if not seen:
            return []
        out, m = [], seen[0]
        while m <= max(seen[-1], self.last_full_month()):
            out.append(m)
            m = shift_months(m, 1)
        return out

    def last_full_month(self) -> str:
        """The newest month the export holds whole (its own month when it stands on its last
        day)."""
        if self.as_of is None:
            return ""
        day = date.fromisoformat(self.as_of)
        month = f"{day.year:04d}-{day.month:02d}"
        return month if (day + timedelta(days=1)).month != day.month else shift_months(month, -1)

    def reports(self, month: str) -> int:
        """Use-of-force reports of ``month``, every district (and none recorded) together."""
        return sum(int(r["reports"]) for r in self.force if r["month"] == month)


def accountability_data(con: duckdb.DuckDBPyConnection, deadline: int) -> Accountability:
    """The exported aggregates for ``deadline`` days (rows of other deadlines are left)."""
    if not all(
        has_table(con, t)
        for t in (
            "service_use_of_force_monthly",
            "service_release_ledger",
            "service_release_overdue",
        )
    ):
        return Accountability(deadline, None)
    ((finished,),) = con.execute(
        "SELECT max(finished_at) FROM load_log WHERE kind = 'service'"
    ).fetchall()
    ledger = [
        r
        for r in table_dicts(con, "service_release_ledger", "month, kind")
        if r["deadline_days"] == deadline and r["kind"] == KIND
    ]
    overdue = [
        r
        for r in table_dicts(con, "service_release_overdue", "kind, band")
        if r["deadline_days"] == deadline
    ]
    as_of = next((str(r["as_of"]) for r in [*ledger, *overdue]), None)
    force = table_dicts(con, "service_use_of_force_monthly", "month, district NULLS LAST")
    return Accountability(
        deadline, str(finished)[:10] if finished else "", as_of, force, ledger, overdue
    )


def _sum(rows: list[dict[str, Any]], key: str) -> int:
    return sum(int(r[key]) for r in rows)


def on_time_share(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
    """The on-time share over ``rows`` of the ledger (records with a known outcome), with its
    95% interval."""
    on_time = _sum(rows, "on_time")
    decided = on_time + _sum(rows, "late") + _sum(rows, "overdue")
    if not decided:
        return None, None, None
    low, high = wilson(on_time, decided)
    return on_time / decided, low, high


def summary(data: Accountability) -> dict[str, Any] | None:
    """The headline figures (page and report): reports in the last twelve full months and the
    twelve before, the on-time share of those months' records, and records overdue now (None
    when the service has exported no release record)."""
    if data.as_of is None:
        return None
    last = data.last_full_month()
    recent = [shift_months(last, -k) for k in range(12)]
    earlier = [shift_months(last, -k) for k in range(12, 24)]
    now, before = sum(data.reports(m) for m in recent), sum(data.reports(m) for m in earlier)
    rate, low, high = on_time_share([r for r in data.ledger if r["month"] in recent])
    overdue = [r for r in data.overdue if r["kind"] == KIND]
    return {
        "from": recent[-1],
        "to": last,
        "reports": now,
        "reports_before": before,
        "change_pct": (now - before) / before * 100 if before else None,
        "on_time_rate": rate,
        "ci_low": low,
        "ci_high": high,
        "overdue_now": _sum(overdue, "records"),
        "deadline_days": data.deadline,
    }


def district_rows(data: Accountability, names: dict[int, str]) -> list[dict[str, Any]]:
    """Use-of-force reports per district: the last twelve full months, the twelve before,
    and every month the service holds."""
    s = summary(data)
    if s is None:
        return []
    recent = {shift_months(s["to"], -k) for k in range(12)}
    earlier = {shift_months(s["to"], -k) for k in range(12, 24)}
    keys = sorted({r["district"] for r in data.force}, key=lambda d: (d is None, d or 0))
    out = []
    for d in keys:
        mine = [r for r in data.force if r["district"] == d]
        now = sum(int(r["reports"]) for r in mine if r["month"] in recent)
        before = sum(int(r["reports"]) for r in mine if r["month"] in earlier)
        out.append(
            {
                "district": d,
                "name": names.get(d, "") if d is not None else "not recorded",
                "reports_last_12_months": now,
                "reports_12_months_before": before,
                "change_pct": round((now - before) / before * 100, 1) if before else None,
                "reports_all_months": sum(int(r["reports"]) for r in mine),
            }
        )
    return out


def ledger_rows(data: Accountability) -> list[dict[str, Any]]:
    """The public ledger: one row per incident month, no record named."""
    return [
        {
            "month": r["month"],
            "reports": int(r["records"]),
            "posted_on_time": int(r["on_time"]),
            "posted_late": int(r["late"]),
            "overdue_unposted": int(r["overdue"]),
            "not_yet_due": int(r["pending"]),
            "on_time_rate": r["on_time_rate"],
            "ci_low": r["ci_low"],
            "ci_high": r["ci_high"],
            "deadline_days": data.deadline,
        }
        for r in data.ledger
    ]


def overdue_rows(data: Accountability) -> list[dict[str, Any]]:
    return [
        {
            "kind": r["kind"],
            "days_overdue": r["days_overdue"],
            "records": int(r["records"]),
            "deadline_days": data.deadline,
            "as_of": r["as_of"],
        }
        for r in data.overdue
    ]


def force_rows(data: Accountability, names: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "month": r["month"],
            "district": r["district"],
            "name": names.get(r["district"], "") if r["district"] is not None else "not recorded",
            "reports": int(r["reports"]),
        }
        for r in data.force
    ]


def _change(v: float | None) -> str:
    return "–" if v is None else f"{v:+.1f}%"


def accountability_body(
    data: Accountability, names: dict[int, str], links: dict[int, str], alternative: int
) -> str:
    """The page; ``links`` gives each district's page, ``alternative`` the other deadline."""
    lede = (
        "<h1>Accountability: use of force in public</h1><p class='lede'>Every report of force "
        "used by police is counted here by month and district, and every report and its video "
        "is on a release clock: it must be public within a deadline. These figures are counts "
        "exported by the case service; they carry no names, no case numbers and no place finer "
        "than a police district.</p>"
        f"<p class='notice' role='note' data-deadline='{data.deadline}'><strong>Deadline in "
        f"force: {DEADLINE_TEXT.get(data.deadline, f'{data.deadline} days')}.</strong> "
        f"To count against {DEADLINE_TEXT.get(alternative, f'{alternative} days')} instead, "
        "build the site with <code>SAFER77_RELEASE_DEADLINE_DAYS="
        f"{alternative}</code>. The Inspector General found releases missing the deadline, "
        "largely through miscalculated dates: here due = incident date + the deadline in "
        "calendar days, and a report posted on its due date is on time.</p>"
    )
    if data.exported_on is None:
        return lede + (
            "<p>The case service has not exported its use-of-force figures to this warehouse "
            "yet (<code>safer77 service export</code>), so there is nothing to show.</p>"
        )
    s = summary(data)
    if s is None:
        return lede + (
            f"<p>The case service exported on {escape(data.exported_on)} and holds no "
            "use-of-force report or release record yet.</p>"
        )
    months = data.months()
    window = months[-24:]
    parts = [
        lede,
        f"<p>Counts as exported by the service on {escape(data.exported_on)}, standing on "
        f"{escape(data.as_of or data.exported_on)}.</p>",
        _headline(s),
        f"<h2>Use-of-force reports by month</h2><figure><figcaption>Use-of-force reports per "
        f"month, {escape(window[0] if window else '')} to {escape(window[-1] if window else '')}"
        "</figcaption>"
        + pair(
            lambda width: line_with_band(
                [Point(m, float(data.reports(m))) for m in window],
                title="Use-of-force reports per month",
                width=width,
            )
        )
        + "</figure>",
        _district_table(district_rows(data, names), links, s),
        _ledger(data, window),
        _overdue(data),
    ]
    return "".join(parts)


def _headline(s: dict[str, Any]) -> str:
    span = f"{month_label(s['from'])} to {month_label(s['to'])}"
    trend = (
        "no reports in the twelve months before"
        if s["change_pct"] is None
        else f"{_change(s['change_pct'])} on the twelve months before ({s['reports_before']:,})"
    )
    return (
        f"<h2>The last twelve months ({span})</h2><dl class='headline'>"
        f"<div><dt>Use-of-force reports</dt><dd data-figure='reports'>{s['reports']:,}</dd>"
        f"<dd class='sub'>{trend}</dd></div>"
        f"<div><dt>Released on time</dt><dd data-figure='on-time'>{percent(s['on_time_rate'])}"
        f"</dd><dd class='sub'>95% interval {percent(s['ci_low'])}–{percent(s['ci_high'])}; "
        f"deadline {s['deadline_days']} days</dd></div>"
        f"<div><dt>Overdue now</dt><dd data-figure='overdue'>{s['overdue_now']:,}</dd>"
        "<dd class='sub'>reports not yet public, past the deadline</dd></div></dl>"
    )


def _district_table(rows: list[dict[str, Any]], links: dict[int, str], s: dict[str, Any]) -> str:
    def name(r: dict[str, Any]) -> str:
        d = r["district"]
        if d is None:
            return "District not recorded"
        label = escape(f"District {d}" + (f" ({r['name']})" if r["name"] else ""))
        return f"<a href='{links[d]}'>{label}</a>" if d in links else label

    body = "".join(
        f"<tr data-district='{'' if r['district'] is None else r['district']}'>"
        f"<th scope='row'>{name(r)}</th><td>{r['reports_last_12_months']:,}</td>"
        f"<td>{r['reports_12_months_before']:,}</td><td>{_change(r['change_pct'])}</td>"
        f"<td>{r['reports_all_months']:,}</td></tr>"
        for r in rows
    )
    return (
        "<h2>By police district</h2><p>Each district's count links to its page. The month by "
        "district table is in the downloads.</p><table class='data' id='force-districts'>"
        f"<caption>Use-of-force reports by district, {month_label(s['from'])} to "
        f"{month_label(s['to'])} and the twelve months before</caption><thead><tr>"
        "<th scope='col'>District</th><th scope='col'>Last 12 months</th>"
        "<th scope='col'>12 months before</th><th scope='col'>Change</th>"
        f"<th scope='col'>All months</th></tr></thead><tbody>{body}</tbody></table>"
        + downloads(BASE + "by_district")
        + downloads(BASE + "by_month_district", what="every month and district")
    )


def _ledger(data: Accountability, window: list[str]) -> str:
    rows = ledger_rows(data)
    by_month = {r["month"]: r for r in rows}
    points = [
        Point(m, r["on_time_rate"], r["ci_low"], r["ci_high"], _decided(r) < LOW_N_THRESHOLD)
        if (r := by_month.get(m))
        else Point(m, None)
        for m in window
    ]
    chart = pair(
        lambda width: line_with_band(
            points,
            title=f"Share of use-of-force reports released within {data.deadline} days",
            percent=True,
            width=width,
        )
    )
    body = "".join(
        f"<tr><th scope='row'>{r['month']}</th><td>{r['reports']:,}</td>"
        f"<td>{r['posted_on_time']:,}</td><td>{r['posted_late']:,}</td>"
        f"<td>{r['overdue_unposted']:,}</td><td>{r['not_yet_due']:,}</td>"
        f"<td>{percent(r['on_time_rate'])}</td>"
        f"<td>{percent(r['ci_low'])}–{percent(r['ci_high'])}</td></tr>"
        for r in reversed(rows)
    )
    return (
        "<h2>The release clock</h2><p>Each month's use-of-force reports (by the month of the "
        f"incident) and what became of their {data.deadline}-day clock: posted on time, posted "
        "late, overdue (not posted, past due) or not yet due. The on-time share counts the "
        "reports whose outcome is known (on time, late or overdue), with its 95% Wilson "
        "interval.</p><figure><figcaption>On-time share per incident month; the band is the "
        f"95% interval</figcaption>{chart}</figure>"
        "<table class='data' id='release-ledger'><caption>The public ledger: use-of-force "
        f"reports and their release, by month (deadline {data.deadline} days)</caption><thead>"
        "<tr><th scope='col'>Month</th><th scope='col'>Reports</th>"
        "<th scope='col'>Posted on time</th><th scope='col'>Posted late</th>"
        "<th scope='col'>Overdue, not posted</th><th scope='col'>Not yet due</th>"
        "<th scope='col'>On time</th><th scope='col'>95% interval</th></tr></thead>"
        f"<tbody>{body}</tbody></table>" + downloads(BASE + "ledger")
    )


def _decided(r: dict[str, Any]) -> int:
    return int(r["posted_on_time"]) + int(r["posted_late"]) + int(r["overdue_unposted"])


def _overdue(data: Accountability) -> str:
    kinds = sorted({r["kind"] for r in data.overdue})
    bands = list(dict.fromkeys(r["days_overdue"] for r in data.overdue))
    count = {(r["kind"], r["days_overdue"]): int(r["records"]) for r in data.overdue}
    head = "".join(f"<th scope='col'>{escape(b)} days</th>" for b in bands)
    body = "".join(
        f"<tr data-kind='{k}'><th scope='row'>{escape(KINDS.get(k, k))}</th>"
        + "".join(f"<td>{count.get((k, b), 0):,}</td>" for b in bands)
        + f"<td>{sum(count.get((k, b), 0) for b in bands):,}</td></tr>"
        for k in kinds
    )
    return (
        f"<h2>Overdue now</h2><p>Records not yet public on {escape(data.as_of or '')}, past "
        f"their {data.deadline}-day deadline, by how many days overdue.</p>"
        "<table class='data' id='release-overdue'><caption>Records overdue now, by days "
        f"overdue</caption><thead><tr><th scope='col'>Record</th>{head}"
        f"<th scope='col'>All overdue</th></tr></thead><tbody>{body}</tbody></table>"
        + downloads(BASE + "overdue")
    )
