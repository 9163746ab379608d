"""Request bodies are bounded (issue 23, finding 2): 1 MB by default, refused with 413 before
the body is read whole; only the evidence-file upload takes more."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from safer77.config import Settings
from safer77.service.app import create_app
from service.live import threaded_service
from service.support import World, seed_records

MB = 1 << 20


def _login_body(size: int) -> bytes:
    padding = "x" * (size - 60)
    return f'{{"username": "admin", "password": "{padding}"}}'.encode()


def test_a_2mb_login_is_refused_with_413(client: TestClient) -> None:
    r = client.post(
        "/auth/token", content=_login_body(2 * MB), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["ok"] is False and "1,048,576" in r.json()["error"]


def test_a_chunked_body_is_cut_off_too(client: TestClient) -> None:
    """No Content-Length: counted as it arrives."""

    def chunks() -> Iterator[bytes]:
        body = _login_body(2 * MB)
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    r = client.post("/auth/token", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_a_body_under_the_limit_is_read(client: TestClient, world: World) -> None:
    body = b'{"username": "admin", "password": "wrong password"}' + b" " * (MB - 100)
    r = client.post("/auth/token", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 401  # read and judged: a wrong password, not a refused body


def test_413_comes_before_the_body_is_sent(engine: Engine, settings: Settings) -> None:
    """On a real server: the headers announce 2 MB, 1 KB is sent, and 413 answers at once."""
    with threaded_service(create_app(settings, engine)) as base:
        where = urlsplit(base)
        with socket.create_connection((where.hostname, where.port), timeout=5) as sock:
            head = (
                "POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {2 * MB}\r\n\r\n"
            )
            sock.sendall(head.encode() + b"{" + b" " * 1023)
            answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413"), answer[:80]


def test_evidence_files_may_be_larger(client: TestClient, world: World) -> None:
    item = seed_records(client, world)["evidence_id"]
    r = client.put(
        f"/evidence/{item}/files/big.bin",
        content=b"\0" * (2 * MB),
        headers=world.headers("supervisor"),
    )
    assert r.status_code == 201 and r.json()["size"] == 2 * MB
