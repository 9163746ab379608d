"""Review queues: the flagged groups of a low-clearance study and their unsolved cases, for
review in the service. Restricted: case numbers never leave the service (the public site shows
counts per area only), and every read and write is audited.

Who sees what (the permission is the route's; the scope is here):

- supervisors read and work every queue; auditors read every queue (oversight);
- the task force reads and works the women-victims queues only, whichever unit holds a case;
- a detective reads the items whose case belongs to the detective's unit, and nothing else: no
  group without one of them, no case numbers missing from the service;
- analysts, coordinators, community users and administrators: nothing (they hold no case
  numbers anywhere in the service).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from safer77.errors import Conflict, InvalidInput, NotFound
from safer77.service import audit
from safer77.service.auth import Actor, Forbidden, own_unit
from safer77.service.cases import check_version
from safer77.service.models import Case, ReviewGroup, ReviewItem, ReviewQueue, User
from safer77.service.permissions import UNIT_SCOPED, Permission, Role, allows

if TYPE_CHECKING:
    from safer77.solve.study import Study

Ts = TypeVarTuple("Ts")
CHUNK = 500  # case numbers per IN (...) lookup


class QueueKind(StrEnum):
    low_clearance = "low_clearance"
    women_victims = "women_victims"


class ItemStatus(StrEnum):
    pending = "pending"
    under_review = "under_review"
    reopened = "reopened"  # the review found grounds to reopen (the case itself moves in /cases)
    no_action = "no_action"


@dataclass(frozen=True)
class Published:
    queue_id: int
    groups: int
    items: int
    # per flagged group (its key), the unsolved case numbers the service holds no case for
    missing: list[tuple[dict[str, str], list[str]]]


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _check_kind(actor: Actor, kind: QueueKind) -> None:
    if actor.role is Role.task_force and kind is not QueueKind.women_victims:
        raise Forbidden("the task force works the women-victims queues only")


def _cases_by_number(
    session: Session, numbers: Sequence[str], *, women: bool
) -> dict[str, list[tuple[int, int | None, datetime]]]:
    """The service's homicide cases carrying each number (a case with several victims has one
    per victim; for the women-victims queue, the female victims' only)."""
    found: dict[str, list[tuple[int, int | None, datetime]]] = defaultdict(list)
    for start in range(0, len(numbers), CHUNK):
        stmt = select(Case.id, Case.case_number, Case.community_area, Case.offense_at).where(
            Case.crime_type == "HOMICIDE", Case.case_number.in_(numbers[start : start + CHUNK])
        )
        if women:
            stmt = stmt.where(Case.victim_sex == "F")
        for case_id, number, area, at in session.execute(stmt.order_by(Case.id)):
            found[number].append((case_id, area, at))
    return found


def publish_queue(
    session: Session, actor: Actor, study: Study, kind: QueueKind | str, name: str
) -> Published:
    """Write ``study``'s flagged groups as a review queue called ``name``: each group with its
    test, and one pending item per service case carrying one of its unsolved case numbers.
    Numbers the service holds no case for are kept with the group and returned (never
    dropped). The caller commits."""
    kind = QueueKind(kind)
    if not allows(actor.role, Permission.review_manage):
        raise Forbidden(f"role {actor.role} may not {Permission.review_manage}")
    _check_kind(actor, kind)
    name = name.strip()
    if not name or len(name) > 120 or not name.isprintable():
        raise InvalidInput("a queue name is one line of 1 to 120 characters", field="name")
    if kind is QueueKind.women_victims and not study.women_only:
        raise InvalidInput("a women-victims queue is published from a study of female victims")
    if session.scalars(select(ReviewQueue.id).where(ReviewQueue.name == name)).first():
        raise Conflict(f"a review queue called {name!r} already exists")
    flagged = [g for g in study.groups if g.flagged]
    numbers = sorted({n for g in flagged for n in g.unsolved})
    found = _cases_by_number(session, numbers, women=kind is QueueKind.women_victims)
    placed: dict[str, tuple[int | None, int]] = {}  # where the study placed each number
    for c in study.linkage.linked:
        placed.setdefault(c.record.rd_number, (c.community_area, c.record.injury_at.year))
    queue = ReviewQueue(
        name=name,
        kind=kind.value,
        created_at=audit.now(),
        created_by=actor.user_id,
        parameters=_dumps(study.parameters()),
    )
    session.add(queue)
    session.flush()
    items = 0
    missing: list[tuple[dict[str, str], list[str]]] = []
    for g in flagged:
        unsolved = list(dict.fromkeys(g.unsolved))
        absent = [n for n in unsolved if n not in found]
        group = ReviewGroup(
            queue_id=queue.id,
            key=_dumps(g.key),
            cases=g.n,
            cleared=g.cleared,
            rate=g.rate,
            expected_rate=g.expected_rate,
            p_value=g.p_value,
            q_value=g.q_value,
            missing=_dumps(absent),
        )
        session.add(group)
        session.flush()
        for number in unsolved:
            for case_id, area, at in found.get(number, []):
                area, year = placed.get(number, (area, at.year))
                session.add(
                    ReviewItem(
                        group_id=group.id,
                        case_id=case_id,
                        community_area=area,
                        year=year,
                        status=ItemStatus.pending.value,
                    )
                )
                items += 1
        if absent:
            missing.append((g.key, absent))
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "review_queue",
        queue.id,
        kind=kind.value,
        groups=len(flagged),
        items=items,
        missing=sum(len(m) for _, m in missing),
    )
    return Published(queue.id, len(flagged), items, missing)


def publish_to_service(
    database_url: str, username: str, study: Study, kind: QueueKind | str, name: str
) -> Published:
    """:func:`publish_queue` in one transaction on the service's database, as the active
    user ``username`` (who must hold ``review:manage``)."""
    from safer77.service.db import migrated_engine, session_factory, transaction

    with migrated_engine(database_url) as engine, transaction(session_factory(engine)) as s:
        user = s.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            raise NotFound(f"no active service user {username!r}")
        actor = Actor(user_id=user.id, role=Role(user.role), unit_id=user.unit_id)
        return publish_queue(s, actor, study, kind, name)


# --- reading and working the queues -------------------------------------------------------


def _kinds(stmt: Select[*Ts], actor: Actor) -> Select[*Ts]:
    """The task force sees the women-victims queues only."""
    if actor.role is Role.task_force:
        return stmt.where(ReviewQueue.kind == QueueKind.women_victims.value)
    return stmt


@dataclass(frozen=True)
class ItemView:
    item: ReviewItem
    queue_id: int
    case_number: str
    case_status: str


@dataclass(frozen=True)
class GroupView:
    group: ReviewGroup
    missing: list[str]
    items: list[ItemView]


@dataclass(frozen=True)
class QueueSummary:
    queue: ReviewQueue
    groups: int
    items: int
    pending: int


def _items(actor: Actor) -> Select[ReviewItem, int, str, str]:
    """Items the actor may see, with their queue, case number and case status."""
    stmt = (
        select(ReviewItem, ReviewGroup.queue_id, Case.case_number, Case.status)
        .join(ReviewGroup, ReviewGroup.id == ReviewItem.group_id)
        .join(ReviewQueue, ReviewQueue.id == ReviewGroup.queue_id)
        .join(Case, Case.id == ReviewItem.case_id)
    )
    return own_unit(_kinds(stmt, actor), actor, Case.unit_id)


def _order(view: ItemView) -> tuple[int, int, int, str]:
    """By area (unplaced last), year and case number: the task force's list by area and year."""
    area = view.item.community_area
    return (area is None, area or 0, view.item.year, view.case_number)


def list_queues(session: Session, actor: Actor) -> list[QueueSummary]:
    """Queues the actor may see, newest first, with counts of the items it may see (a
    detective: only queues holding one of the unit's cases)."""
    queues = session.scalars(_kinds(select(ReviewQueue), actor).order_by(ReviewQueue.id.desc()))
    groups: dict[int, set[int]] = defaultdict(set)
    items: dict[int, list[str]] = defaultdict(list)
    for item, queue_id, _, _ in session.execute(_items(actor)):
        groups[queue_id].add(item.group_id)
        items[queue_id].append(item.status)
    scoped = actor.role in UNIT_SCOPED
    if not scoped:
        for group_id, queue_id in session.execute(select(ReviewGroup.id, ReviewGroup.queue_id)):
            groups[queue_id].add(group_id)
    out = [
        QueueSummary(
            q,
            len(groups[q.id]),
            len(items[q.id]),
            sum(s == ItemStatus.pending.value for s in items[q.id]),
        )
        for q in queues
        if not scoped or items[q.id]
    ]
    audit.record(session, actor, "read", "review_queue_list", None, ids=[s.queue.id for s in out])
    return out


def read_queue(
    session: Session, actor: Actor, queue_id: int
) -> tuple[ReviewQueue, list[GroupView]]:
    """A queue's groups and the items the actor may see (audited: it lists case numbers)."""
    queue = session.scalars(_kinds(select(ReviewQueue), actor).where(ReviewQueue.id == queue_id))
    found = queue.first()
    if found is None:
        raise NotFound(f"review queue {queue_id} not found")
    by_group: dict[int, list[ItemView]] = defaultdict(list)
    for item, qid, number, status in session.execute(
        _items(actor).where(ReviewGroup.queue_id == queue_id)
    ):
        by_group[item.group_id].append(ItemView(item, qid, number, status))
    scoped = actor.role in UNIT_SCOPED
    groups = [
        GroupView(g, [] if scoped else json.loads(g.missing), sorted(by_group[g.id], key=_order))
        for g in session.scalars(
            select(ReviewGroup).where(ReviewGroup.queue_id == queue_id).order_by(ReviewGroup.id)
        )
        if not scoped or by_group[g.id]
    ]
    if scoped and not groups:  # as if it did not exist, like another unit's case
        raise NotFound(f"review queue {queue_id} not found")
    audit.record(
        session,
        actor,
        "read",
        "review_queue",
        queue_id,
        items=[v.item.id for g in groups for v in g.items],
    )
    return found, groups


def update_item(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    version: int,
    status: ItemStatus | None = None,
    note: str | None = None,
) -> ItemView:
    """Move an item's review on (``status``) and/or note it, from the ``version`` read."""
    row = session.execute(_items(actor).where(ReviewItem.id == item_id)).first()
    if row is None:
        raise NotFound(f"review item {item_id} not found")
    item, queue_id, number, case_status = row
    check_version(item, version, "review item")
    fields = []
    if status is not None:
        item.status = status.value
        fields.append("status")
    if note is not None:
        item.note = note
        fields.append("note")
    if not fields:
        raise InvalidInput("send a status or a note")
    item.reviewed_by = actor.user_id
    item.reviewed_at = audit.now()
    session.flush()
    audit.record(session, actor, "update", "review_item", item.id, fields=fields)
    return ItemView(item, queue_id, number, case_status)
