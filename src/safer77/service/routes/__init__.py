"""The service's routers; each route declares its permission (see ``deps.Require``)."""

from __future__ import annotations

from fastapi import APIRouter

from safer77.service.routes import (
    accountability,
    audit,
    caseload,
    cases,
    clubs,
    evidence,
    intake,
    requests,
    review,
    town_halls,
    users,
)

ROUTERS: tuple[APIRouter, ...] = (
    users.router,
    cases.router,
    evidence.router,
    caseload.router,
    accountability.router,
    requests.router,
    clubs.router,
    town_halls.router,
    review.router,
    intake.router,
    audit.router,
)
