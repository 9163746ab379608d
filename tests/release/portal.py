"""A loopback HTTP server speaking enough of the portal's SODA 2 API for releases: pages in
``:id`` order filtered by ``date >= '...'`` or ``updated_on > '...'``; and records written in
code (ten crime types, so that a file of them is a full extract)."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sources.test_socrata import TYPES as SOCRATA_TYPES

DATASET = "ijzp-q8t2"
SINCE = re.compile(r"^date >= '([0-9T:.-]+)'$")
UPDATED = re.compile(r"^updated_on > '([0-9T:.-]+)'$")
TYPES = [
    *SOCRATA_TYPES,
    ("0560", "ASSAULT", "SIMPLE", "08A"),
    ("1811", "NARCOTICS", "POSS: CANNABIS 30GMS OR LESS", "18"),
    ("1320", "CRIMINAL DAMAGE", "TO VEHICLE", "14"),
    ("0430", "BATTERY", "AGGRAVATED: OTHER DANG WEAPON", "04B"),
    ("2820", "OTHER OFFENSE", "TELEPHONE THREAT", "26"),
    ("0110", "HOMICIDE", "FIRST DEGREE MURDER", "01A"),
    ("1153", "DECEPTIVE PRACTICE", "FINANCIAL IDENTITY THEFT OVER $ 300", "11"),
]


def stamp(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000")


def make_records(
    n: int, start: dt.datetime, days: int, updated: dt.datetime, first_id: int, seed: int
) -> list[dict[str, Any]]:
    """``n`` crimes between ``start`` and ``start + days``, shaped like the portal's JSON."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        when = start + dt.timedelta(minutes=rng.randrange(days * 24 * 60))
        iucr, primary, description, fbi = rng.choice(TYPES)
        district = rng.randint(1, 22)
        out.append(
            {
                "id": str(first_id + i),
                "case_number": f"JX{first_id + i}",
                "date": stamp(when),
                "block": f"0{rng.randrange(100):02d}XX S STATE ST",
                "iucr": iucr,
                "primary_type": primary,
                "description": description,
                "location_description": "STREET",
                "arrest": rng.random() < 0.2,
                "domestic": False,
                "beat": f"{district:02d}{rng.randint(1, 3)}{rng.randint(1, 4)}",
                "district": f"{district:03d}",
                "ward": str(rng.randint(1, 50)),
                "community_area": str(rng.randint(1, 77)),
                "fbi_code": fbi,
                "year": str(when.year),
                "updated_on": stamp(updated + dt.timedelta(seconds=i % 3600)),
            }
        )
    return out


def revise(record: dict[str, Any], updated: dt.datetime, k: int) -> dict[str, Any]:
    """The record as the portal later serves it: arrest flipped, type reclassified."""
    iucr, primary, description, fbi = next(
        t for t in TYPES[k % len(TYPES) :] + TYPES if t[1] != record["primary_type"]
    )
    return {
        **record,
        "arrest": not record["arrest"],
        "iucr": iucr,
        "primary_type": primary,
        "description": description,
        "fbi_code": fbi,
        "updated_on": stamp(updated),
    }


@dataclass
class Portal:
    url: str = ""
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id
    lock: threading.Lock = field(default_factory=threading.Lock)
    queries: list[str] = field(default_factory=list)

    def serve(self, records: list[dict[str, Any]]) -> None:
        """Add or replace records (by id)."""
        with self.lock:
            for r in records:
                self.rows[r["id"]] = r


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        portal: Portal = self.server.portal
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        where = params.get("$where", "")
        with portal.lock:
            portal.queries.append(where)
            rows = sorted(portal.rows.values(), key=lambda r: int(r["id"]))
        if (m := SINCE.match(where)) is not None:
            rows = [r for r in rows if r["date"] >= m.group(1)]
        elif (m := UPDATED.match(where)) is not None:
            rows = [r for r in rows if r["updated_on"] > m.group(1)]
        else:
            self.send_response(400)
            self.end_headers()
            return
        if url.path != f"/resource/{DATASET}.json" or params.get("$order") != ":id":
            self.send_response(400)
            self.end_headers()
            return
        offset, limit = int(params["$offset"]), int(params["$limit"])
        body = json.dumps(rows[offset : offset + limit]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def running_portal() -> Iterator[Portal]:
    state = Portal()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.portal = state  # type: ignore[attr-defined]
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
