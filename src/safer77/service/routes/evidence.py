"""Evidence: items of a case, custody hand-offs, attached files' hashes, the lab backlog."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from safer77.errors import InvalidInput
from safer77.service import evidence
from safer77.service.auth import Actor
from safer77.service.clock import to_local
from safer77.service.deps import EvidenceRead, EvidenceWrite, Responses, SessionDep, SettingsDep
from safer77.service.schemas import (
    BacklogItem,
    CustodyIn,
    CustodyOut,
    EvidenceCreate,
    EvidenceDetail,
    EvidencePublic,
    EvidenceUpdate,
    FileOut,
    PathId,
)

router = APIRouter(tags=["evidence"])
NOT_FOUND: Responses = {404: {"description": "No such item (or not in your unit)"}}
CONFLICT: Responses = {409: {"description": "Stale version or duplicate item"}}
FileName = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")]
MAX_FILE = 2**31 - 1  # evidence_files.size is a 32-bit integer (guard.LARGE allows as much)


@router.post("/cases/{case_id}/evidence", status_code=201, responses={**NOT_FOUND, **CONFLICT})
def add_item(
    case_id: PathId, body: EvidenceCreate, actor: EvidenceWrite, session: SessionDep
) -> EvidencePublic:
    item = evidence.add_item(
        session,
        actor,
        case_id=case_id,
        **body.model_dump() | {"collected_at": to_local(body.collected_at, session)},
    )
    session.commit()
    return EvidencePublic.model_validate(item)


@router.get("/cases/{case_id}/evidence", responses=NOT_FOUND)
def case_items(case_id: PathId, actor: EvidenceRead, session: SessionDep) -> list[EvidencePublic]:
    items = evidence.case_items(session, actor, case_id)
    session.commit()
    return [EvidencePublic.model_validate(i) for i in items]


@router.get("/evidence/backlog")
def backlog(
    actor: EvidenceRead,
    session: SessionDep,
    settings: SettingsDep,
    days: Annotated[int | None, Query(ge=0, le=36500)] = None,
) -> list[BacklogItem]:
    """Items waiting at the lab longer than ``days`` (default: the lab_backlog_days setting)."""
    rows = evidence.lab_backlog(
        session, actor, days=settings.lab_backlog_days if days is None else days
    )
    session.commit()
    return [
        BacklogItem(**EvidencePublic.model_validate(i).model_dump(), days_at_lab=d) for i, d in rows
    ]


@router.get("/evidence/{evidence_id}", responses=NOT_FOUND)
def read_item(evidence_id: PathId, actor: EvidenceRead, session: SessionDep) -> EvidenceDetail:
    item, chain, files = evidence.read_item(session, actor, evidence_id)
    session.commit()
    return EvidenceDetail(
        **EvidencePublic.model_validate(item).model_dump(),
        custody=[CustodyOut.model_validate(c) for c in chain],
        files=[FileOut.model_validate(f) for f in files],
    )


@router.patch("/evidence/{evidence_id}", responses={**NOT_FOUND, **CONFLICT})
def update_item(
    evidence_id: PathId, body: EvidenceUpdate, actor: EvidenceWrite, session: SessionDep
) -> EvidencePublic:
    changes = {
        k: (to_local(v, session) if isinstance(v, datetime) else v)
        for k, v in body.model_dump(exclude={"version"}, exclude_unset=True).items()
    }
    item = evidence.update_item(
        session, actor, evidence_id=evidence_id, version=body.version, changes=changes
    )
    session.commit()
    return EvidencePublic.model_validate(item)


@router.post("/evidence/{evidence_id}/custody", status_code=201, responses=NOT_FOUND)
def hand_off(
    evidence_id: PathId, body: CustodyIn, actor: EvidenceWrite, session: SessionDep
) -> EvidencePublic:
    item = evidence.hand_off(
        session,
        actor,
        evidence_id=evidence_id,
        version=body.version,
        to_holder=body.to_holder,
        location=body.location,
        purpose=body.purpose,
        at=to_local(body.at, session) if body.at else None,
    )
    session.commit()
    return EvidencePublic.model_validate(item)


def _may_attach(session: Session, actor: Actor, evidence_id: int) -> None:
    evidence.visible_item(session, actor, evidence_id)
    session.rollback()


@router.put(
    "/evidence/{evidence_id}/files/{filename}",
    status_code=201,
    responses=NOT_FOUND,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def attach_file(
    evidence_id: PathId,
    filename: FileName,
    request: Request,
    actor: EvidenceWrite,
    session: SessionDep,
) -> FileOut:
    """Upload a file's bytes; the service records its SHA-256 and size, hashed as they stream."""
    # who may attach is settled before a byte is read; no connection is held while the bytes
    # arrive (a slow upload must not keep one from other requests)
    await run_in_threadpool(_may_attach, session, actor, evidence_id)
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FILE:
            raise InvalidInput(f"file larger than {MAX_FILE} bytes", field="body")
        digest.update(chunk)

    def save() -> FileOut:
        record = evidence.attach_file(
            session,
            actor,
            evidence_id=evidence_id,
            filename=filename,
            sha256=digest.hexdigest(),
            size=size,
        )
        session.commit()
        return FileOut.model_validate(record)

    return await run_in_threadpool(save)
