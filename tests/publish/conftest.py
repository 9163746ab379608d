"""A site built once from the coordinated warehouse (indicators and exported requests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from publish.support import build


@pytest.fixture(scope="session")
def coordinated_site(coordinated_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("coordinated-site") / "site"
    build(coordinated_db, out)
    return out
