"""Resumable download of Chicago's crime records from a Socrata (SODA 2) open-data portal.

Records are written as JSON Lines, exactly as the portal returns them, one page at a time. After
each page the file is fsynced and a sidecar ``<out>.state.json`` records the query, the rows and
bytes written and the next offset, so an interrupted download continues where it stopped.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safer77 import __version__
from safer77.errors import Conflict, FetchError

TIMEOUT = 60.0
"""Seconds to wait for the portal on each request."""

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_STATE_VERSION = 1


@dataclass(frozen=True)
class FetchResult:
    """What one call of :func:`fetch_crimes` did."""

    rows_written: int
    """Rows appended by this call (0 when the file was already complete)."""
    pages: int
    """Non-empty pages written by this call."""
    resumed_from: int
    """Offset (rows already in the file) this call started from; 0 for a fresh download."""
    out: Path


def state_path(out: Path) -> Path:
    """The sidecar state file of a download written to ``out``."""
    return out.with_name(out.name + ".state.json")


def fetch_crimes(
    *,
    since: datetime.date | None = None,
    out: Path,
    domain: str = "data.cityofchicago.org",
    dataset: str = "ijzp-q8t2",
    app_token: str | None = None,
    page_size: int = 50_000,
    max_retries: int = 5,
    backoff: float = 1.0,
    base_url: str | None = None,
    on_page: Callable[[int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    updated_after: datetime.datetime | None = None,
) -> FetchResult:
    """Download every crime that occurred on or after ``since`` to ``out`` as JSON Lines; or,
    with ``updated_after`` instead, every crime whose ``updated_on`` is later (new records and
    the ones the portal revised since: an incremental download).

    Pages of ``page_size`` rows are requested in ``:id`` order. ``base_url`` replaces
    ``https://{domain}`` (a mirror, or a test server). ``on_page(page_rows, total_rows)`` is
    called after each page is safely on disk. Retries on HTTP 429/5xx, connection errors and
    timeouts wait ``backoff * 2**attempt`` seconds (at least a numeric ``Retry-After``).

    Raises
    ------
    Conflict
        ``out`` holds another query's download, or a file this function did not write.
    FetchError
        The portal refused the request (4xx) or kept failing after ``max_retries`` retries.
    """
    if (since is None) == (updated_after is None):
        raise ValueError("give since or updated_after, not both")
    if updated_after is not None:
        stamp = updated_after.strftime("%Y-%m-%dT%H:%M:%S.000")
        where = f"updated_on > '{stamp}'"
        query = {"domain": domain, "dataset": dataset, "updated_after": stamp}
    else:
        assert since is not None
        day = datetime.date(since.year, since.month, since.day).isoformat()
        where = f"date >= '{day}T00:00:00.000'"
        query = {"domain": domain, "dataset": dataset, "since": day}
    return _download(
        where=where,
        query=query,
        out=out,
        app_token=app_token,
        page_size=page_size,
        max_retries=max_retries,
        backoff=backoff,
        base_url=base_url,
        on_page=on_page,
        sleep=sleep,
    )


def _download(
    *,
    where: str,
    query: dict[str, str],
    out: Path,
    app_token: str | None,
    page_size: int,
    max_retries: int,
    backoff: float,
    base_url: str | None,
    on_page: Callable[[int, int], None] | None,
    sleep: Callable[[float], None],
) -> FetchResult:
    """Page through ``$where=where`` in ``:id`` order into ``out`` (state keyed by ``query``)."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    domain, dataset = query["domain"], query["dataset"]
    root = (base_url or f"https://{domain}").rstrip("/")
    url = f"{root}/resource/{dataset}.json"
    headers = {"Accept": "application/json", "User-Agent": f"safer77/{__version__}"}
    if app_token:
        headers["X-App-Token"] = app_token

    spath = state_path(out)
    state = _load_state(out, spath, query)
    resumed_from = state["next_offset"]
    if state["complete"]:
        return FetchResult(rows_written=0, pages=0, resumed_from=resumed_from, out=out)

    out.parent.mkdir(parents=True, exist_ok=True)
    if resumed_from == 0 and state["bytes"] == 0:
        out.write_bytes(b"")
    else:
        # A crash after appending a page but before saving the state leaves extra bytes.
        with out.open("r+b") as fh:
            fh.truncate(state["bytes"])
    _save_state(spath, state)

    rows_written = pages = 0
    with out.open("ab") as fh:
        while True:
            params = {
                "$where": where,
                "$order": ":id",
                "$limit": str(page_size),
                "$offset": str(state["next_offset"]),
            }
            page_url = f"{url}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"
            records = _get_page(page_url, headers, max_retries, backoff, sleep)
            if records:
                fh.write(b"".join(_jsonl(r) for r in records))
                fh.flush()
                os.fsync(fh.fileno())
            state["bytes"] = fh.tell()
            state["rows"] += len(records)
            state["next_offset"] += len(records)
            state["complete"] = len(records) < page_size
            _save_state(spath, state)
            if records:
                rows_written += len(records)
                pages += 1
                if on_page is not None:
                    on_page(len(records), state["rows"])
            if state["complete"]:
                break
    return FetchResult(rows_written=rows_written, pages=pages, resumed_from=resumed_from, out=out)


def _jsonl(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _load_state(out: Path, spath: Path, query: dict[str, str]) -> dict[str, Any]:
    """The saved state for ``query``, or a fresh one; refuse to clobber anything else."""
    fresh: dict[str, Any] = {
        "version": _STATE_VERSION,
        "query": query,
        "rows": 0,
        "next_offset": 0,
        "bytes": 0,
        "complete": False,
    }
    advice = f"delete {out} and {spath}, or choose another --out"
    if not spath.exists():
        if out.exists() and out.stat().st_size > 0:
            raise Conflict(f"{out} exists and was not written by `safer77 fetch`; {advice}")
        return fresh
    try:
        state: dict[str, Any] = json.loads(spath.read_text(encoding="utf-8"))
        saved_query, size = state["query"], state["bytes"]
        if not all(isinstance(state[k], int) for k in ("bytes", "rows", "next_offset")):
            raise ValueError("counts must be integers")
        state["complete"] = bool(state["complete"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Conflict(f"{spath} is not a readable download state ({exc}); {advice}") from None
    if saved_query != query:
        raise Conflict(
            f"{out} holds a different download ({_describe(saved_query)}), "
            f"not {_describe(query)}; {advice}"
        )
    if not out.exists():
        return fresh  # the data file was removed: start again
    if out.stat().st_size < size:
        raise Conflict(f"{out} is shorter than its state file records ({size} bytes); {advice}")
    return state


def _describe(query: Any) -> str:
    if not isinstance(query, dict):
        return repr(query)
    if "updated_after" in query:
        return (
            f"{query.get('domain')}/{query.get('dataset')} updated after {query['updated_after']}"
        )
    return f"{query.get('domain')}/{query.get('dataset')} since {query.get('since')}"


def _save_state(spath: Path, state: dict[str, Any]) -> None:
    tmp = spath.with_name(spath.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, spath)


def _get_page(
    url: str,
    headers: dict[str, str],
    max_retries: int,
    backoff: float,
    sleep: Callable[[float], None],
) -> list[dict[str, Any]]:
    """GET one page of records, retrying transient failures."""
    shown = urllib.parse.unquote(url)  # readable in error messages
    last = "no response"
    for attempt in range(max_retries + 1):
        retry_after = 0.0
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                body = response.read()
            data = json.loads(body)
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            exc.close()
            last = f"HTTP {exc.code} {exc.reason}{detail}"
            if exc.code not in _RETRY_STATUSES:
                raise FetchError(
                    f"GET {shown} failed: {last}; check the dataset id, the --since date "
                    f"and the app token"
                ) from None
            retry_after = _retry_after(exc.headers.get("Retry-After"))
        except (OSError, http.client.HTTPException) as exc:
            # URLError, timeouts, refused and dropped connections, truncated bodies
            last = f"{type(exc).__name__}: {exc}"
        except ValueError as exc:
            last = f"invalid JSON in response ({exc})"
        else:
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise FetchError(f"GET {shown} did not return a JSON array of records")
            return data
        if attempt < max_retries:
            sleep(max(backoff * 2**attempt, retry_after))
    raise FetchError(
        f"GET {shown} failed after {max_retries + 1} attempts (last: {last}); "
        f"the portal may be down or rate-limiting: try again later, or set an app token "
        f"(SAFER77_SOCRATA_APP_TOKEN)"
    )


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """Socrata's own error message, when the body carries one."""
    try:
        payload = json.loads(exc.read(65536) or b"null")
    except (OSError, ValueError, http.client.HTTPException):
        return ""
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return f" ({payload['message']})"
    return ""


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0  # an HTTP-date: fall back to our own backoff
