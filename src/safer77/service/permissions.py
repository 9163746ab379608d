"""Roles and what each may do. Every route declares one :class:`Permission` (or is public)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    detective = "detective"
    analyst = "analyst"
    auditor = "auditor"
    coordinator = "coordinator"  # Community Safety Coordination Center staff
    community = "community"  # a block club or community organisation (its unit)
    # the task force on missing and murdered women: the women-victims review queues only
    task_force = "task_force"
    # the city's text-to-911 gateway and call-taking software (a service account): submits calls
    intake = "intake"
    dispatcher = "dispatcher"  # works the intake queue: dispatches and closes calls


class Permission(StrEnum):
    users_manage = "users:manage"
    cases_read = "cases:read"
    cases_write = "cases:write"
    cases_assign = "cases:assign"
    evidence_read = "evidence:read"
    evidence_write = "evidence:write"
    caseload_read = "caseload:read"
    clearance_read = "clearance:read"
    accountability_read = "accountability:read"
    accountability_write = "accountability:write"
    audit_read = "audit:read"
    requests_create = "requests:create"
    requests_read = "requests:read"
    requests_manage = "requests:manage"
    clubs_read = "clubs:read"
    clubs_manage = "clubs:manage"
    town_halls_read = "town_halls:read"
    town_halls_manage = "town_halls:manage"
    review_read = "review:read"
    review_manage = "review:manage"
    intake_submit = "intake:submit"
    intake_read = "intake:read"
    intake_manage = "intake:manage"
    me = "me"  # any signed-in user


P = Permission
CIVIC_READ = frozenset({P.clubs_read, P.town_halls_read})
CIVIC_MANAGE = frozenset({P.clubs_manage, P.town_halls_manage})
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # admins also keep the block-club registry and the town-hall calendar (no cases, no requests)
    Role.admin: frozenset({P.users_manage, P.me}) | CIVIC_READ | CIVIC_MANAGE,
    Role.supervisor: frozenset(
        {
            P.cases_read,
            P.cases_write,
            P.cases_assign,
            P.evidence_read,
            P.evidence_write,
            P.caseload_read,
            P.clearance_read,
            P.accountability_read,
            P.accountability_write,
            P.review_read,
            P.review_manage,
            P.intake_read,
            P.me,
        }
    )
    | CIVIC_READ,
    # a detective's case, evidence and review permissions are limited to the detective's own
    # unit (review queues: the items whose case is the unit's)
    Role.detective: frozenset(
        {
            P.cases_read,
            P.cases_write,
            P.evidence_read,
            P.evidence_write,
            P.caseload_read,
            P.review_read,
            P.me,
        }
    ),
    # analysts work on aggregates: no case numbers, so no review queues
    Role.analyst: frozenset({P.clearance_read, P.accountability_read, P.me}) | CIVIC_READ,
    # auditors oversee that flagged cases are reviewed: they read the queues, never work them
    Role.auditor: frozenset(
        {P.audit_read, P.clearance_read, P.accountability_read, P.review_read, P.me}
    ),
    Role.coordinator: frozenset({P.requests_create, P.requests_read, P.requests_manage, P.me})
    | CIVIC_READ
    | CIVIC_MANAGE,
    # a community user's unit is its organisation (its block club): it files and follows its
    # own requests and reads its own club only; town halls are public meetings
    Role.community: frozenset({P.requests_create, P.requests_read, P.me}) | CIVIC_READ,
    # reads and works the women-victims review queues across units; nothing else
    Role.task_force: frozenset({P.review_read, P.review_manage, P.me}),
    # a gateway submits calls and reads nothing back but its own answers
    Role.intake: frozenset({P.intake_submit, P.me}),
    # dispatchers read and work the intake queue; supervisors read it (oversight)
    Role.dispatcher: frozenset({P.intake_read, P.intake_manage, P.me}),
}

UNIT_SCOPED: frozenset[Role] = frozenset({Role.detective, Role.community})


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
