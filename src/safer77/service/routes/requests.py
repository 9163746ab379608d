"""Resource requests: filed by community organisations, worked by the Coordination Center."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from safer77.service import requests as req
from safer77.service.clock import local_today
from safer77.service.deps import (
    RequestsCreate,
    RequestsManage,
    RequestsRead,
    Responses,
    SessionDep,
)
from safer77.service.models import ResourceRequest
from safer77.service.schemas import (
    ONE_LINE,
    PathId,
    RequestCreate,
    RequestDetail,
    RequestEventOut,
    RequestPublic,
    RequestStatusIn,
    RequestSummary,
)

router = APIRouter(prefix="/requests", tags=["requests"])
NOT_FOUND: Responses = {404: {"description": "No such request (or not your organisation's)"}}
CONFLICT: Responses = {409: {"description": "Stale version or move not allowed"}}
Department = Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)]


def _public(item: ResourceRequest, overdue: bool) -> RequestPublic:
    return RequestPublic.model_validate(item).model_copy(update={"overdue": overdue})


@router.post("", status_code=201)
def file_request(body: RequestCreate, actor: RequestsCreate, session: SessionDep) -> RequestPublic:
    """File a need; it is routed to a department with its SLA due date."""
    item = req.file_request(
        session,
        actor,
        community_area=body.community_area,
        need=body.need,
        description=body.description,
        organisation_id=body.organisation_id,
    )
    session.commit()
    return _public(item, False)


@router.get("")
def list_requests(
    actor: RequestsRead,
    session: SessionDep,
    department: Department = None,
    community_area: Annotated[int | None, Query(ge=1, le=77)] = None,
    status: req.RequestStatus | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[RequestPublic]:
    """Requests you may see (a community organisation: its own), oldest due first."""
    rows = req.list_requests(
        session,
        actor,
        department=department,
        community_area=community_area,
        status=status,
        overdue_only=overdue,
        limit=limit,
    )
    session.commit()
    return [_public(item, late) for item, late in rows]


@router.get("/summary")
def summary(actor: RequestsRead, session: SessionDep) -> list[RequestSummary]:
    """Per department and area: filed, open, overdue, closed on time, median days to close."""
    rows = req.summary(session, actor, today=local_today(session))
    return [RequestSummary(**vars(r)) for r in rows]


@router.get("/{request_id}", responses=NOT_FOUND)
def read_request(request_id: PathId, actor: RequestsRead, session: SessionDep) -> RequestDetail:
    item, events = req.read_request(session, actor, request_id)
    session.commit()
    base = _public(item, req.is_overdue(item, local_today(session)))
    return RequestDetail(
        **base.model_dump(), events=[RequestEventOut.model_validate(e) for e in events]
    )


@router.post("/{request_id}/status", responses={**NOT_FOUND, **CONFLICT})
def move(
    request_id: PathId, body: RequestStatusIn, actor: RequestsManage, session: SessionDep
) -> RequestPublic:
    """Work a request: in progress, resolved or declined (with an outcome), or reopened."""
    item = req.move(
        session,
        actor,
        request_id=request_id,
        version=body.version,
        to_status=req.RequestStatus(body.to_status),
        note=body.note,
        outcome=body.outcome,
    )
    session.commit()
    return _public(item, req.is_overdue(item, local_today(session)))
