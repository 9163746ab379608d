"""Case statuses and the transitions between them (pure).

``charged`` means charges were approved (for example a warrant) while no one is yet in custody;
it is not a UCR clearance. ``cleared_arrest`` (arrested, charged and turned over for
prosecution) and ``cleared_exceptional`` (with a NIBRS code A–E) are the two UCR clearances.
``unfounded`` removes the offense from the counts. Any closed status can be reopened, which
takes the case back to ``investigating`` and withdraws its clearance.
"""

from __future__ import annotations

from enum import StrEnum

from safer77.errors import Conflict, InvalidInput


class CaseStatus(StrEnum):
    open = "open"
    investigating = "investigating"
    suspect_identified = "suspect_identified"
    charged = "charged"
    cleared_arrest = "cleared_arrest"
    cleared_exceptional = "cleared_exceptional"
    unfounded = "unfounded"
    suspended_cold = "suspended_cold"


class ExceptionalCode(StrEnum):
    """NIBRS exceptional-clearance codes."""

    A = "A"  # death of offender
    B = "B"  # prosecution declined (bar to prosecute)
    C = "C"  # in custody of another jurisdiction (extradition denied)
    D = "D"  # victim refused to cooperate
    E = "E"  # juvenile, no custody


EXCEPTIONAL_MEANING: dict[ExceptionalCode, str] = {
    ExceptionalCode.A: "death of offender",
    ExceptionalCode.B: "prosecution declined",
    ExceptionalCode.C: "in custody of other jurisdiction",
    ExceptionalCode.D: "victim refused to cooperate",
    ExceptionalCode.E: "juvenile, no custody",
}

S = CaseStatus
CLOSED = frozenset({S.cleared_arrest, S.cleared_exceptional, S.unfounded, S.suspended_cold})
CLEARED = frozenset({S.cleared_arrest, S.cleared_exceptional})
ACTIVE = frozenset({S.open, S.investigating, S.suspect_identified, S.charged})

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.open: frozenset(
        {S.investigating, S.cleared_arrest, S.cleared_exceptional, S.unfounded, S.suspended_cold}
    ),
    S.investigating: frozenset(
        {
            S.suspect_identified,
            S.cleared_arrest,
            S.cleared_exceptional,
            S.unfounded,
            S.suspended_cold,
        }
    ),
    S.suspect_identified: frozenset(
        {S.investigating, S.charged, S.cleared_arrest, S.cleared_exceptional, S.suspended_cold}
    ),
    S.charged: frozenset({S.cleared_arrest, S.cleared_exceptional, S.investigating}),
    # closed statuses: only a reopen
    S.cleared_arrest: frozenset({S.investigating}),
    S.cleared_exceptional: frozenset({S.investigating}),
    S.unfounded: frozenset({S.investigating}),
    S.suspended_cold: frozenset({S.investigating}),
}


def check_transition(
    current: CaseStatus, target: CaseStatus, exceptional_code: ExceptionalCode | None
) -> None:
    """Raise :class:`Conflict` for a transition the workflow does not allow, and
    :class:`InvalidInput` when the exceptional-clearance code is missing or misplaced."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise Conflict(f"a case that is {current} cannot become {target} (allowed: {allowed})")
    if target is S.cleared_exceptional and exceptional_code is None:
        raise InvalidInput(
            "an exceptional clearance needs its NIBRS code (A-E)", field="exceptional_code"
        )
    if target is not S.cleared_exceptional and exceptional_code is not None:
        raise InvalidInput(
            "an exceptional-clearance code only goes with cleared_exceptional",
            field="exceptional_code",
        )


def is_reopen(current: CaseStatus, target: CaseStatus) -> bool:
    """True when ``target`` takes a closed case back into work."""
    return current in CLOSED and target is S.investigating
