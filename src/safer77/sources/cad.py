"""Computer-aided-dispatch (CAD) exports: one row per incident and agency, read through a
column mapping (``safer77/data/cad/*.toml``) so another center's export needs no code.

Each row gives the call's timestamps; the intervals between them are computed here (seconds):

- ``queue``: received -> queued (the call-taker's part)
- ``dispatch``: queued -> dispatched (time to dispatch: the dispatcher and the wait for a unit)
- ``rollout``: dispatched -> en route
- ``travel``: en route -> arrived
- ``on_scene``: arrived -> closed
- ``total``: received -> closed

A missing timestamp (a blank cell or one of the mapping's ``missing`` literals) leaves the
intervals that need it missing. A call that was reopened (the mapping's ``reopened`` column is
1/true/yes) closes at its ``final_closed`` time, when there is one: units often arrive after
the first close of a reopened call. Clocks of different systems disagree by a few
milliseconds, so an interval down to ``-tolerance_seconds`` reads as 0.

A row is quarantined (a :class:`Reject` with its line and the export's column) when its
incident number is missing, its agency or priority code is not in the mapping, a timestamp
cannot be read, or an interval is negative or longer than the mapping's
``max_interval_hours``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from safer77.errors import InvalidInput, NotFound
from safer77.sources.tabular import Reject, read_rows

REQUIRED = ("incident", "agency", "call_type", "priority", "received", "queued", "dispatched")
OPTIONAL = (
    "reception", "week", "disposition", "enroute", "arrived", "closed", "reopened", "final_closed",
)  # fmt: skip
STAMPS = ("received", "queued", "dispatched", "enroute", "arrived", "closed")
YES = frozenset({"1", "true", "yes", "y", "t"})
#: interval name -> (from, to) timestamps
INTERVALS: dict[str, tuple[str, str]] = {
    "queue": ("received", "queued"),
    "dispatch": ("queued", "dispatched"),
    "rollout": ("dispatched", "enroute"),
    "travel": ("enroute", "arrived"),
    "on_scene": ("arrived", "closed"),
    "total": ("received", "closed"),
}
AGENCIES = ("police", "fire", "ems")
DEFAULT = "cad-default"


@dataclass(frozen=True)
class CadMapping:
    file: str
    title: str
    columns: dict[str, str]  # canonical field -> export column
    priorities: dict[str, int]  # export code -> 0..3
    agencies: dict[str, str]  # export name -> police, fire or ems
    missing: frozenset[str]
    timestamp_format: str | None
    max_interval_hours: float
    tolerance_seconds: float
    self_initiated: frozenset[str]
    text: frozenset[str]


@dataclass(frozen=True)
class CallRecord:
    line: int
    incident: str
    agency: str
    call_type: str
    priority_code: str
    priority: int
    reception: str | None
    self_initiated: bool
    text: bool
    week: int
    disposition: str | None
    stamps: dict[str, datetime | None]
    intervals: dict[str, float | None]


def builtin_cad_mappings() -> dict[str, Path]:
    folder = resources.files("safer77").joinpath("data", "cad")
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".toml")}


def load_cad_mapping(name_or_path: str | Path = DEFAULT) -> CadMapping:
    """A built-in mapping by name (``cad-default``) or a TOML file; errors name the file and
    the field."""
    path = builtin_cad_mappings().get(str(name_or_path), Path(name_or_path))
    if not path.exists():
        known = ", ".join(sorted(builtin_cad_mappings()))
        raise NotFound(f"no CAD mapping {name_or_path!r} (built in: {known})")
    label = str(path)
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"not a TOML mapping ({exc})", file=label) from None
    return _mapping(doc, label)


def _mapping(doc: dict[str, Any], label: str) -> CadMapping:
    src, cols = doc.get("source", {}), doc.get("columns", {})
    missing = [f for f in REQUIRED if not isinstance(cols.get(f), str) or not cols[f]]
    if missing:
        raise InvalidInput(
            f"[columns] must name the export's column for {', '.join(missing)}",
            file=label,
            field=missing[0],
        )
    unknown = sorted(set(cols) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise InvalidInput(
            f"[columns] has unknown field(s) {unknown}", file=label, field=unknown[0]
        )
    prios: dict[str, int] = {}
    for code, level in doc.get("priority", {}).items():
        if not isinstance(level, int) or not 0 <= level <= 3:
            raise InvalidInput(
                f"[priority] {code!r} must map to 0 (not a call for service) or 1-3",
                file=label,
                field=str(code),
            )
        prios[str(code)] = level
    if not prios:
        raise InvalidInput("[priority] maps no priority code", file=label, field="priority")
    agencies = {str(k): str(v) for k, v in doc.get("agencies", {}).items()}
    bad = [k for k, v in agencies.items() if v not in AGENCIES]
    if bad or not agencies:
        raise InvalidInput(
            f"[agencies] must map the export's agency names to {', '.join(AGENCIES)}",
            file=label,
            field=bad[0] if bad else "agencies",
        )
    hours = float(src.get("max_interval_hours", 168))
    if hours <= 0:
        raise InvalidInput("max_interval_hours must be > 0", file=label, field="max_interval_hours")
    rec = doc.get("reception", {})
    return CadMapping(
        file=label,
        title=str(src.get("title", label)),
        columns={str(k): str(v) for k, v in cols.items()},
        priorities=prios,
        agencies=agencies,
        missing=frozenset(str(m) for m in src.get("missing", [])),
        timestamp_format=src.get("timestamp_format"),
        max_interval_hours=hours,
        tolerance_seconds=float(src.get("tolerance_seconds", 1.0)),
        self_initiated=frozenset(str(v) for v in rec.get("self_initiated", [])),
        text=frozenset(str(v) for v in rec.get("text", [])),
    )


class _Bad(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def read_calls(path: Path, mapping: CadMapping) -> Iterator[CallRecord | Reject]:
    """Each data row as a :class:`CallRecord`, or a :class:`Reject` saying line, field and why.
    The file is refused whole (:class:`InvalidInput`) when a mapped column is missing."""
    label = str(Path(path).resolve())
    cols = mapping.columns
    limit = mapping.max_interval_hours * 3600.0

    def cell(row: dict[str, str], field: str) -> str | None:
        name = cols.get(field)
        if name is None:
            return None
        text = (row.get(name) or "").strip()
        return None if not text or text in mapping.missing else text

    def stamp(row: dict[str, str], field: str) -> datetime | None:
        text = cell(row, field)
        if text is None:
            return None
        try:
            if mapping.timestamp_format:
                try:
                    return datetime.strptime(text, mapping.timestamp_format)
                except ValueError:
                    pass
            return datetime.fromisoformat(text)
        except ValueError:
            raise _Bad(cols[field], f"cannot read {text!r} as a timestamp") from None

    for line, row in read_rows(Path(path), list(cols.values())):
        try:
            incident = cell(row, "incident")
            if incident is None:
                raise _Bad(cols["incident"], "no incident number")
            agency_name = cell(row, "agency") or ""
            agency = mapping.agencies.get(agency_name)
            if agency is None:
                raise _Bad(cols["agency"], f"agency {agency_name!r} is not in the mapping")
            code = cell(row, "priority") or ""
            if code not in mapping.priorities:
                raise _Bad(cols["priority"], f"priority {code!r} is not in the mapping")
            stamps = {f: stamp(row, f) for f in STAMPS}
            where = {f: cols.get(f, f) for f in STAMPS}
            if (cell(row, "reopened") or "").lower() in YES:
                final = stamp(row, "final_closed")
                if final is not None:
                    stamps["closed"], where["closed"] = final, cols["final_closed"]
            for f in ("received", "queued", "dispatched"):
                if stamps[f] is None:
                    raise _Bad(cols[f], f"no {f} time")
            intervals: dict[str, float | None] = {}
            for name, (a, b) in INTERVALS.items():
                start, end = stamps[a], stamps[b]
                if start is None or end is None:
                    intervals[name] = None
                    continue
                seconds = (end - start).total_seconds()
                if -mapping.tolerance_seconds <= seconds < 0:
                    seconds = 0.0
                if seconds < 0 or seconds > limit:
                    what = "negative" if seconds < 0 else f"longer than {limit / 3600:g} hours"
                    raise _Bad(
                        where[b],
                        f"impossible {name} interval ({a} -> {b}): {seconds:,.1f} s is {what}",
                    )
                intervals[name] = seconds
            week_text = cell(row, "week")
            received = stamps["received"]
            assert received is not None
            try:
                week = int(week_text) if week_text else received.isocalendar().week
            except ValueError:
                raise _Bad(cols["week"], f"week {week_text!r} is not a number") from None
            reception = cell(row, "reception")
            yield CallRecord(
                line=line,
                incident=incident,
                agency=agency,
                call_type=(cell(row, "call_type") or "UNKNOWN").upper(),
                priority_code=code,
                priority=mapping.priorities[code],
                reception=reception,
                self_initiated=reception in mapping.self_initiated,
                text=reception in mapping.text,
                week=week,
                disposition=cell(row, "disposition"),
                stamps=stamps,
                intervals=intervals,
            )
        except _Bad as bad:
            yield Reject(label, line, bad.field, bad.reason)
