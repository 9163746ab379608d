"""Cases: open, read, update, move through the workflow, assign, annotate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from safer77.service import cases
from safer77.service.clock import to_local
from safer77.service.deps import (
    CasesAssign,
    CasesRead,
    CasesWrite,
    Responses,
    SessionDep,
    SettingsDep,
)
from safer77.service.models import Case
from safer77.service.schemas import (
    AssignIn,
    AssignmentOut,
    CaseCreate,
    CaseDetail,
    CaseEventOut,
    CasePublic,
    CaseUpdate,
    FromIncident,
    NoteIn,
    PathId,
    TransitionIn,
)
from safer77.service.workflow import CaseStatus

router = APIRouter(prefix="/cases", tags=["cases"])
CONFLICT: Responses = {409: {"description": "Stale version or not allowed in the current state"}}
NOT_FOUND: Responses = {404: {"description": "No such case (or not in your unit)"}}
Page = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
QueryId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def _detail(session: SessionDep, case: Case, events: object, assignments: object) -> CaseDetail:
    base = CasePublic.model_validate(case).model_dump()
    return CaseDetail(
        **base,
        summary=case.summary,
        victim_sex=case.victim_sex,
        victim_age=case.victim_age,
        events=[CaseEventOut.model_validate(e) for e in events],  # type: ignore[attr-defined]
        assignments=[AssignmentOut.model_validate(a) for a in assignments],  # type: ignore[attr-defined]
    )


@router.post("", status_code=201, responses=CONFLICT)
def open_case(body: CaseCreate, actor: CasesWrite, session: SessionDep) -> CasePublic:
    fields = body.model_dump(exclude={"case_number", "crime_type", "offense_at", "unit"})
    case = cases.open_case(
        session,
        actor,
        case_number=body.case_number,
        crime_type=body.crime_type.upper(),
        offense_at=to_local(body.offense_at, session),
        unit=body.unit,
        **fields,
    )
    session.commit()
    return CasePublic.model_validate(case)


@router.post("/from-incident", status_code=201, responses={**CONFLICT, **NOT_FOUND})
def open_from_incident(
    body: FromIncident, actor: CasesWrite, session: SessionDep, settings: SettingsDep
) -> CasePublic:
    """Open a case from an incident in the warehouse (case number = its Case Number)."""
    case = cases.open_from_incident(
        session, actor, warehouse=settings.db, incident_id=body.incident_id, unit=body.unit
    )
    session.commit()
    return CasePublic.model_validate(case)


@router.get("")
def list_cases(
    actor: CasesRead,
    session: SessionDep,
    status: CaseStatus | None = None,
    unit_id: QueryId = None,
    detective_id: QueryId = None,
    limit: Page = 100,
    offset: Offset = 0,
) -> list[CasePublic]:
    found = cases.list_cases(
        session,
        actor,
        status=status,
        unit_id=unit_id,
        detective_id=detective_id,
        limit=limit,
        offset=offset,
    )
    session.commit()
    return [CasePublic.model_validate(c) for c in found]


@router.get("/{case_id}", responses=NOT_FOUND)
def read_case(case_id: PathId, actor: CasesRead, session: SessionDep) -> CaseDetail:
    case, events, assignments = cases.read_case(session, actor, case_id)
    session.commit()
    return _detail(session, case, events, assignments)


@router.patch("/{case_id}", responses={**CONFLICT, **NOT_FOUND})
def update_case(
    case_id: PathId, body: CaseUpdate, actor: CasesWrite, session: SessionDep
) -> CasePublic:
    changes = body.model_dump(exclude={"version"}, exclude_unset=True)
    case = cases.update_case(session, actor, case_id=case_id, version=body.version, changes=changes)
    session.commit()
    return CasePublic.model_validate(case)


@router.post("/{case_id}/transitions", responses={**CONFLICT, **NOT_FOUND})
def transition(
    case_id: PathId, body: TransitionIn, actor: CasesWrite, session: SessionDep
) -> CasePublic:
    case = cases.transition(
        session,
        actor,
        case_id=case_id,
        version=body.version,
        to_status=body.to_status,
        reason=body.reason,
        exceptional_code=body.exceptional_code,
        effective_on=body.effective_on,
    )
    session.commit()
    return CasePublic.model_validate(case)


@router.post("/{case_id}/assignments", responses={**CONFLICT, **NOT_FOUND})
def assign(case_id: PathId, body: AssignIn, actor: CasesAssign, session: SessionDep) -> CasePublic:
    case = cases.assign(
        session,
        actor,
        case_id=case_id,
        version=body.version,
        detective_id=body.detective_id,
        unit=body.unit,
        reason=body.reason,
    )
    session.commit()
    return CasePublic.model_validate(case)


@router.post("/{case_id}/notes", status_code=201, responses={**CONFLICT, **NOT_FOUND})
def add_note(case_id: PathId, body: NoteIn, actor: CasesWrite, session: SessionDep) -> CasePublic:
    case = cases.add_note(session, actor, case_id=case_id, text=body.text)
    session.commit()
    return CasePublic.model_validate(case)
