"""Public aggregates from the service, into the warehouse by its normal load path.

One transaction replaces the ``service_*`` tables and appends a ``load_log`` row, so the
warehouse holds either the previous export or the new one, never half. Only aggregates leave
the service: no case numbers, no names, no victim details.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from safer77.schema import LOW_N_THRESHOLD, PRIMARY_TYPES
from safer77.service.accountability import on_time as release_on_time
from safer77.service.caseload import outcomes_by_type
from safer77.service.clearance import (
    Outcome,
    by_offense_cohort,
    by_period_cleared,
    cleared_figures,
    window_figures,
)
from safer77.service.clubs import per_area as clubs_per_area
from safer77.service.models import Release
from safer77.service.release import on_time_figures
from safer77.service.release_ledger import DEADLINES, Record, ledger, overdue_bands
from safer77.service.requests import summary as request_summary
from safer77.service.town_halls import per_district as town_halls_per_district
from safer77.warehouse.db import connect, next_load_id, replace_table

OTHER = "OTHER OFFENSE"
TABLES = (
    "service_clearance_cleared",
    "service_clearance_cohort",
    "service_release_on_time",
    "service_use_of_force_monthly",
    "service_release_ledger",
    "service_release_overdue",
    "service_requests_summary",
    "service_block_clubs",
    "service_town_halls",
)


@dataclass(frozen=True)
class ExportResult:
    load_id: int
    rows: dict[str, int]


def aggregates(session: Session, *, as_of: date) -> dict[str, list[dict[str, Any]]]:
    """The public tables as rows (month grain, per crime type / kind / district)."""
    # free text typed into a case never reaches a public table: unknown types are pooled
    groups: dict[str, list[Outcome]] = {}
    for ctype, rows in sorted(outcomes_by_type(session).items()):
        groups.setdefault(ctype if ctype in PRIMARY_TYPES else OTHER, []).extend(rows)
    cleared: list[dict[str, Any]] = []
    cohort: list[dict[str, Any]] = []
    for crime, rows in sorted(groups.items()):
        for r in by_period_cleared(rows, "month"):
            figures = cleared_figures(r)
            cleared.append(
                {
                    "month": figures.pop("period"),
                    "crime_type": crime,
                    **figures,
                    "low_n": r.offenses < LOW_N_THRESHOLD,
                    "definition": "ucr_clearance",
                }
            )
        for c in by_offense_cohort(rows, as_of=as_of, grain="month"):
            for w in window_figures(c):
                cohort.append(
                    {
                        "month": c.period,
                        "crime_type": crime,
                        "window": w["window"],
                        "offenses": c.offenses,
                        "cleared": w["cleared"],
                        "cleared_arrest": w["arrest"],
                        "cleared_exceptional": w["exceptional"],
                        "rate": w["rate"],
                        "ci_low": w["ci_low"],
                        "ci_high": w["ci_high"],
                        "complete": w["complete"],
                        "low_n": c.low_n,
                        "definition": "ucr_clearance_cohort",
                    }
                )
    on_time = [
        {**on_time_figures(m), "kind": kind}
        for kind in ("use_of_force", "body_camera")
        for m in release_on_time(session, today=as_of, kind=kind)
    ]
    force: Counter[tuple[str, int | None]] = Counter()
    for d, district in session.execute(
        select(Release.incident_date, Release.district).where(Release.kind == "use_of_force")
    ):
        force[(f"{d.year:04d}-{d.month:02d}", district)] += 1
    monthly = [
        {"month": m, "district": dist, "reports": n, "low_n": n < LOW_N_THRESHOLD}
        for (m, dist), n in sorted(force.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    ]
    records = [
        Record(k, d, p)
        for k, d, p in session.execute(
            select(Release.kind, Release.incident_date, Release.posted_on)
        )
    ]
    needs = [vars(s) for s in request_summary(session, None, today=as_of)]
    return {
        "service_requests_summary": needs,
        "service_block_clubs": clubs_per_area(session),
        "service_town_halls": town_halls_per_district(session),
        "service_clearance_cleared": cleared,
        "service_clearance_cohort": cohort,
        "service_release_on_time": on_time,
        "service_use_of_force_monthly": monthly,
        # both deadlines (30 days, COPA's 60): the site publishes against the one in force
        "service_release_ledger": [r for d in DEADLINES for r in ledger(records, as_of, d)],
        "service_release_overdue": [r for d in DEADLINES for r in overdue_bands(records, as_of, d)],
    }


SCHEMAS: dict[str, pa.Schema] = {
    "service_clearance_cleared": pa.schema(
        [
            ("month", pa.string()),
            ("crime_type", pa.string()),
            ("offenses", pa.int64()),
            ("cleared", pa.int64()),
            ("cleared_arrest", pa.int64()),
            ("cleared_exceptional", pa.int64()),
            ("cleared_older", pa.int64()),
            ("clearance_ratio", pa.float64()),
            ("low_n", pa.bool_()),
            ("definition", pa.string()),
        ]
    ),
    "service_clearance_cohort": pa.schema(
        [
            ("month", pa.string()),
            ("crime_type", pa.string()),
            ("window", pa.string()),
            ("offenses", pa.int64()),
            ("cleared", pa.int64()),
            ("cleared_arrest", pa.int64()),
            ("cleared_exceptional", pa.int64()),
            ("rate", pa.float64()),
            ("ci_low", pa.float64()),
            ("ci_high", pa.float64()),
            ("complete", pa.bool_()),
            ("low_n", pa.bool_()),
            ("definition", pa.string()),
        ]
    ),
    "service_release_on_time": pa.schema(
        [
            ("month", pa.string()),
            ("kind", pa.string()),
            ("due", pa.int64()),
            ("on_time", pa.int64()),
            ("late", pa.int64()),
            ("pending", pa.int64()),
            ("on_time_rate", pa.float64()),
            ("ci_low", pa.float64()),
            ("ci_high", pa.float64()),
        ]
    ),
    "service_release_ledger": pa.schema(
        [
            ("month", pa.string()),  # the incident's month
            ("kind", pa.string()),
            ("deadline_days", pa.int64()),
            ("records", pa.int64()),
            ("on_time", pa.int64()),
            ("late", pa.int64()),
            ("overdue", pa.int64()),
            ("pending", pa.int64()),
            ("on_time_rate", pa.float64()),
            ("ci_low", pa.float64()),
            ("ci_high", pa.float64()),
            ("as_of", pa.string()),
        ]
    ),
    "service_release_overdue": pa.schema(
        [
            ("kind", pa.string()),
            ("deadline_days", pa.int64()),
            ("days_overdue", pa.string()),
            ("band", pa.int64()),
            ("records", pa.int64()),
            ("as_of", pa.string()),
        ]
    ),
    "service_requests_summary": pa.schema(
        [
            ("department", pa.string()),
            ("community_area", pa.int64()),
            ("filed", pa.int64()),
            ("open", pa.int64()),
            ("open_overdue", pa.int64()),
            ("closed", pa.int64()),
            ("closed_on_time", pa.int64()),
            ("median_days_to_close", pa.float64()),
        ]
    ),
    # counts only: no club names or contact roles, no meeting titles, agendas or follow-ups
    "service_block_clubs": pa.schema([("community_area", pa.int64()), ("clubs", pa.int64())]),
    "service_town_halls": pa.schema(
        [
            ("district", pa.int64()),
            ("held", pa.int64()),
            ("scheduled", pa.int64()),
            ("cancelled", pa.int64()),
            ("follow_ups_open", pa.int64()),
            ("follow_ups_closed", pa.int64()),
        ]
    ),
    "service_use_of_force_monthly": pa.schema(
        [
            ("month", pa.string()),
            ("district", pa.int64()),
            ("reports", pa.int64()),
            ("low_n", pa.bool_()),
        ]
    ),
}


def export_to_warehouse(
    engine: Engine, warehouse: Path, *, as_of: date | None = None
) -> ExportResult:
    """Compute the public aggregates and replace them in the warehouse in one transaction."""
    started = datetime.now(UTC).replace(tzinfo=None)
    with Session(engine) as session:
        tables = aggregates(session, as_of=as_of or started.date())
    con = connect(warehouse)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            load_id = next_load_id(con)
            counts: dict[str, int] = {}
            for name in TABLES:
                replace_table(con, name, pa.Table.from_pylist(tables[name], schema=SCHEMAS[name]))
                counts[name] = len(tables[name])
            total = sum(counts.values())
            con.execute(
                "INSERT INTO load_log (load_id, kind, file, started_at, finished_at, read, "
                "loaded, updated, duplicates, quarantined) VALUES (?, 'service', ?, ?, ?, ?, ?, "
                "0, 0, 0)",
                [
                    load_id,
                    engine.url.render_as_string(hide_password=True),
                    started,
                    datetime.now(UTC).replace(tzinfo=None),
                    total,
                    total,
                ],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    return ExportResult(load_id, counts)
