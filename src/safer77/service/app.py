"""``create_app(settings)``: the case-management and accountability service.

Every error has one JSON shape, ``{"ok": false, "error": ..., "status": ...}``. Every route
declares a permission (or ``PUBLIC``); every write and every read of a restricted record leaves
an audit row in the same transaction.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from safer77.config import INSECURE_SECRET, Settings
from safer77.dispatch.policy import load_policy
from safer77.errors import Conflict, InvalidInput, NotFound, Safer77Error
from safer77.service import audit, intake, throttle
from safer77.service.auth import (
    Actor,
    Busy,
    Forbidden,
    TooManyAttempts,
    Unauthorized,
    Verifier,
    check_secret,
)
from safer77.service.db import check_migrated, make_engine, owner_rights, session_factory
from safer77.service.deps import Require, bearer
from safer77.service.guard import Guard
from safer77.service.permissions import Permission
from safer77.service.routes import ROUTERS
from safer77.web.headers import API_CSP, SecurityHeaders

log = logging.getLogger("safer77.service")

STATUS: list[tuple[type[Exception], int]] = [
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
    (TooManyAttempts, 429),
    (Busy, 503),
]


CLOSERS = 8  # threads per process that give connections back

INTAKE = {("POST", "/intake/text"): "text", ("POST", "/intake/call"): "call"}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error": message, "status": status}, status_code=status, headers=headers
    )


UNWRITABLE = ("readonly", "read-only", "disk is full", "disk full", "disk i/o", "no space")


def unwritable(exc: Exception) -> bool:
    """A database refusing writes for good (read-only, disk full), not a busy one."""
    orig = getattr(exc, "orig", exc)
    text = f"{type(orig).__name__} {orig}".lower()
    return any(word in text for word in UNWRITABLE) or type(orig).__name__ in (
        "DiskFull",
        "ReadOnlySqlTransaction",
    )


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The service app. ``engine`` defaults to one built from ``settings.database_url``; the
    database must have been migrated (``safer77 service db upgrade``)."""
    check_secret(settings)
    if settings.secret_key == INSECURE_SECRET:
        # development without a key: sign with a random one, so the published default can
        # never forge a token; tokens then end with the process
        log.warning("SAFER77_SECRET_KEY not set: tokens are signed with a per-process key")
        settings = settings.model_copy(update={"secret_key": secrets.token_urlsafe(48)})
    engine = engine or make_engine(settings.database_url, pool_timeout=settings.pool_timeout)
    production = settings.environment == "production"
    check_migrated(engine)
    if production and owner_rights(engine):
        log.warning(
            "the service's database role can TRUNCATE audit_log: run it as an application "
            "role (`safer77 service db grant`, docs/service.md)"
        )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # a few worker threads per process do the database work; forty (anyio's default)
        # only fight over the GIL and the pool under load
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.service_threads
        gc.freeze()  # startup objects (routes, models, schemas) leave the collector's scans
        sealer = asyncio.create_task(_sealing())
        yield
        sealer.cancel()
        await _seal_now()  # what the last requests wrote is chained before the process ends
        app.state.verifier.close()
        engine.dispose()

    async def _sealing() -> None:
        """Chain new audit rows every ``SEAL_EVERY`` seconds (audit.seal)."""
        while True:
            await anyio.sleep(audit.SEAL_EVERY)
            await _seal_now()

    async def _seal_now() -> None:
        try:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_seal, limiter=app.state.closers)
        except Exception:
            log.exception("audit rows could not be sealed (the next round tries again)")

    def _seal(batch: int = audit.SEAL_BATCH) -> None:
        with app.state.sessions() as session:
            while audit.seal(session, batch) == batch:
                pass

    app = FastAPI(
        title="safer77 service",
        version="1",
        description="Case management, evidence, caseload, UCR clearance and the 30-day "
        "release clock. Sign in at POST /auth/token and send the token as a Bearer header.",
        lifespan=lifespan,
        # production serves no interactive docs and no schema (they loaded Swagger from a CDN)
        docs_url=None if production else "/docs",
        redoc_url=None if production else "/redoc",
        openapi_url=None if production else "/openapi.json",
        responses={
            401: {"description": "Not signed in"},
            403: {"description": "Role lacks the permission"},
            422: {"description": "Invalid input"},
        },
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.throttle = throttle.Limits.of(settings)
    # threads that only give connections back (deps.release), never behind route work
    app.state.closers = anyio.CapacityLimiter(CLOSERS)
    # threads that only check a request's token against the database (deps.load_actor)
    app.state.checkers = anyio.CapacityLimiter(settings.service_threads)
    app.state.verified_tokens = {}
    # password checks: a small pool of their own (auth.Verifier), never the route threads
    app.state.verifier = Verifier(settings.login_threads, settings.login_queue)
    app.state.outcomes = {}  # clearance inputs, memoised per data stamp
    app.state.policy = load_policy(settings.triage_policy)  # a bad file stops the start
    app.state.intake_limits = intake.Limits(settings.intake_rate, settings.intake_window)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(Guard, limit=settings.service_concurrency, wait=settings.pool_timeout)
    # outermost: every answer carries them, the guard's 503 and 413 too
    app.add_middleware(SecurityHeaders, csp=API_CSP, no_store=True)

    @app.exception_handler(Safer77Error)
    async def _library(request: Request, exc: Safer77Error) -> JSONResponse:
        for kind, status in STATUS:
            if isinstance(exc, kind):
                headers = None
                if isinstance(exc, TooManyAttempts):
                    headers = {"Retry-After": str(exc.retry_after)}
                elif isinstance(exc, Busy):
                    headers = {"Retry-After": "1"}
                elif isinstance(exc, Unauthorized):
                    headers = {"WWW-Authenticate": "Bearer"}
                if isinstance(exc, Unauthorized | Forbidden):
                    await _record_denial(request, status, str(exc))
                return error(status, str(exc), headers)
        return error(400, str(exc))

    async def _record_denial(request: Request, status: int, reason: str) -> None:
        """A 401 or 403 on a restricted route goes on the record: who (if known), which
        route, from where, why. (Failed logins are recorded by the login route itself.)"""
        if getattr(request.state, "audited", False):
            return
        route = request.scope.get("route")
        template = getattr(route, "path", request.url.path)
        actor = getattr(request.state, "denied_actor", None)
        peer = request.client.host if request.client else None
        limits: throttle.Limits = app.state.throttle
        address = throttle.client_address(
            peer, request.headers.get("x-forwarded-for"), limits.trusted
        )
        detail = {"route": f"{request.method} {template}", "address": address, "status": status}
        claims = getattr(request.state, "claims", None)
        if actor is None and claims is not None:  # a signed token refused (revoked, inactive)
            detail["token_user"] = claims.user_id
        await anyio.to_thread.run_sync(_write_denial, actor, detail | {"reason": reason})

    def _write_denial(actor: Actor | None, detail: dict[str, object]) -> None:
        try:
            with app.state.sessions() as session, session.begin():
                audit.record(session, actor, "denied", "route", None, **detail)
        except Exception:
            log.exception("a refusal could not be recorded in the audit log")

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
        return error(409, "the record was changed by someone else; reload it and try again")

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        return error(409, "the change conflicts with existing records")

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # input the schema let through but the database refuses (a backstop; should not happen)
        log.warning("database refused a value: %s", type(exc.orig).__name__)
        return error(422, "a value was refused by the database")

    @app.exception_handler(PoolTimeout)
    async def _busy(_: Request, exc: PoolTimeout) -> JSONResponse:
        log.warning("connection pool exhausted")
        return error(503, "the service is busy; try again", {"Retry-After": "1"})

    @app.exception_handler(OperationalError)
    async def _operational(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        if unwritable(exc):
            return error(503, "the database cannot be written (read-only or disk full)")
        return error(503, "the database is busy or unavailable; try again", {"Retry-After": "1"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
        channel = INTAKE.get((request.method, request.url.path))
        if channel is not None:  # a signed-in gateway's malformed submission: kept
            actor = getattr(request.state, "actor", None)
            if actor is None:  # the body was not JSON: refused before the sign-in was checked
                try:
                    actor = await Require(Permission.intake_submit)(request, await bearer(request))
                except (Unauthorized, Forbidden) as denied:
                    return await _library(request, denied)
            await anyio.to_thread.run_sync(_keep_malformed, actor, channel, message, exc.body)
        return error(422, message)

    def _keep_malformed(actor: Actor | None, channel: str, message: str, body: object) -> None:
        try:
            with app.state.sessions() as session, session.begin():
                intake.reject(
                    session,
                    actor,
                    channel=intake.Channel(channel),
                    reason=intake.Reason.malformed,
                    status=422,
                    detail=message,
                    payload=body,
                )
        except Exception:
            log.exception("a refused intake submission could not be kept")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error(500, "internal error")

    return app
