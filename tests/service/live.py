"""A real service process on a loopback port, for the tests a test client cannot make (a
burst of concurrent connections, SIGTERM)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

SECRET = "t" * 48  # the key of the `settings` fixture, so the world's tokens are valid


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    base: str
    process: subprocess.Popen[bytes]

    def stop(self, grace: float = 10.0) -> float:
        """SIGTERM, and the seconds the process took to exit (``inf`` if it did not)."""
        t0 = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return float("inf")
        return time.monotonic() - t0


@contextmanager
def live_service(url: str, **env: str) -> Iterator[Live]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "safer77", "service", "serve", "--port", str(port)],
        env={
            **os.environ,
            "SAFER77_DATABASE_URL": url,
            "SAFER77_SECRET_KEY": SECRET,
            "SAFER77_ENVIRONMENT": "development",
            **env,
        },
        stdout=subprocess.DEVNULL,
    )
    live = Live(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the service exited with {process.returncode}")
            try:
                if httpx.get(f"{live.base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start within 60 s")
            time.sleep(0.2)
        yield live
    finally:
        if process.poll() is None:
            live.stop()


@contextmanager
def threaded_service(app: object) -> Iterator[str]:
    """``app`` served by uvicorn on a thread of this process, on a free loopback port; its
    base URL."""
    import threading

    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))  # type: ignore[arg-type]
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(5)
