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
    me = "me"  # any signed-in user


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset({P.users_manage, P.me}),
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
            P.me,
        }
    ),
    # a detective's case and evidence permissions are limited to the detective's own unit
    Role.detective: frozenset(
        {P.cases_read, P.cases_write, P.evidence_read, P.evidence_write, P.caseload_read, P.me}
    ),
    Role.analyst: frozenset({P.clearance_read, P.accountability_read, P.me}),
    Role.auditor: frozenset({P.audit_read, P.clearance_read, P.accountability_read, P.me}),
    Role.coordinator: frozenset({P.requests_create, P.requests_read, P.requests_manage, P.me}),
    # a community user's unit is its organisation: it files and follows its own requests only
    Role.community: frozenset({P.requests_create, P.requests_read, P.me}),
}

UNIT_SCOPED: frozenset[Role] = frozenset({Role.detective, Role.community})


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
