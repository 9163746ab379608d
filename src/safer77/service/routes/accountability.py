"""Use-of-force and body-camera records: the 30-day release clock, overdue list, on-time %."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from safer77.service import accountability as acc
from safer77.service import audit
from safer77.service.clock import local_today
from safer77.service.deps import AccountabilityRead, AccountabilityWrite, Responses, SessionDep
from safer77.service.models import Release
from safer77.service.release import due_date, on_time_figures
from safer77.service.schemas import (
    Day,
    OnTimeMonth,
    OverdueItem,
    PathId,
    ReasonIn,
    ReleaseCreate,
    ReleasePublic,
    StageIn,
)

router = APIRouter(prefix="/releases", tags=["accountability"])
Kind = Annotated[Literal["use_of_force", "body_camera"] | None, Query()]
NOT_FOUND: Responses = {404: {"description": "No such record"}}
CONFLICT: Responses = {409: {"description": "Stale version or stage out of order"}}


def public(item: Release) -> ReleasePublic:
    return ReleasePublic.model_validate(
        {
            **{c: getattr(item, c) for c in ReleasePublic.model_fields if c != "due_date"},
            "due_date": due_date(item.incident_date),
        }
    )


@router.post("", status_code=201, responses=CONFLICT)
def create(body: ReleaseCreate, actor: AccountabilityWrite, session: SessionDep) -> ReleasePublic:
    item = acc.create_release(session, actor, **body.model_dump())
    session.commit()
    return public(item)


@router.get("/overdue")
def overdue(
    actor: AccountabilityRead,
    session: SessionDep,
    as_of: Day | None = None,
    kind: Kind = None,
) -> list[OverdueItem]:
    """Records past their due date and not posted, with days late and a reason code."""
    rows = acc.overdue(session, today=as_of or local_today(session), kind=kind)
    out = [
        OverdueItem(**public(item).model_dump(), days_late=late, reason=reason)
        for item, late, reason in rows
    ]
    audit.record(session, actor, "read", "release_list", None, ids=[o.id for o in out])
    session.commit()
    return out


@router.get("/on-time")
def on_time(
    actor: AccountabilityRead,
    session: SessionDep,
    as_of: Day | None = None,
    kind: Kind = None,
) -> list[OnTimeMonth]:
    """Share of releases posted on time, by the month they were due (with 95% intervals)."""
    rows = acc.on_time(session, today=as_of or local_today(session), kind=kind)
    return [OnTimeMonth(**on_time_figures(r)) for r in rows]


@router.get("/{release_id}", responses=NOT_FOUND)
def read(release_id: PathId, actor: AccountabilityRead, session: SessionDep) -> ReleasePublic:
    item = public(acc.get_release(session, release_id))
    audit.record(session, actor, "read", "release", release_id)
    session.commit()
    return item


@router.post("/{release_id}/stage", responses={**NOT_FOUND, **CONFLICT})
def advance(
    release_id: PathId, body: StageIn, actor: AccountabilityWrite, session: SessionDep
) -> ReleasePublic:
    item = acc.advance(
        session, actor, release_id=release_id, version=body.version, stage=body.stage, on=body.on
    )
    session.commit()
    return public(item)


@router.post("/{release_id}/reason", responses={**NOT_FOUND, **CONFLICT})
def reason(
    release_id: PathId, body: ReasonIn, actor: AccountabilityWrite, session: SessionDep
) -> ReleasePublic:
    item = acc.set_reason(
        session, actor, release_id=release_id, version=body.version, reason=body.reason_code
    )
    session.commit()
    return public(item)
