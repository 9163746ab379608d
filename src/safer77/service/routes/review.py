"""Review queues of flagged low-clearance groups and their unsolved cases (restricted; every
read is audited). Queues are published from a study with ``safer77 solve clusters
--to-service NAME``."""

from __future__ import annotations

import json

from fastapi import APIRouter

from safer77.service import review
from safer77.service.deps import Responses, ReviewManage, ReviewRead, SessionDep
from safer77.service.models import ReviewQueue
from safer77.service.schemas import PathId
from safer77.service.schemas_review import GroupOut, ItemOut, ItemUpdate, QueueDetail, QueueOut

router = APIRouter(prefix="/review", tags=["review"])
NOT_FOUND: Responses = {404: {"description": "No such queue or item (or not yours to see)"}}
CONFLICT: Responses = {409: {"description": "Stale version"}}


def _queue(q: ReviewQueue, groups: int, items: int, pending: int) -> dict[str, object]:
    return {
        "id": q.id,
        "name": q.name,
        "kind": q.kind,
        "created_at": q.created_at,
        "created_by": q.created_by,
        "parameters": json.loads(q.parameters),
        "groups": groups,
        "items": items,
        "pending": pending,
    }


def _item(v: review.ItemView) -> ItemOut:
    i = v.item
    return ItemOut(
        id=i.id,
        case_id=i.case_id,
        case_number=v.case_number,
        case_status=v.case_status,
        community_area=i.community_area,
        year=i.year,
        status=review.ItemStatus(i.status),
        note=i.note,
        reviewed_by=i.reviewed_by,
        reviewed_at=i.reviewed_at,
        version=i.version,
    )


@router.get("/queues")
def list_queues(actor: ReviewRead, session: SessionDep) -> list[QueueOut]:
    """Review queues you may see, newest first (the task force: the women-victims queues; a
    detective: those holding one of the unit's cases)."""
    rows = review.list_queues(session, actor)
    session.commit()
    return [QueueOut(**_queue(s.queue, s.groups, s.items, s.pending)) for s in rows]


@router.get("/queues/{queue_id}", responses=NOT_FOUND)
def read_queue(queue_id: PathId, actor: ReviewRead, session: SessionDep) -> QueueDetail:
    """A queue's flagged groups, each with its test, its unsolved cases (case numbers, the
    case's status now, area and year) and the numbers the service holds no case for."""
    queue, groups = review.read_queue(session, actor, queue_id)
    session.commit()
    items = [v for g in groups for v in g.items]
    out = [
        GroupOut(
            id=g.group.id,
            key=json.loads(g.group.key),
            cases=g.group.cases,
            cleared=g.group.cleared,
            rate=g.group.rate,
            expected_rate=g.group.expected_rate,
            p_value=g.group.p_value,
            q_value=g.group.q_value,
            missing=g.missing,
            items=[_item(v) for v in g.items],
        )
        for g in groups
    ]
    pending = sum(v.item.status == review.ItemStatus.pending for v in items)
    return QueueDetail(**_queue(queue, len(groups), len(items), pending), group_list=out)


@router.patch("/items/{item_id}", responses={**NOT_FOUND, **CONFLICT})
def update_item(
    item_id: PathId, body: ItemUpdate, actor: ReviewManage, session: SessionDep
) -> ItemOut:
    """Record where an item's review stands (``pending``, ``under_review``, ``reopened``,
    ``no_action``) and/or a note, with the ``version`` you read (409 if stale). Reopening the
    case itself is a case transition (``/cases/{id}/status``)."""
    view = review.update_item(
        session, actor, item_id, version=body.version, status=body.status, note=body.note
    )
    session.commit()
    return _item(view)
