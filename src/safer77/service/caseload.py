"""Caseload views: open cases per detective and unit, inactivity alerts, the cold-case queue,
and clearance computed from the case records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Integer, case, cast, extract, func, select
from sqlalchemy.orm import Session

from safer77.service import audit
from safer77.service.auth import Actor
from safer77.service.cases import scoped
from safer77.service.clearance import Outcome
from safer77.service.models import Case
from safer77.service.workflow import ACTIVE, CaseStatus

ACTIVE_VALUES = sorted(s.value for s in ACTIVE)
HOMICIDE = "HOMICIDE"
# Open homicide investigations per detective; above ``HOMICIDE_HIGH`` the gauge turns "high",
# above ``HOMICIDE_OVER`` "over" (US guidance puts a sustainable load near 5 new cases a year).
HOMICIDE_HIGH = 5
HOMICIDE_OVER = 9

Gauge = Literal["ok", "high", "over"]


def gauge(open_homicides: int) -> Gauge:
    if open_homicides > HOMICIDE_OVER:
        return "over"
    if open_homicides > HOMICIDE_HIGH:
        return "high"
    return "ok"


@dataclass(frozen=True)
class DetectiveLoad:
    detective_id: int
    unit_id: int | None
    open_cases: int
    open_homicides: int

    @property
    def homicide_gauge(self) -> Gauge:
        return gauge(self.open_homicides)


def per_detective(session: Session, actor: Actor) -> list[DetectiveLoad]:
    sub = (
        scoped(select(Case), actor)
        .where(Case.status.in_(ACTIVE_VALUES), Case.lead_detective_id.is_not(None))
        .subquery()
    )
    homicides = func.sum(case((sub.c.crime_type == HOMICIDE, 1), else_=0))
    rows = session.execute(
        select(sub.c.lead_detective_id, sub.c.unit_id, func.count(), homicides)
        .group_by(sub.c.lead_detective_id, sub.c.unit_id)
        .order_by(sub.c.lead_detective_id)
    ).all()
    audit.record(session, actor, "read", "caseload", None, count=len(rows))
    return [DetectiveLoad(int(d), u, int(n), int(h or 0)) for d, u, n, h in rows]


def per_unit(session: Session, actor: Actor) -> list[tuple[int | None, int]]:
    sub = scoped(select(Case), actor).where(Case.status.in_(ACTIVE_VALUES)).subquery()
    rows = session.execute(
        select(sub.c.unit_id, func.count()).group_by(sub.c.unit_id).order_by(sub.c.unit_id)
    ).all()
    return [(u, int(n)) for u, n in rows]


def inactive(
    session: Session, actor: Actor, *, days: int, now: datetime | None = None
) -> list[tuple[Case, int]]:
    """Active cases with no recorded activity for more than ``days`` days, stalest first."""
    now = now or audit.now()
    stmt = scoped(select(Case), actor).where(
        Case.status.in_(ACTIVE_VALUES),
        Case.last_activity_at <= now - timedelta(days=days + 1),  # more than `days` whole days
    )
    out = [
        (item, (now - item.last_activity_at).days)
        for item in session.scalars(stmt.order_by(Case.last_activity_at, Case.id))
    ]
    audit.record(session, actor, "read", "case_alerts", None, ids=[c.id for c, _ in out])
    return out


def cold_queue(session: Session, actor: Actor, *, limit: int = 100) -> Sequence[Case]:
    """Suspended (cold) cases, longest untouched first: the review queue."""
    stmt = (
        scoped(select(Case), actor)
        .where(Case.status == CaseStatus.suspended_cold.value)
        .order_by(Case.last_activity_at, Case.id)
        .limit(limit)
    )
    cases = session.scalars(stmt).all()
    audit.record(session, actor, "read", "cold_queue", None, ids=[c.id for c in cases])
    return cases


def outcomes_by_type(
    session: Session,
    *,
    crime_type: str | None = None,
    source: str | None = None,
    grain: Literal["day", "month"] = "day",
) -> dict[str, list[Outcome]]:
    """Every founded offense with its current clearance, per crime type, for
    :mod:`safer77.service.clearance`: counted in the database by (offense, clearance) day or
    month, so a few hundred rows come back instead of one per case."""
    keys = (
        [func.date(Case.offense_at), Case.cleared_on]
        if grain == "day"
        else [
            _int(extract("year", Case.offense_at)),
            _int(extract("month", Case.offense_at)),
            _int(extract("year", Case.cleared_on)),
            _int(extract("month", Case.cleared_on)),
        ]
    )
    stmt = (
        select(Case.crime_type, *keys, Case.status, func.count())
        .where(Case.status != CaseStatus.unfounded.value)
        .group_by(Case.crime_type, *keys, Case.status)
    )
    if crime_type:
        stmt = stmt.where(Case.crime_type == crime_type.upper())
    if source:
        stmt = stmt.where(Case.source == source)
    out: dict[str, list[Outcome]] = {}
    for ctype, *key, status, n in session.execute(stmt):
        kind = KIND.get(status)
        if grain == "month":
            oy, om, cy, cm = key
            first = date(int(oy), int(om), 1)
            cleared = date(int(cy), int(cm), 1) if kind and cy is not None else None
        else:
            day, cleared = key
            first = day if isinstance(day, date) else date.fromisoformat(str(day))
        outcome = Outcome(first, cleared if kind else None, kind if cleared else None, int(n))
        out.setdefault(ctype, []).append(outcome)
    return out


def outcomes(
    session: Session,
    *,
    crime_type: str | None = None,
    source: str | None = None,
    grain: Literal["day", "month"] = "day",
) -> list[Outcome]:
    """:func:`outcomes_by_type`, all types together."""
    by_type = outcomes_by_type(session, crime_type=crime_type, source=source, grain=grain)
    return [o for rows in by_type.values() for o in rows]


def outcomes_by_case(
    session: Session, *, crime_type: str | None = None
) -> list[tuple[str, Outcome]]:
    """Every founded offense with its current clearance and its case (RD) number, for
    :func:`safer77.service.clearance.by_incident` (one row per case number, day and outcome)."""
    day = func.date(Case.offense_at)
    stmt = (
        select(Case.case_number, day, Case.cleared_on, Case.status, func.count())
        .where(Case.status != CaseStatus.unfounded.value)
        .group_by(Case.case_number, day, Case.cleared_on, Case.status)
    )
    if crime_type:
        stmt = stmt.where(Case.crime_type == crime_type.upper())
    out = []
    for number, first, cleared, status, n in session.execute(stmt):
        kind = KIND.get(status)
        on = first if isinstance(first, date) else date.fromisoformat(str(first))
        done = kind is not None and cleared is not None
        out.append(
            (
                str(number).strip().upper(),
                Outcome(on, cleared if done else None, kind if done else None, int(n)),
            )
        )
    return out


def stamp(session: Session) -> tuple[int, int]:
    """A number that grows with every change that can move a clearance figure: the count of
    cases (inserts) and the sum of their versions (every status change bumps a version)."""
    row = session.execute(select(func.count(), func.coalesce(func.sum(Case.version), 0))).one()
    return int(row[0]), int(row[1])


OutcomeMemo = dict[tuple[str | None, str], tuple[tuple[int, int], list[Outcome]]]


def memo_outcomes(
    session: Session,
    memo: OutcomeMemo,
    *,
    crime_type: str | None = None,
    grain: Literal["day", "month"] = "month",
) -> list[Outcome]:
    """:func:`outcomes`, recomputed only when :func:`stamp` has moved since the last call.

    The stamp is read before the data, so a change landing in between makes the memo newer
    than its stamp (recomputed next time), never older.
    """
    now = stamp(session)
    key = (crime_type, grain)
    hit = memo.get(key)
    if hit is not None and hit[0] == now:
        return hit[1]
    rows = outcomes(session, crime_type=crime_type, grain=grain)
    if len(memo) > 256:
        memo.clear()
    memo[key] = (now, rows)
    return rows


def _int(expr: Any) -> Any:
    return cast(expr, Integer)  # PostgreSQL's extract() is numeric: Decimal is slow to read


KIND: dict[str, Literal["arrest", "exceptional"]] = {
    CaseStatus.cleared_arrest.value: "arrest",
    CaseStatus.cleared_exceptional.value: "exceptional",
}
