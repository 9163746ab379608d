"""Request and response models of the call intake."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from safer77.service.intake import CallStatus, Channel, Reason
from safer77.service.schemas import ONE_LINE, PRINTABLE, District, Name, Strict, Version

STATION = r"^[A-Za-z0-9][A-Za-z0-9 .'&/()-]*$"
L_LINES = ("Red", "Blue", "Brown", "Green", "Orange", "Pink", "Purple", "Yellow")
# a bus route (9, 49B, X9, J14, N5) or an 'L' line by its colour
ROUTE = re.compile(r"^(?:[0-9]{1,3}[A-Z]?|[A-Z][0-9]{1,3})$")


def _opaque(token: str) -> str:
    if not any(ch.isalpha() for ch in token):
        raise ValueError("the sender token must be the gateway's opaque id, never a phone number")
    return token


def _route(route: str) -> str:
    line = route.capitalize()
    if line in L_LINES:
        return line
    if not ROUTE.match(route.upper()):
        raise ValueError(f"not a bus route (e.g. 9, 49B, X9) or an 'L' line ({', '.join(L_LINES)})")
    return route.upper()


SenderToken = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{8,64}$"),
    AfterValidator(_opaque),
    Field(description="The gateway's opaque id of the sender (8-64 letters, digits, - or _; "
          "never a phone number): messages are rate-limited per token."),
]  # fmt: skip
Station = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=64, pattern=STATION),
    Field(description="The 'L' station or bus stop, e.g. Jackson, 95th/Dan Ryan."),
]  # fmt: skip
Route = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=6, pattern=ONE_LINE),
    AfterValidator(_route),
    Field(description="A bus route (9, 49B, X9, J14) or an 'L' line (Red, Blue...)."),
]
Message = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000, pattern=PRINTABLE)
]
CallType = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, min_length=1, max_length=64, pattern=ONE_LINE
    ),
    Field(description="The 911 event type, e.g. MENTAL HEALTH CASE, SHOTS FIRED."),
]
Flag = Literal["weapon", "violence", "injury"]


class TextIn(Strict):
    """A transit text-to-911 message as the gateway forwards it."""

    sender: SenderToken
    station: Station | None = None
    route: Route | None = None
    text: Message

    @model_validator(mode="after")
    def _where(self) -> Self:
        if self.station is None and self.route is None:
            raise ValueError("give the station or the bus route (or both)")
        return self


class CallIn(Strict):
    """A call as the call-taking software records it."""

    call_type: CallType
    flags: Annotated[list[Flag], Field(max_length=3)] = Field(default_factory=list)
    location: Name = Field(description="Block-level address or place.")
    district: District | None = None
    notes: Message | None = None
    caller: SenderToken | None = None


class CallOut(BaseModel):
    id: int
    channel: Channel
    received_at: datetime = Field(description="UTC.")
    sender: str | None
    station: str | None
    route: str | None
    location: str | None
    district: int | None
    text: str
    call_type: str
    flags: list[str]
    priority: int = Field(description="1 (emergency) to 3.")
    responder: str = Field(description="police, crisis, co_response or ems.")
    rule: str
    reasons: list[str] = Field(description="The triage decision, rule by rule.")
    status: CallStatus
    position: int | None = Field(
        description="Place in its responder's queue (1: next); none once dispatched or closed."
    )
    note: str | None
    handled_by: int | None
    handled_at: datetime | None
    version: int


class CallUpdate(Strict):
    version: Version
    status: Literal["dispatched", "closed"]
    note: Message | None = None


class RejectOut(BaseModel):
    id: int
    channel: Channel
    received_at: datetime = Field(description="UTC.")
    reason: Reason
    status: int = Field(description="The HTTP status answered.")
    detail: str = Field(description="The error answered.")
    sender: str | None
    submitted_by: int | None
    call_id: int | None = Field(description="A repeat: the call it repeats.")
    payload: str = Field(description="What was sent, as received (first 2,000 characters).")
