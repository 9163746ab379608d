"""The authorization matrix: every route x every role, generated from the app's routes.

A route without a declared permission fails here. The expected policy is written out below as
the specification (not read from the code under test), and each route's answer for each role
is checked against it: 401 anonymous, 403 when the role lacks the permission, anything else
(200, 404, 409, 422...) when it has it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from safer77.service.deps import Require
from safer77.service.permissions import ROLE_PERMISSIONS, Permission, Role
from safer77.service.routes import ROUTERS
from service.support import World, seed_records

R, W = "read", "write"
SPEC: dict[str, set[str]] = {
    # permission: roles that hold it
    "users:manage": {"admin"},
    "cases:read": {"supervisor", "detective"},
    "cases:write": {"supervisor", "detective"},
    "cases:assign": {"supervisor"},
    "evidence:read": {"supervisor", "detective"},
    "evidence:write": {"supervisor", "detective"},
    "caseload:read": {"supervisor", "detective"},
    "clearance:read": {"supervisor", "analyst", "auditor"},
    "accountability:read": {"supervisor", "analyst", "auditor"},
    "accountability:write": {"supervisor"},
    "audit:read": {"auditor"},
    "requests:create": {"coordinator", "community"},
    "requests:read": {"coordinator", "community"},
    "requests:manage": {"coordinator"},
    # the registry and the meetings are not case data: no detectives; auditors read the log
    "clubs:read": {"admin", "supervisor", "analyst", "coordinator", "community"},
    "clubs:manage": {"admin", "coordinator"},
    "town_halls:read": {"admin", "supervisor", "analyst", "coordinator", "community"},
    "town_halls:manage": {"admin", "coordinator"},
    # review queues list case numbers: supervisors work them, auditors oversee them, detectives
    # read their own unit's cases in them, the task force the women-victims queues; analysts
    # (aggregates only) and community users never
    "review:read": {"supervisor", "auditor", "detective", "task_force"},
    "review:manage": {"supervisor", "task_force"},
    # call intake: the gateway's service account submits and reads nothing back; dispatchers
    # work the queue, supervisors oversee it; nobody else sees what callers said
    "intake:submit": {"intake"},
    "intake:read": {"dispatcher", "supervisor"},
    "intake:manage": {"dispatcher"},
    "me": {
        "admin",
        "supervisor",
        "detective",
        "analyst",
        "auditor",
        "coordinator",
        "community",
        "task_force",
        "intake",
        "dispatcher",
    },
}


def declared(dependant: Dependant) -> list[Require]:
    found = [d.call for d in dependant.dependencies if isinstance(d.call, Require)]
    for sub in dependant.dependencies:
        found += declared(sub)
    return found


def api_routes(client: TestClient) -> list[APIRoute]:
    """The app's routes: those of its routers, checked against every operation in its OpenAPI
    spec (so a route added any other way is caught too)."""
    routes = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    spec = client.app.openapi()  # type: ignore[attr-defined]
    operations = {(path, m.upper()) for path, ops in spec["paths"].items() for m in ops}
    assert operations == {(r.path, m) for r in routes for m in r.methods}
    return routes


def test_policy_is_the_specified_one() -> None:
    actual = {p.value: {r.value for r in Role if p in ROLE_PERMISSIONS[r]} for p in Permission}
    assert actual == SPEC


def test_every_route_declares_exactly_one_permission(client: TestClient) -> None:
    routes = api_routes(client)
    assert len(routes) >= 25
    missing = [
        f"{sorted(r.methods)} {r.path}"
        for r in routes
        if len({id(x) for x in declared(r.dependant)}) != 1
    ]
    assert missing == [], f"routes without exactly one declared permission: {missing}"


def fill(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), "x.bin")), path)


def test_authorization_matrix(client: TestClient, world: World) -> None:
    ids = seed_records(client, world)
    checked = 0
    # logging out revokes the caller's token: last, so every other route sees live tokens
    for route in sorted(api_routes(client), key=lambda r: r.path == "/auth/logout"):
        (req,) = {id(x): x for x in declared(route.dependant)}.values()
        for method in route.methods:
            for who in ["anonymous", *world.tokens]:
                role = "anonymous" if who == "anonymous" else world.users[who].role
                kwargs: dict[str, Any] = {"headers": world.headers(who)}
                if method in {"POST", "PATCH", "PUT"}:
                    kwargs["json"] = {}
                r = client.request(method, fill(route.path, ids), **kwargs)
                if req.permission is None:
                    assert r.status_code not in (401, 403), (route.path, who, r.text)
                elif who == "anonymous":
                    assert r.status_code == 401, (route.path, r.text)
                elif role in SPEC[req.permission.value]:
                    assert r.status_code not in (401, 403, 500), (method, route.path, who, r.text)
                else:
                    assert r.status_code == 403, (method, route.path, who, r.text)
                assert set(r.json()) >= {"ok", "error", "status"} if r.status_code >= 400 else True
                checked += 1
    assert checked >= 41 * 11


@pytest.mark.parametrize("who", ["admin", "analyst", "auditor", "task_force"])
def test_roles_without_case_access_cannot_read_cases(
    client: TestClient, world: World, who: str
) -> None:
    r = client.get("/cases", headers=world.headers(who))
    assert r.status_code == 403 and r.json()["ok"] is False
