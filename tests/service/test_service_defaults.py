"""Safe defaults (issue 23, finding 6): security headers and no-store on every answer,
production mode without interactive docs, weak keys and a mistyped environment refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from safer77.cli import app as cli
from safer77.config import Settings, get_settings
from safer77.errors import InvalidInput, Safer77Error
from safer77.service.app import create_app
from service.support import World

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def test_every_answer_carries_the_security_headers(client: TestClient, world: World) -> None:
    answers = {
        "public": client.get("/health"),
        "restricted": client.get("/cases", headers=world.headers("supervisor")),
        "401": client.get("/cases"),
        "403": client.get("/cases", headers=world.headers("analyst")),
        "404": client.get("/nowhere"),
        "413 from the guard": client.post("/auth/token", content=b"x" * (2 << 20)),
    }
    for what, r in answers.items():
        for name, value in HEADERS.items():
            assert r.headers.get(name) == value, (what, name)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, what
    assert answers["restricted"].status_code == 200


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_production_serves_no_docs(engine: Engine, settings: Settings, path: str) -> None:
    strong = "k3Jx9-Qa_v7LmZ2pW8rT4yN6bH1cF5dG0sE"
    prod = settings.model_copy(update={"environment": "production", "secret_key": strong})
    with TestClient(create_app(prod, engine), raise_server_exceptions=False) as c:
        assert c.get(path).status_code == 404
        assert c.get("/health").status_code == 200
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as c:
        assert c.get(path).status_code == 200  # development keeps them


@pytest.mark.parametrize("key", ["a" * 32, "ab" * 24, "password" * 5])
def test_low_entropy_keys_are_refused_in_production(engine: Engine, key: str) -> None:
    with pytest.raises(Safer77Error, match="too regular"):
        create_app(Settings(environment="production", secret_key=key), engine)


def test_a_random_key_is_accepted_in_production(engine: Engine) -> None:
    import secrets

    for key in (secrets.token_urlsafe(48), secrets.token_hex(32)):
        create_app(Settings(environment="production", secret_key=key), engine)


def test_a_mistyped_environment_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFER77_ENVIRONMENT", "prod")
    with pytest.raises(InvalidInput, match=r"SAFER77_ENVIRONMENT='prod'.*'production'"):
        get_settings()
    r = CliRunner().invoke(cli, ["service", "db", "upgrade"], env={"SAFER77_ENVIRONMENT": "prod"})
    assert r.exit_code == 2
    assert "SAFER77_ENVIRONMENT" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
