"""``safer77.service.asgi:build``: the app factory for multi-worker servers
(``uvicorn --factory safer77.service.asgi:build``). Settings come from the environment
(``SAFER77_DATABASE_URL``, ``SAFER77_SECRET_KEY``...)."""

from __future__ import annotations

from fastapi import FastAPI

from safer77.config import get_settings
from safer77.service.app import create_app


def build() -> FastAPI:
    return create_app(get_settings())
