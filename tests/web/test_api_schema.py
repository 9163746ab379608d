"""The API against its own OpenAPI spec (schemathesis): no server errors and responses as
declared, whatever the inputs."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from safer77.config import Settings
from safer77.web.app import create_app


def test_api_conforms_to_its_spec(synth_db: Path) -> None:
    with TestClient(create_app(Settings(db=synth_db))) as client:
        schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.label for op in operations} == {
            "GET /api/areas",
            "GET /api/areas/locate",
            "GET /api/areas/by-address",
            "GET /api/areas/search",
            "GET /api/areas/{number}/stats",
        }
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=80,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                response = case.call(session=client)
                assert response.status_code < 500, (case.path, case.query, response.text)
                case.validate_response(response)

            check()
