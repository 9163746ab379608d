"""What the browser tests share: Debian's Chromium, where screenshots go, and a served site."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from safer77.config import Settings
from safer77.publish.report import CHROMIUM_ARGS
from safer77.web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("SAFER77_ARTIFACTS", Path(__file__).resolve().parents[2] / "build" / "artifacts")
)
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (`.ci/run` installs it: apt-get install chromium)",
)


#: axe-core (MPL-2.0), installed from npm at test time into a cache outside the repository.
AXE_CACHE = Path(
    os.environ.get("SAFER77_AXE_CACHE", Path.home() / ".cache" / "safer77" / "axe-core")
)
AXE_VERSION = "axe-core@4"


def axe_source() -> str:
    """axe-core's browser script, installed on first use with ``npm install --prefix``; the
    test is skipped, saying why, only when npm is missing or cannot fetch it."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed (`.ci/run` installs Debian's nodejs and npm)")
        done = subprocess.run(
            [npm, "install", "--prefix", str(AXE_CACHE), "--no-audit", "--no-fund", AXE_VERSION],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not script.exists():
            pytest.skip(f"npm could not install {AXE_VERSION}: {done.stderr.strip()[-300:]}")
    return script.read_text("utf-8")


@contextmanager
def serving(settings: Settings, site: Path) -> Iterator[str]:
    """The built ``site`` and the API on ``settings.db``, served on a free port: its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, site), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[object]:
    """Headless Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
