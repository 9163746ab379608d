"""Caseload views and clearance computed from case records."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from safer77.service import audit, caseload
from safer77.service.clearance import (
    by_offense_cohort,
    by_period_cleared,
    cleared_figures,
    window_figures,
)
from safer77.service.clock import local_today
from safer77.service.deps import CaseloadRead, ClearanceRead, SessionDep, SettingsDep
from safer77.service.schemas import (
    ONE_LINE,
    CasePublic,
    ClearedPeriod,
    CohortPeriod,
    CohortWindow,
    Day,
    DetectiveLoad,
    InactiveCase,
    UnitLoad,
)

router = APIRouter(tags=["caseload", "clearance"])
Days = Annotated[int | None, Query(ge=0, le=36500)]
CrimeType = Annotated[str | None, Query(min_length=1, max_length=64, pattern=ONE_LINE)]


@router.get("/caseload/detectives")
def detectives(actor: CaseloadRead, session: SessionDep) -> list[DetectiveLoad]:
    """Open cases per detective, with the homicide caseload gauge (ok / high / over)."""
    rows = caseload.per_detective(session, actor)
    session.commit()
    return [
        DetectiveLoad(
            detective_id=r.detective_id,
            unit_id=r.unit_id,
            open_cases=r.open_cases,
            open_homicides=r.open_homicides,
            homicide_gauge=r.homicide_gauge,
        )
        for r in rows
    ]


@router.get("/caseload/units")
def units(actor: CaseloadRead, session: SessionDep) -> list[UnitLoad]:
    out = [UnitLoad(unit_id=u, open_cases=n) for u, n in caseload.per_unit(session, actor)]
    audit.record(session, actor, "read", "caseload_units", None, units=len(out))
    session.commit()
    return out


@router.get("/caseload/alerts")
def alerts(
    actor: CaseloadRead, session: SessionDep, settings: SettingsDep, days: Days = None
) -> list[InactiveCase]:
    """Active cases with no activity for more than ``days`` (default: inactivity_days)."""
    rows = caseload.inactive(
        session, actor, days=settings.inactivity_days if days is None else days
    )
    session.commit()
    return [
        InactiveCase(**CasePublic.model_validate(c).model_dump(), days_inactive=d) for c, d in rows
    ]


@router.get("/caseload/cold")
def cold(
    actor: CaseloadRead,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CasePublic]:
    """The cold-case review queue: suspended cases, longest untouched first."""
    found = caseload.cold_queue(session, actor, limit=limit)
    session.commit()
    return [CasePublic.model_validate(c) for c in found]


@router.get("/clearance/cleared")
def cleared(
    actor: ClearanceRead,
    session: SessionDep,
    request: Request,
    grain: Literal["month", "year"] = "month",
    crime_type: CrimeType = None,
) -> list[ClearedPeriod]:
    """UCR view: clearances counted in the period they were made (old cases included)."""
    memo = request.app.state.outcomes
    monthly = caseload.memo_outcomes(session, memo, crime_type=crime_type, grain="month")
    return [ClearedPeriod(**cleared_figures(r)) for r in by_period_cleared(monthly, grain)]


@router.get("/clearance/cohort")
def cohort(
    actor: ClearanceRead,
    session: SessionDep,
    request: Request,
    grain: Literal["month", "year"] = "month",
    crime_type: CrimeType = None,
    as_of: Day | None = None,
) -> list[CohortPeriod]:
    """Offenses of each period and the share cleared within 30/90/365 days and to date."""
    rows = by_offense_cohort(
        caseload.memo_outcomes(
            session, request.app.state.outcomes, crime_type=crime_type, grain="day"
        ),
        as_of=as_of or local_today(session),
        grain=grain,
    )
    return [
        CohortPeriod(
            period=r.period,
            offenses=r.offenses,
            low_n=r.low_n,
            windows=[CohortWindow(**w) for w in window_figures(r)],
        )
        for r in rows
    ]
