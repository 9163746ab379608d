"""Call intake (issue 7): transit text-to-911 messages and call-takers' entries become calls,
each with a triage decision (:mod:`safer77.dispatch.policy`) and a place in its responder's
queue; refused submissions are kept in ``intake_rejects``, so nothing sent is lost.

A text's call type and flags come from its words, by the small table below (first matching
call type wins; flags add up). A message with abusive words and nothing that describes an
emergency is refused; one with both is a call ("some f-ing guy has a gun" is a weapon call).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from safer77.dispatch.policy import Policy, triage
from safer77.errors import Conflict, InvalidInput, NotFound, Safer77Error
from safer77.service import audit, clock
from safer77.service.auth import Actor, TooManyAttempts
from safer77.service.cases import check_version
from safer77.service.models import IntakeCall, IntakeReject


class Channel(StrEnum):
    text = "text"
    call = "call"


class CallStatus(StrEnum):
    queued = "queued"
    dispatched = "dispatched"
    closed = "closed"


class Reason(StrEnum):
    malformed = "malformed"
    abusive = "abusive"
    repeated = "repeated"
    rate_limited = "rate_limited"


FLAGS = ("weapon", "violence", "injury")
S = CallStatus
MOVES: dict[CallStatus, frozenset[CallStatus]] = {
    S.queued: frozenset({S.dispatched, S.closed}),
    S.dispatched: frozenset({S.closed}),
    S.closed: frozenset(),
}
UNCLASSIFIED = "TRANSIT TEXT"  # no keyword matched: the policy's default responder takes it
PAYLOAD_MAX = 2000  # characters of a refused payload kept

# (call type, priority, phrases separated by |): the first row with a phrase in the text gives
# the call type. The names are the built-in policy's call types, or match its rules.
CALL_WORDS: tuple[tuple[str, int, str], ...] = (
    ("SHOTS FIRED", 1, "shots fired|shooting|shot|shots|gunshot|gunshots"),
    ("TROUBLE BREATHING", 1, "not breathing|can't breathe|cant breathe|trouble breathing|choking"),
    ("OVERDOSE", 1, "overdose|overdosing|od|narcan"),
    ("UNCONSCIOUS PERSON", 1, "unconscious|passed out|unresponsive|collapsed"),
    ("SUICIDE THREAT", 1, "suicide|suicidal|kill myself|end my life|kill himself|kill herself"),
    (
        "MENTAL HEALTH CASE",
        2,
        "mental health|hearing voices|psychotic|paranoid|panic attack|crisis",
    ),
    (
        "ASSAULT IN PROGRESS",
        1,
        "fight|fighting|attacking|attacked|assault|assaulted|punching|beating|hitting|stabbed"
        "|stabbing",
    ),
    ("ROBBERY IN PROGRESS", 1, "robbed|robbing|robbery|mugged|mugging"),
    ("DIP - DRUNK/INTOX PERSON", 3, "drunk|intoxicated|wasted"),
    ("ASSIST CITIZEN", 3, "homeless|sleeping|shelter"),
    (
        "DISORDERLY CONDUCT",
        2,
        "harassing|harassed|harassment|threatening|groping|groped|following me|yelling"
        "|screaming|exposing himself",
    ),
    ("SUSPICIOUS EVENT", 2, "suspicious|unattended bag|unattended package"),
)
# flags the triage policy can act on (the built-in one: any of them brings the police)
FLAG_WORDS: dict[str, str] = {
    "weapon": "gun|guns|pistol|knife|knives|blade|weapon|armed|shot|shots|shooting|stabbed"
    "|stabbing",
    "violence": "fight|fighting|attacking|attacked|assault|assaulted|punching|beating|hitting"
    "|stabbed|stabbing",
    "injury": "hurt|bleeding|blood|injured|injury|wounded",
}
ABUSIVE_WORDS = "fuck|fucking|fucker|motherfucker|shit|bitch|asshole|cunt"


def _pattern(phrases: str) -> re.Pattern[str]:
    """Any of the phrases, as whole words."""
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in phrases.split("|")) + r")\b")


_CALLS = [(name, priority, _pattern(words)) for name, priority, words in CALL_WORDS]
_FLAGS = [(flag, _pattern(words)) for flag, words in FLAG_WORDS.items()]
_ABUSE = _pattern(ABUSIVE_WORDS)


def _words(text: str) -> str:
    """Lower case, curly apostrophes straightened, runs of blanks made one space."""
    return " ".join(text.lower().replace("\u2019", "'").split())


def classify(text: str) -> tuple[str, int, tuple[str, ...]]:
    """The call type, its priority (1 emergency .. 3) and the flags a text describes."""
    words = _words(text)
    call_type, priority = next(
        ((name, p) for name, p, pattern in _CALLS if pattern.search(words)), (UNCLASSIFIED, 2)
    )
    flags = tuple(flag for flag, pattern in _FLAGS if pattern.search(words))
    return call_type, priority, flags


def is_abusive(text: str) -> bool:
    """Abusive words and nothing that describes an emergency."""
    call_type, _, flags = classify(text)
    return bool(_ABUSE.search(_words(text))) and call_type == UNCLASSIFIED and not flags


class Refused(Safer77Error):
    """A submission the intake refuses; kept as an ``intake_rejects`` row."""

    def __init__(self, reason: Reason, error: Safer77Error, call_id: int | None = None) -> None:
        super().__init__(str(error))
        self.reason = reason
        self.error = error
        self.call_id = call_id


@dataclass(frozen=True)
class Limits:
    rate: int  # texts per sender within the window
    window: int  # seconds


@dataclass(frozen=True)
class Submission:
    """What a gateway or a call-taker sent, validated."""

    channel: Channel
    text: str
    sender: str | None = None
    station: str | None = None
    route: str | None = None
    location: str | None = None
    district: int | None = None
    call_type: str | None = None  # a call-taker's event type; texts: from the words
    flags: tuple[str, ...] = ()


def hour_of_week(session: Session) -> int:
    now = clock.local_now(session)
    return now.weekday() * 24 + now.hour


def _lock_sender(session: Session, sender: str) -> None:
    """Serialise the submissions of one sender until the transaction ends, so two texts sent
    at once cannot both pass the rate limit or the repeat check. PostgreSQL: a transaction
    advisory lock on the sender; SQLite takes the database's write lock at once."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:sender))"), {"sender": sender})
    elif dialect == "sqlite":
        # a write in this transaction takes SQLite's RESERVED lock now, before the reads
        session.execute(text("UPDATE intake_calls SET id = id WHERE 0"))


def _check_sender(session: Session, item: Submission, limits: Limits, now: datetime) -> None:
    """Rate limit and repeats, per sender token, from the database (so every worker process
    counts the same submissions, and a restart forgets nothing)."""
    if item.sender is None:
        return
    _lock_sender(session, item.sender)
    since = now - timedelta(seconds=limits.window)
    recent = select(IntakeCall).where(IntakeCall.sender == item.sender)
    recent = recent.where(IntakeCall.received_at > since)
    stamps = list(session.scalars(recent.with_only_columns(IntakeCall.received_at)))
    stamps += session.scalars(
        select(IntakeReject.received_at).where(
            IntakeReject.sender == item.sender,
            IntakeReject.received_at > since,
            IntakeReject.reason != Reason.rate_limited.value,
        )
    )
    if len(stamps) >= limits.rate:
        retry = max(1, int((min(stamps) - since).total_seconds()) + 1)
        raise Refused(
            Reason.rate_limited,
            TooManyAttempts(
                f"too many messages from this sender ({len(stamps)} in {limits.window} s); "
                f"try again in {retry} s",
                retry_after=retry,
            ),
        )
    same = _words(item.text)
    for call in session.scalars(recent.order_by(IntakeCall.id)):
        if _words(call.text) == same:
            raise Refused(
                Reason.repeated,
                Conflict(
                    f"the same message from this sender is already call {call.id} "
                    f"({call.status}); send what has changed"
                ),
                call.id,
            )


def submit(
    session: Session, actor: Actor, item: Submission, policy: Policy, limits: Limits
) -> IntakeCall:
    """Triage a submission and queue it as a call; :class:`Refused` if it must be refused."""
    now = audit.now()
    if item.channel is Channel.text:
        _check_sender(session, item, limits, now)
        if is_abusive(item.text):
            raise Refused(
                Reason.abusive,
                InvalidInput(
                    "message refused as abusive: it describes no emergency; if you need help, "
                    "say what is happening and where",
                    field="text",
                ),
            )
        call_type, priority, flags = classify(item.text)
    else:
        call_type = (item.call_type or UNCLASSIFIED).upper()
        known = {c.name: c.priority for c in policy.calls}
        _, word_priority, said = classify(item.text)
        priority = known.get(call_type, word_priority)
        flags = tuple(f for f in FLAGS if f in item.flags or f in said)
    if flags:
        priority = 1
    decision = triage(policy, call_type, flags, hour_of_week(session))
    call = IntakeCall(
        channel=item.channel.value,
        received_at=now,
        submitted_by=actor.user_id,
        sender=item.sender,
        station=item.station,
        route=item.route,
        location=item.location,
        district=item.district,
        text=item.text,
        call_type=call_type,
        flags=",".join(flags),
        priority=priority,
        responder=decision.responder,
        rule=decision.rule[:120],
        reasons=json.dumps(list(decision.reasons)),
        status=S.queued.value,
    )
    session.add(call)
    session.flush()
    audit.record(session, actor, "create", "intake_call", call.id, responder=call.responder)
    return call


def reject(
    session: Session,
    actor: Actor | None,
    *,
    channel: Channel,
    reason: Reason,
    status: int,
    detail: str,
    payload: Any,
    call_id: int | None = None,
) -> IntakeReject:
    """Keep a refused submission: why, what was answered and what was sent (truncated)."""
    text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
    sender = payload.get("sender") if isinstance(payload, dict) else None
    row = IntakeReject(
        channel=channel.value,
        received_at=audit.now(),
        reason=reason.value,
        status=status,
        detail=_clean(detail)[:4000],
        sender=_clean(sender)[:64] if isinstance(sender, str) and sender else None,
        submitted_by=actor.user_id if actor else None,
        call_id=call_id,
        payload=_clean(text)[:PAYLOAD_MAX],
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "intake_reject", row.id, reason=reason.value)
    return row


def _clean(text: str) -> str:
    """Control characters as escapes (PostgreSQL refuses NUL in text)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)


def positions(session: Session, responder: str) -> dict[int, int]:
    """Call id -> position (1 first) in a responder's queue: priority, then arrival."""
    ids = session.scalars(
        select(IntakeCall.id)
        .where(IntakeCall.status == S.queued.value, IntakeCall.responder == responder)
        .order_by(IntakeCall.priority, IntakeCall.id)
    )
    return {call_id: n for n, call_id in enumerate(ids, start=1)}


def position(session: Session, call: IntakeCall) -> int | None:
    if call.status != S.queued.value:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(IntakeCall)
        .where(
            IntakeCall.status == S.queued.value,
            IntakeCall.responder == call.responder,
            (IntakeCall.priority < call.priority)
            | ((IntakeCall.priority == call.priority) & (IntakeCall.id < call.id)),
        )
    )
    return int(ahead or 0) + 1


def queue(
    session: Session,
    actor: Actor,
    *,
    status: CallStatus = S.queued,
    responder: str | None = None,
    limit: int = 200,
) -> list[tuple[IntakeCall, int | None]]:
    """Calls with a status (queued: in queue order, each with its position in its responder's
    queue; dispatched and closed: newest first)."""
    stmt = select(IntakeCall).where(IntakeCall.status == status.value)
    if responder:
        stmt = stmt.where(IntakeCall.responder == responder)
    if status is S.queued:
        stmt = stmt.order_by(IntakeCall.responder, IntakeCall.priority, IntakeCall.id)
    else:
        stmt = stmt.order_by(IntakeCall.id.desc())
    calls = list(session.scalars(stmt.limit(limit)))
    ranks: dict[str, dict[int, int]] = {}
    if status is S.queued:
        ranks = {r: positions(session, r) for r in {c.responder for c in calls}}
    audit.record(session, actor, "read", "intake_queue", None, ids=[c.id for c in calls])
    return [(c, ranks.get(c.responder, {}).get(c.id)) for c in calls]


def _call(session: Session, call_id: int) -> IntakeCall:
    call = session.get(IntakeCall, call_id)
    if call is None:
        raise NotFound(f"call {call_id} not found")
    return call


def read_call(session: Session, actor: Actor, call_id: int) -> IntakeCall:
    call = _call(session, call_id)
    audit.record(session, actor, "read", "intake_call", call.id)
    return call


def move(
    session: Session,
    actor: Actor,
    call_id: int,
    *,
    version: int,
    status: CallStatus,
    note: str | None = None,
) -> IntakeCall:
    """Dispatch or close a call, with the version read (409 if stale)."""
    call = _call(session, call_id)
    check_version(call, version, "call")
    current = CallStatus(call.status)
    if status not in MOVES[current]:
        raise Conflict(f"a call that is {current} cannot become {status}")
    call.status = status.value
    call.handled_by = actor.user_id
    call.handled_at = audit.now()
    if note is not None:
        call.note = note
    session.flush()
    audit.record(session, actor, "update", "intake_call", call.id, status=status.value)
    return call


def list_rejects(
    session: Session, actor: Actor, *, reason: Reason | None = None, limit: int = 200
) -> list[IntakeReject]:
    stmt = select(IntakeReject).order_by(IntakeReject.id.desc()).limit(limit)
    if reason is not None:
        stmt = stmt.where(IntakeReject.reason == reason.value)
    rows = list(session.scalars(stmt))
    audit.record(session, actor, "read", "intake_rejects", None, ids=[r.id for r in rows])
    return rows
