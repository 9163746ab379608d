"""schemathesis against the service's OpenAPI spec, signed in: no 5xx, responses as declared.

Each operation is called with the token of a role that holds its permission (read from the
routes), so the generated requests reach the handlers instead of stopping at 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from safer77.service.auth import issue_token, read_token
from safer77.service.deps import Require
from safer77.service.permissions import ROLE_PERMISSIONS, Role
from safer77.service.routes import ROUTERS
from service.support import World, seed_records
from service.test_service_authz import declared

pytestmark = pytest.mark.slow  # schemathesis over every operation

ORDER = [
    "supervisor",
    "admin",
    "auditor",
    "analyst",
    "detective",
    "coordinator",
    "community",
    "task_force",
    "intake",
    "dispatcher",
]


def token_for(route: APIRoute, world: World) -> dict[str, str]:
    (req,) = {id(x): x for x in declared(route.dependant)}.values()
    assert isinstance(req, Require)
    if req.permission is None:
        return {}
    who = next(w for w in ORDER if req.permission in ROLE_PERMISSIONS[Role(world.users[w].role)])
    return world.headers(who)


def test_service_conforms_to_its_spec(client: TestClient, world: World) -> None:
    seed_records(client, world)
    headers = {
        (r.path, m.upper()): token_for(r, world)
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute)
        for m in r.methods
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(headers)
    # logging out and account changes revoke tokens: last, each example with a token of its own
    operations.sort(key=lambda o: o.path in REVOKING)
    for operation in operations:
        auth = headers[(operation.path, operation.method.upper())]
        fresh = operation.path in REVOKING and bool(auth)
        check_operation(
            client,
            operation,
            lambda auth=auth, fresh=fresh: renewed(client, auth) if fresh else auth,
        )


REVOKING = {"/auth/logout", "/users/{user_id}/password", "/users/{user_id}/deactivate"}
REVOKING |= {"/users/{user_id}/role", "/users/{user_id}/reactivate"}


def renewed(client: TestClient, auth: dict[str, str]) -> dict[str, str]:
    """A new token for the user of ``auth``."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    claims = read_token(settings, auth["Authorization"].removeprefix("Bearer "))
    token, _ = issue_token(settings, claims.user_id, "any")
    return {"Authorization": f"Bearer {token}"}


def check_operation(
    client: TestClient, operation: Any, headers: Callable[[], dict[str, str]]
) -> None:
    """Generated requests for one operation: never a server error; a signed-in role that holds
    the permission is never turned away with 401/403 (login itself may answer 401)."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        auth = headers()
        response = case.call(session=client, headers=auth)
        assert response.status_code < 500, (case.method, case.path, case.body, response.text)
        if auth:
            assert response.status_code not in (401, 403), (case.path, response.text)

    check()
