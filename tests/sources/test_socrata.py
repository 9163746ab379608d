"""The Socrata downloader against a real HTTP server that speaks enough SODA 2 to page by :id."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import safer77
from safer77.errors import Conflict, FetchError
from safer77.sources.socrata import FetchResult, fetch_crimes, state_path

DATASET = "ijzp-q8t2"
N_RECORDS = 1_234
WHERE = re.compile(r"^date >= '(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})'$")
TYPES = [
    ("0486", "BATTERY", "DOMESTIC BATTERY SIMPLE", "08B"),
    ("0820", "THEFT", "$500 AND UNDER", "06"),
    ("1310", "CRIMINAL DAMAGE", "TO PROPERTY", "14"),
    ("0910", "MOTOR VEHICLE THEFT", "AUTOMOBILE", "07"),
    ("031A", "ROBBERY", "ARMED - HANDGUN", "03"),
    ("0610", "BURGLARY", "FORCIBLE ENTRY", "05"),
]


def make_records(n: int = N_RECORDS, seed: int = 77) -> list[dict[str, Any]]:
    """Crimes shaped like the portal's JSON: strings for numbers, booleans, a location object."""
    rng = random.Random(seed)
    start = dt.datetime(2023, 6, 1)
    records = []
    for i in range(n):
        when = start + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
        iucr, primary, description, fbi = rng.choice(TYPES)
        district = rng.randint(1, 25)
        lat, lon = 41.65 + rng.random() * 0.35, -87.85 + rng.random() * 0.33
        record: dict[str, Any] = {
            "id": str(13_000_000 + 7 * i),
            "case_number": f"J{rng.choice('ABCDEFGH')}{rng.randrange(100_000, 999_999)}",
            "date": when.strftime("%Y-%m-%dT%H:%M:%S.000"),
            "block": f"0{rng.randrange(100):02d}XX S {rng.choice(['STATE', 'HALSTED', 'PEÑA'])} ST",
            "iucr": iucr,
            "primary_type": primary,
            "description": description,
            "location_description": rng.choice(["STREET", "APARTMENT", "SIDEWALK"]),
            "arrest": rng.random() < 0.15,
            "domestic": rng.random() < 0.2,
            "beat": f"{district:02d}{rng.randint(1, 3)}{rng.randint(1, 4)}",
            "district": f"{district:03d}",
            "ward": str(rng.randint(1, 50)),
            "community_area": str(rng.randint(1, 77)),
            "fbi_code": fbi,
            "year": str(when.year),
            "updated_on": "2024-06-08T15:40:26.000",
        }
        if rng.random() < 0.97:  # the portal omits null fields, e.g. unlocated incidents
            record["latitude"], record["longitude"] = f"{lat:.9f}", f"{lon:.9f}"
            record["location"] = {
                "latitude": f"{lat:.9f}",
                "longitude": f"{lon:.9f}",
                "human_address": '{"address": "", "city": "", "state": "", "zip": ""}',
            }
        records.append(record)
    return records


@dataclass
class Portal:
    """State of the fake portal: rows in :id order, planned failures and a request log."""

    url: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[dict[str, str], dict[str, str]]] = field(default_factory=list)
    fail_at: dict[int, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    always: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expected(self, since: str) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["date"] >= since]

    def offsets(self) -> list[int]:
        return [int(params["$offset"]) for params, _ in self.requests]


class Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status: int, message: str) -> None:
        self.send(status, {"error": True, "message": message})

    def do_GET(self) -> None:
        portal: Portal = self.server.portal
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        with portal.lock:
            portal.requests.append((params, dict(self.headers)))
            planned = portal.fail_at.get(int(params.get("$offset", "0") or 0), [])
            failure = planned.pop(0) if planned else None
        if portal.always is not None:
            return self.error(portal.always, "query.soql.invalid: planned failure")
        if failure is not None:
            status, headers = failure
            if status == 0:
                return  # drop the connection without a response
            return self.send(status, {"error": True, "message": "try later"}, headers)
        if url.path != f"/resource/{DATASET}.json":
            return self.error(404, "dataset.missing")
        match = WHERE.match(params.get("$where", ""))
        if params.get("$order") != ":id" or match is None:
            return self.error(400, f"query.soql.invalid: {params}")
        limit, offset = int(params["$limit"]), int(params["$offset"])
        page = portal.expected(match.group(1))[offset : offset + limit]
        self.send(200, page)


@pytest.fixture
def portal() -> Iterator[Portal]:
    records = make_records()
    row_ids = random.Random(1).sample(range(10**6), len(records))
    state = Portal(rows=[r for _, r in sorted(zip(row_ids, records, strict=True))])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.portal = state  # type: ignore[attr-defined]
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def fetch(portal: Portal, out: Path, since: str = "2023-01-01", **kwargs: Any) -> FetchResult:
    kwargs.setdefault("page_size", 500)
    kwargs.setdefault("sleep", lambda s: pytest.fail(f"unexpected sleep({s})"))
    return fetch_crimes(since=dt.date.fromisoformat(since), out=out, base_url=portal.url, **kwargs)


def test_full_download_equals_the_portal_in_order(portal: Portal, tmp_path: Path) -> None:
    out = tmp_path / "crimes.jsonl"
    result = fetch(portal, out)
    assert result == FetchResult(rows_written=N_RECORDS, pages=3, resumed_from=0, out=out)
    assert read_jsonl(out) == portal.rows
    assert portal.offsets() == [0, 500, 1000]
    params = portal.requests[0][0]
    assert params == {
        "$where": "date >= '2023-01-01T00:00:00.000'",
        "$order": ":id",
        "$limit": "500",
        "$offset": "0",
    }
    raw = out.read_bytes()
    assert "PEÑA".encode() in raw  # UTF-8, not \u escapes
    first = json.loads(raw.splitlines()[0])
    assert isinstance(first["arrest"], bool) and isinstance(first["community_area"], str)
    state = json.loads(state_path(out).read_text())
    assert state["complete"] is True
    assert state["query"] == {"domain": "data.cityofchicago.org", "dataset": DATASET,
                              "since": "2023-01-01"}  # fmt: skip
    assert state["rows"] == state["next_offset"] == N_RECORDS
    assert state["bytes"] == len(raw)


def test_since_filters_on_incident_date(portal: Portal, tmp_path: Path) -> None:
    out = tmp_path / "recent.jsonl"
    result = fetch(portal, out, since="2024-01-01")
    expected = portal.expected("2024-01-01T00:00:00.000")
    assert 0 < len(expected) < N_RECORDS
    assert read_jsonl(out) == expected
    assert result.rows_written == len(expected)
    assert min(r["date"] for r in read_jsonl(out)) >= "2024-01-01"


def test_pages_report_progress(portal: Portal, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    result = fetch(portal, tmp_path / "c.jsonl", page_size=100, on_page=lambda *a: calls.append(a))
    assert result.pages == 13
    assert calls[0] == (100, 100) and calls[-1] == (34, N_RECORDS) and len(calls) == 13
    assert portal.offsets() == list(range(0, 1300, 100))


def test_exactly_full_last_page_ends_on_an_empty_page(portal: Portal, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    out = tmp_path / "c.jsonl"
    result = fetch(portal, out, page_size=617, on_page=lambda *a: calls.append(a))
    assert portal.offsets() == [0, 617, 1234]
    assert result.pages == 2 and calls == [(617, 617), (617, 1234)]
    assert read_jsonl(out) == portal.rows
    state = json.loads(state_path(out).read_text())
    assert state["complete"] is True and state["bytes"] == out.stat().st_size


@pytest.mark.parametrize("token", ["s3cr3t-token", None])
def test_app_token_header_only_when_given(
    portal: Portal, tmp_path: Path, token: str | None
) -> None:
    fetch(portal, tmp_path / "c.jsonl", app_token=token)
    sent = [{k.lower(): v for k, v in headers.items()} for _, headers in portal.requests]
    assert len(sent) == 3
    assert [h.get("x-app-token") for h in sent] == [token] * 3


def test_503_and_429_are_retried_with_exponential_backoff(portal: Portal, tmp_path: Path) -> None:
    portal.fail_at[500] = [(503, {}), (503, {}), (503, {}), (429, {"Retry-After": "30"})]
    portal.fail_at[1000] = [(429, {"Retry-After": "0"})]
    delays: list[float] = []
    out = tmp_path / "c.jsonl"
    result = fetch(portal, out, backoff=0.5, sleep=delays.append)
    # attempts 0-2 double the wait; attempt 3 waits for Retry-After instead of 4.0
    assert delays == [0.5, 1.0, 2.0, 30.0, 0.5]
    assert portal.offsets() == [0, 500, 500, 500, 500, 500, 1000, 1000]
    assert result.rows_written == N_RECORDS
    assert read_jsonl(out) == portal.rows


def test_dropped_connection_is_retried(portal: Portal, tmp_path: Path) -> None:
    portal.fail_at[0] = [(0, {})]
    delays: list[float] = []
    fetch(portal, tmp_path / "c.jsonl", backoff=2.0, sleep=delays.append)
    assert delays == [2.0]
    assert read_jsonl(tmp_path / "c.jsonl") == portal.rows


def test_permanent_500_raises_after_max_retries(portal: Portal, tmp_path: Path) -> None:
    portal.always = 500
    delays: list[float] = []
    with pytest.raises(FetchError) as info:
        fetch(portal, tmp_path / "c.jsonl", max_retries=3, sleep=delays.append)
    assert delays == [1.0, 2.0, 4.0]
    assert len(portal.requests) == 4
    message = str(info.value)
    assert f"{portal.url}/resource/{DATASET}.json?" in message
    assert "$offset=0" in message  # readable, not percent-encoded
    assert "HTTP 500" in message and "4 attempts" in message


@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_4xx_fail_at_once(portal: Portal, tmp_path: Path, status: int) -> None:
    portal.always = status
    with pytest.raises(FetchError, match=rf"HTTP {status} .*query\.soql\.invalid"):
        fetch(portal, tmp_path / "c.jsonl", max_retries=5)  # any sleep fails the test
    assert len(portal.requests) == 1


class Crash(Exception):
    pass


def crash_after(pages: int) -> Any:
    seen: list[int] = []

    def on_page(rows: int, total: int) -> None:
        seen.append(rows)
        if len(seen) == pages:
            raise Crash

    return on_page


def test_resume_after_a_crash_writes_every_record_once(portal: Portal, tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    with pytest.raises(Crash):
        fetch(portal, out, page_size=300, on_page=crash_after(2))
    assert len(read_jsonl(out)) == 600
    assert json.loads(state_path(out).read_text())["next_offset"] == 600
    portal.requests.clear()

    result = fetch(portal, out, page_size=300)
    assert result.resumed_from == 600 and result.rows_written == N_RECORDS - 600
    assert portal.offsets() == [600, 900, 1200]
    assert read_jsonl(out) == portal.rows


def test_resume_drops_a_half_written_page(portal: Portal, tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    with pytest.raises(Crash):
        fetch(portal, out, on_page=crash_after(1))
    with out.open("ab") as fh:  # a crash between writing a page and saving the state
        fh.write(b'{"id":"13000000","case_number":"JA1')
    result = fetch(portal, out)
    assert result.resumed_from == 500
    assert read_jsonl(out) == portal.rows
    assert len({r["id"] for r in read_jsonl(out)}) == N_RECORDS


def test_complete_download_is_not_fetched_again(portal: Portal, tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    fetch(portal, out)
    before = out.read_bytes()
    portal.requests.clear()
    result = fetch(portal, out)
    assert result == FetchResult(rows_written=0, pages=0, resumed_from=N_RECORDS, out=out)
    assert portal.requests == []
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [({"since": "2024-01-01"}, "since 2024-01-01"), ({"dataset": "85ca-t3if"}, "85ca-t3if")],
)
def test_state_of_another_query_raises_conflict(
    portal: Portal, tmp_path: Path, kwargs: dict[str, str], shown: str
) -> None:
    out = tmp_path / "c.jsonl"
    with pytest.raises(Crash):
        fetch(portal, out, on_page=crash_after(1))
    before = out.read_bytes()
    portal.requests.clear()
    with pytest.raises(Conflict, match=r"delete .*c\.jsonl.*choose another --out") as info:
        fetch(portal, out, **kwargs)
    assert shown in str(info.value)
    assert portal.requests == []
    assert out.read_bytes() == before


def test_foreign_file_is_not_overwritten(portal: Portal, tmp_path: Path) -> None:
    out = tmp_path / "notes.jsonl"
    out.write_text('{"mine": true}\n')
    with pytest.raises(Conflict, match="not written by `safer77 fetch`"):
        fetch(portal, out)
    assert out.read_text() == '{"mine": true}\n'


def fetch_cli() -> Any:
    """``safer77.cli.fetch.app``; skips while sibling CLI modules the package imports are absent."""
    cli_dir = Path(safer77.__file__).parent / "cli"
    missing = [m for m in ("ingest", "stats", "synth") if not (cli_dir / f"{m}.py").exists()]
    if missing:
        pytest.skip(f"safer77.cli imports modules not written yet: {', '.join(missing)}")
    from safer77.cli.fetch import app

    return app


def test_cli_writes_the_file_and_exits_0(portal: Portal, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    app = fetch_cli()
    out = tmp_path / "crimes.jsonl"
    args = ["crimes", "--since", "2023-01-01", "--out", str(out), "--page-size", "500"]
    env = {"SAFER77_SOCRATA_APP_TOKEN": "cli-token"}
    result = CliRunner().invoke(app, [*args, "--base-url", portal.url], env=env)
    assert result.exit_code == 0, result.output
    assert read_jsonl(out) == portal.rows
    assert {h.get("X-App-Token") for _, h in portal.requests} == {"cli-token"}
    assert "1,234 rows in 3 pages" in result.output

    again = CliRunner().invoke(app, [*args, "--base-url", portal.url], env=env)
    assert again.exit_code == 0 and "nothing new to fetch" in again.output


def test_cli_reports_conflict_in_one_line(portal: Portal, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    app = fetch_cli()
    out = tmp_path / "crimes.jsonl"
    out.write_text("not ours\n")
    args = ["crimes", "--since", "2023-01-01", "--out", str(out), "--base-url", portal.url]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == Conflict.exit_code
    assert "error:" in result.output and "Traceback" not in result.output
    assert portal.requests == []


def test_cli_rejects_a_malformed_date(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    app = fetch_cli()
    args = ["crimes", "--since", "01/03/2024", "--out", str(tmp_path / "c.jsonl")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert not (tmp_path / "c.jsonl").exists()
