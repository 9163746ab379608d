"""Call intake: the city's text-to-911 gateway and call-taking software submit calls (a service
account of role ``intake``); dispatchers work the queue, supervisors read it."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request

from safer77.dispatch.policy import RESPONDERS
from safer77.service import intake
from safer77.service.auth import Actor
from safer77.service.deps import IntakeManage, IntakeRead, IntakeSubmit, Responses, SessionDep
from safer77.service.intake import CallStatus, Channel, Reason, Refused, Submission
from safer77.service.models import IntakeCall
from safer77.service.schemas import PathId
from safer77.service.schemas_intake import CallIn, CallOut, CallUpdate, RejectOut, TextIn

router = APIRouter(prefix="/intake", tags=["intake"])
# refused submissions are kept in intake_rejects before the answer
REFUSED: Responses = {
    409: {"description": "The same message from this sender is already a call (named)"},
    422: {"description": "Malformed, or abusive with no emergency described"},
    429: {"description": "Too many messages from this sender (Retry-After)"},
}
NOT_FOUND: Responses = {404: {"description": "No such call"}}
CONFLICT: Responses = {409: {"description": "Stale version or move not allowed"}}
STATUS = {
    Reason.abusive: 422,
    Reason.malformed: 422,
    Reason.repeated: 409,
    Reason.rate_limited: 429,
}
Responder = Annotated[str | None, Query(pattern="^(" + "|".join(RESPONDERS) + ")$")]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _out(call: IntakeCall, position: int | None) -> CallOut:
    return CallOut.model_validate(
        {
            **{name: getattr(call, name, None) for name in CallOut.model_fields},
            "flags": [f for f in call.flags.split(",") if f],
            "reasons": json.loads(call.reasons),
            "position": position,
        }
    )


def _submit(
    request: Request, session: SessionDep, actor: Actor, item: Submission, payload: object
) -> CallOut:
    """Accept (committed before the 201) or refuse (the reject committed before the 4xx)."""
    state = request.app.state
    try:
        call = intake.submit(session, actor, item, state.policy, state.intake_limits)
    except Refused as exc:
        session.rollback()
        intake.reject(
            session,
            actor,
            channel=item.channel,
            reason=exc.reason,
            status=STATUS[exc.reason],
            detail=str(exc),
            payload=payload,
            call_id=exc.call_id,
        )
        session.commit()
        raise exc.error from None
    session.commit()
    return _out(call, intake.position(session, call))


@router.post("/text", status_code=201, responses=REFUSED)
def submit_text(
    body: TextIn, request: Request, actor: IntakeSubmit, session: SessionDep
) -> CallOut:
    """A transit text-to-911 message: its words give the call type and flags (weapon,
    violence, injury), the triage policy the responder; it joins that responder's queue."""
    item = Submission(
        channel=Channel.text,
        text=body.text,
        sender=body.sender,
        station=body.station,
        route=body.route,
    )
    return _submit(request, session, actor, item, body.model_dump())


@router.post("/call", status_code=201, responses={422: REFUSED[422]})
def submit_call(
    body: CallIn, request: Request, actor: IntakeSubmit, session: SessionDep
) -> CallOut:
    """A call from the call-taking software: its event type and flags (plus flags its notes
    describe) are triaged; it joins the responder's queue."""
    item = Submission(
        channel=Channel.call,
        text=body.notes or "",
        sender=body.caller,
        location=body.location,
        district=body.district,
        call_type=body.call_type,
        flags=tuple(body.flags),
    )
    return _submit(request, session, actor, item, body.model_dump())


@router.get("/queue")
def read_queue(
    actor: IntakeRead,
    session: SessionDep,
    status: CallStatus = CallStatus.queued,
    responder: Responder = None,
    limit: Limit = 200,
) -> list[CallOut]:
    """Calls by status: queued ones per responder in queue order (priority, then arrival)
    with their positions; dispatched and closed ones newest first."""
    rows = intake.queue(session, actor, status=status, responder=responder, limit=limit)
    session.commit()
    return [_out(call, pos) for call, pos in rows]


@router.get("/calls/{call_id}", responses=NOT_FOUND)
def read_call(call_id: PathId, actor: IntakeRead, session: SessionDep) -> CallOut:
    call = intake.read_call(session, actor, call_id)
    session.commit()
    return _out(call, intake.position(session, call))


@router.patch("/calls/{call_id}", responses={**NOT_FOUND, **CONFLICT})
def move_call(
    call_id: PathId, body: CallUpdate, actor: IntakeManage, session: SessionDep
) -> CallOut:
    """Mark a call ``dispatched`` or ``closed`` (with the ``version`` you read; 409 if stale)."""
    call = intake.move(
        session,
        actor,
        call_id,
        version=body.version,
        status=CallStatus(body.status),
        note=body.note,
    )
    session.commit()
    return _out(call, None)


@router.get("/rejects")
def list_rejects(
    actor: IntakeRead, session: SessionDep, reason: Reason | None = None, limit: Limit = 200
) -> list[RejectOut]:
    """Refused submissions, newest first: why, what was answered, and what was sent."""
    rows = intake.list_rejects(session, actor, reason=reason, limit=limit)
    session.commit()
    return [RejectOut.model_validate(r, from_attributes=True) for r in rows]
