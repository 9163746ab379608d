"""``safer77.service.asgi:build``: the app factory for multi-worker servers
(``uvicorn --factory safer77.service.asgi:build``). Settings come from the environment
(``SAFER77_DATABASE_URL``, ``SAFER77_SECRET_KEY``...)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from safer77.config import get_settings
from safer77.service.app import create_app
from safer77.service.guard import access_log_to_stderr


def build() -> FastAPI:
    if os.environ.get("SAFER77_ACCESS_LOG") == "1":  # set by `safer77 service serve`
        access_log_to_stderr()
    return create_app(get_settings())
