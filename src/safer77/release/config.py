"""``release.toml``: where releases go and what a release runs. Every key is optional.

.. code-block:: toml

    root = "/srv/safer77"              # releases/, current and work/ live here [./safer77-release]
    db = "/srv/safer77/warehouse.duckdb"   # the warehouse [SAFER77_DB, ./safer77.duckdb]
    on_failure = "notify-send 'safer77 release failed'"  # shell command run when a step fails

    [portal]
    base_url = "https://data.cityofchicago.org"   # a mirror [https://<portal_domain>]
    first_since = "2001-01-01"         # the first release fetches incidents since this day
    page_size = 50000

    [analyses]
    service_url = "postgresql+psycopg://safer77@db/safer77"  # run the service export [off]
    solve_clearance = "/srv/safer77/clearance.csv"   # run solve publish with this file [off]
    solve_service = false              # solve publish from the service database [off]
    dispatch = true                    # plan simulate --save, when incidents changed [off]
    dispatch_days = 28
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from safer77.errors import InvalidInput, NotFound

DEFAULT_ROOT = Path("safer77-release")


@dataclass(frozen=True)
class Analyses:
    service_url: str | None = None
    solve_clearance: Path | None = None
    solve_service: bool = False
    dispatch: bool = False
    dispatch_days: int = 28


@dataclass(frozen=True)
class ReleaseConfig:
    root: Path = DEFAULT_ROOT
    db: Path | None = None
    on_failure: str | None = None
    base_url: str | None = None
    first_since: date = date(2001, 1, 1)
    page_size: int = 50_000
    analyses: Analyses = field(default_factory=Analyses)

    def with_overrides(self, **kw: Any) -> ReleaseConfig:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


_TOP = {"root", "db", "on_failure", "portal", "analyses"}
_PORTAL = {"base_url", "first_since", "page_size"}
_ANALYSES = {"service_url", "solve_clearance", "solve_service", "dispatch", "dispatch_days"}


def load_config(path: Path | None) -> ReleaseConfig:
    """The configuration in ``path`` (paths in it are relative to its folder), or the
    defaults when ``path`` is None."""
    if path is None:
        return ReleaseConfig()
    if not path.is_file():
        raise NotFound(f"{path}: no such release configuration")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(str(exc), file=str(path)) from None
    base = path.parent

    def check(table: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise InvalidInput(
                f"unknown key {unknown[0]!r} in {where}; expected one of: "
                f"{', '.join(sorted(allowed))}",
                file=str(path),
                field=unknown[0],
            )

    check(doc, _TOP, "the top level")
    portal, analyses = doc.get("portal", {}), doc.get("analyses", {})
    check(portal, _PORTAL, "[portal]")
    check(analyses, _ANALYSES, "[analyses]")

    def local(value: Any) -> Path | None:
        return None if value is None else base / Path(str(value))

    try:
        since = portal.get("first_since")
        return ReleaseConfig(
            root=local(doc.get("root")) or DEFAULT_ROOT,
            db=local(doc.get("db")),
            on_failure=doc.get("on_failure"),
            base_url=portal.get("base_url"),
            first_since=date.fromisoformat(str(since)) if since else date(2001, 1, 1),
            page_size=int(portal.get("page_size", 50_000)),
            analyses=Analyses(
                service_url=analyses.get("service_url"),
                solve_clearance=local(analyses.get("solve_clearance")),
                solve_service=bool(analyses.get("solve_service", False)),
                dispatch=bool(analyses.get("dispatch", False)),
                dispatch_days=int(analyses.get("dispatch_days", 28)),
            ),
        )
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"bad value ({exc})", file=str(path)) from None
