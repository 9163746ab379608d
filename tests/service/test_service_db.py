"""Migrations match the models, run up and down, and the app refuses what it must."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from safer77.config import Settings
from safer77.errors import Safer77Error
from safer77.service.app import create_app
from safer77.service.db import NotMigrated, downgrade, make_engine, upgrade
from safer77.service.models import Base


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as con:
        diff = compare_metadata(MigrationContext.configure(con), Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(engine: Engine) -> None:
    downgrade(engine)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert {"cases", "audit_log", "releases"} <= set(inspect(engine).get_table_names())


def test_clubs_and_town_halls_migrate_down_to_0002_and_up_again(engine: Engine) -> None:
    new = {"block_clubs", "town_halls", "town_hall_items"}
    downgrade(engine, "0002")
    tables = set(inspect(engine).get_table_names())
    assert "resource_requests" in tables and tables & new == set()
    upgrade(engine)
    assert new <= set(inspect(engine).get_table_names())


def test_unmigrated_database_is_refused_with_the_fix() -> None:
    with pytest.raises(NotMigrated, match="safer77 service db upgrade"):
        create_app(Settings(), make_engine("sqlite://"))


@pytest.mark.parametrize("secret", [None, "short"])
def test_insecure_secret_refused_in_production(secret: str | None) -> None:
    over = {"secret_key": secret} if secret else {}
    with pytest.raises(Safer77Error, match="SAFER77_SECRET_KEY"):
        create_app(Settings(environment="production", **over), make_engine("sqlite://"))


def test_the_published_default_key_never_signs_tokens(engine: Engine) -> None:
    """Without a key (development), a token forged with the default key is refused."""
    import jwt
    from fastapi.testclient import TestClient

    from safer77.config import INSECURE_SECRET

    forged = jwt.encode({"sub": "1", "exp": 4102444800}, INSECURE_SECRET, algorithm="HS256")
    with TestClient(create_app(Settings(), engine)) as client:
        r = client.get("/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


def test_call_intake_migrates_down_to_0004_and_up_again(engine: Engine) -> None:
    new = {"intake_calls", "intake_rejects"}
    downgrade(engine, "0004")
    tables = set(inspect(engine).get_table_names())
    assert "review_items" in tables and tables & new == set()
    upgrade(engine)
    assert new <= set(inspect(engine).get_table_names())
