"""Settings, declared once with a help line each; built by :func:`get_settings`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from safer77.errors import InvalidInput


class Settings(BaseSettings):
    """Every setting can be given as an environment variable ``SAFER77_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SAFER77_", extra="ignore")

    db: Path = Field(
        default=Path("safer77.duckdb"),
        description="DuckDB warehouse file (incidents, boundaries, quarantine, load log).",
    )
    shared_data: Path = Field(
        default=Path("../shared/data"),
        description="Folder of real Chicago data used by tests and benchmarks (read-only).",
    )
    portal_domain: str = Field(
        default="data.cityofchicago.org",
        description="Socrata open-data portal host used by `safer77 fetch`.",
    )
    crimes_dataset: str = Field(
        default="ijzp-q8t2",
        description="Socrata dataset id of 'Crimes - 2001 to Present'.",
    )
    socrata_app_token: str | None = Field(
        default=None,
        description="Optional Socrata app token (raises the portal's rate limits).",
    )
    site_dir: Path = Field(
        default=Path("site"),
        description="Folder the public site is built into and served from.",
    )
    release_deadline_days: Literal[30, 60] = Field(
        default=30,
        description="Days after a use-of-force incident by which its report must be public, as "
        "the site's accountability page counts it: 30 (the platform's promise) or 60 (COPA's "
        "policy for video).",
    )
    site_url: str = Field(
        default="",
        description="The public site's address (e.g. https://stats.example.org): pages then "
        "carry canonical links and Open Graph URLs; empty: none.",
    )
    host: str = Field(
        default="127.0.0.1",
        description="Address `safer77 serve` listens on (0.0.0.0 to publish on a network).",
    )
    memory_limit: str = Field(
        default="6GB",
        description="DuckDB memory limit for loads and queries (keeps peak memory bounded).",
    )
    database_url: str = Field(
        default="sqlite:///safer77-service.db",
        description=(
            "SQLAlchemy URL of the case-management service's database (SQLite file by default; "
            "production: postgresql+psycopg://user@host:5432/db)."
        ),
    )
    environment: Literal["development", "production"] = Field(
        default="development",
        description="`production` refuses the insecure default secret key.",
    )
    secret_key: str = Field(
        default="dev-insecure-secret-change-me-0000000000",
        description="Key that signs the service's login tokens (at least 32 characters).",
    )
    token_minutes: int = Field(
        default=15,
        ge=1,
        le=1440,
        description="Minutes a service access token stays valid (then it is renewed with the "
        "refresh token, POST /auth/refresh).",
    )
    refresh_minutes: int = Field(
        default=720,
        ge=1,
        le=43200,
        description="Minutes a service refresh token stays valid (each refresh gives a new "
        "one; a refresh token used twice ends its sign-in session).",
    )
    login_attempts: int = Field(
        default=5,
        ge=1,
        description="Failed logins allowed per user name within `login_window` (then 429 with "
        "an exponential back-off; kept in the database, so shared by all workers).",
    )
    login_address_attempts: int = Field(
        default=20,
        ge=1,
        description="Failed logins allowed per source address (any user name) within "
        "`login_window`.",
    )
    login_global_attempts: int = Field(
        default=1000,
        ge=1,
        description="Failed logins allowed in all within `login_window` (a password tried "
        "across many names from many addresses).",
    )
    login_threads: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Password checks (argon2, ~0.16 s of CPU each) run at once per service "
        "process, on threads of their own at lower CPU priority (never the route threads).",
    )
    login_queue: int = Field(
        default=32,
        ge=1,
        description="Logins per service process allowed to wait for a password check; more "
        "answer 503 with Retry-After at once, their password unchecked.",
    )
    login_window: int = Field(
        default=900, ge=1, description="Seconds over which failed logins are counted."
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-For names "
        "the client (none by default: the header is ignored and the peer address counts).",
    )
    inactivity_days: int = Field(
        default=30,
        ge=1,
        description="An open case with no activity for this many days raises an alert.",
    )
    lab_backlog_days: int = Field(
        default=30,
        ge=1,
        description="Evidence waiting at the lab longer than this is in the backlog view.",
    )
    timezone: str = Field(
        default="America/Chicago",
        description="The city's time zone: local times entered in the service and its dates "
        "(today, clearance, release due dates) are in it.",
    )
    service_threads: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Worker threads per service process doing database work (more only add "
        "contention on a small machine).",
    )
    service_port: int = Field(default=8078, description="Port `safer77 service serve` listens on.")
    service_concurrency: int = Field(
        default=32,
        ge=1,
        le=1024,
        description="Requests per service process allowed to work at once (the rest wait up to "
        "`pool_timeout` seconds, then answer 503 with Retry-After); `/health` is not counted.",
    )
    pool_timeout: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Seconds a service request waits for a database connection or a slot "
        "before answering 503 with Retry-After.",
    )
    triage_policy: str = Field(
        default="default",
        description="Triage policy of the service's call intake: `default` (built in) or a TOML "
        "policy file (docs/service.md, Call intake); read when the service starts.",
    )
    intake_rate: int = Field(
        default=10,
        ge=1,
        description="Text messages accepted per sender token within `intake_window` (more "
        "answer 429 and are kept as refused).",
    )
    intake_window: int = Field(
        default=600,
        ge=1,
        description="Seconds over which a sender's text messages are counted, and within which "
        "an identical message from the same sender is refused as a repeat.",
    )


INSECURE_SECRET = "dev-insecure-secret-change-me-0000000000"


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides taking precedence.

    A bad value is :class:`InvalidInput` naming its variable, in one line (not a traceback).
    """
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "_".join(str(p) for p in first.get("loc", ())).upper()
        allowed = first.get("ctx", {}).get("expected")
        hint = f"; expected {allowed}" if allowed else f": {first.get('msg')}"
        raise InvalidInput(
            f"SAFER77_{name}={first.get('input')!r} is not a valid setting{hint}"
        ) from None
