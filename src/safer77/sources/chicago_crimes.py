"""Chicago "Crimes - 2001 to present" in the portal's shapes: CSV (plain or gzip), the API's
JSON rows (array or JSON Lines), and GeoJSON point exports.

This module knows file formats only. It inspects a file and returns an :class:`IncidentSource`
that says how to read it: the column of each canonical field, or the records themselves when
the format is small and irregular (JSON, GeoJSON). Reading at scale is the warehouse's job.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from safer77.errors import InvalidInput
from safer77.schema import INCIDENT_COLUMNS, canonical_column, missing_required

EXPECTED = (
    "the portal's 'Crimes - 2001 to present' export (CSV header with Date and Primary Type "
    "or IUCR, e.g. ID,Case Number,Date,Block,IUCR,Primary Type,...), its API JSON rows, "
    "or a GeoJSON of incident points"
)

Format = Literal["csv", "records"]


@dataclass(frozen=True)
class IncidentSource:
    """How to read one incident file.

    ``mapping`` maps each canonical column present in the file to the file's own column name
    (used in error messages, so they name the field as the user sees it). For ``records``
    sources, ``records`` holds one dict per input record keyed by canonical name, with the
    1-based line (JSON Lines) or record number (JSON array, GeoJSON) in ``_line``, and
    ``bad_records`` holds records that could not be parsed at all: (line, reason).
    """

    path: Path
    format: Format
    compression: Literal["none", "gzip"]
    header: tuple[str, ...]
    mapping: dict[str, str]
    ignored: tuple[str, ...] = ()
    #: What the reader did with the file that its user should know (one sentence each).
    notes: tuple[str, ...] = ()
    records: list[dict[str, str | None]] = field(default_factory=list)
    bad_records: list[tuple[int, str]] = field(default_factory=list)
    #: strptime format shared by every Date and Updated On value seen in the sample, if any.
    timestamp_format: str | None = None

    def source_name(self, canonical: str) -> str:
        """The file's own name for a canonical column."""
        return self.mapping.get(canonical, canonical)


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _first_bytes(path: Path, gz: bool, n: int = 65536) -> bytes:
    try:
        if gz:
            with gzip.open(path, "rb") as fh:
                return fh.read(n)
        with path.open("rb") as fh:
            return fh.read(n)
    except (OSError, EOFError, zlib.error) as exc:
        raise InvalidInput(
            f"unreadable gzip file ({exc}); expected {EXPECTED}", file=str(path)
        ) from None


#: How ``ignored`` names the row-index column that R's ``write.csv`` (header ``""``) and
#: pandas' ``to_csv`` (an empty header, or ``Unnamed: 0`` once read and written again) put first.
ROW_INDEX = "(row index)"
_ROW_INDEX_HEADERS = ("", "Unnamed: 0")
ROW_INDEX_NOTE = (
    "column 1 has no name: a row index (as R's write.csv and pandas' to_csv write), ignored"
)


def _map_header(
    path: Path, header: list[str]
) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]:
    """Canonical column → the file's name, the ignored columns, and notes about them."""
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    notes: list[str] = []
    for i, name in enumerate(header):
        canon = canonical_column(name)
        if i == 0 and name.strip() in _ROW_INDEX_HEADERS:
            ignored.append(ROW_INDEX)
            notes.append(ROW_INDEX_NOTE)
        elif canon is None or canon in mapping:
            ignored.append(name if name.strip() else f"(unnamed column {i + 1})")
        else:
            mapping[canon] = name
    missing = missing_required(set(mapping))
    if missing:
        shown = ",".join(header[:8]) + (",..." if len(header) > 8 else "")
        raise InvalidInput(
            f"not a crimes file: header [{shown}] has no {' and no '.join(missing)} column; "
            f"expected {EXPECTED}",
            file=str(path),
            line=1,
        )
    return mapping, tuple(ignored), tuple(notes)


def open_incident_source(path: Path) -> IncidentSource:
    """Inspect ``path`` and describe how to read it; refuse files in no known schema."""
    if not path.exists():
        raise InvalidInput("file not found", file=str(path))
    if path.is_dir():
        raise InvalidInput("is a folder, expected a file", file=str(path))
    if path.stat().st_size == 0:
        raise InvalidInput(f"file is empty; expected {EXPECTED}", file=str(path))
    gz = _is_gzip(path)
    head = _first_bytes(path, gz)
    if not head.strip():
        raise InvalidInput(f"file is empty; expected {EXPECTED}", file=str(path))
    if head.lstrip()[:1] in (b"{", b"["):
        return _json_source(path, gz)
    try:
        first_line = head.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        raise InvalidInput(
            f"header is not UTF-8 text (binary file?); expected {EXPECTED}", file=str(path), line=1
        ) from None
    header = next(csv.reader([first_line]))
    mapping, ignored, notes = _map_header(path, header)
    return IncidentSource(
        path=path,
        format="csv",
        compression="gzip" if gz else "none",
        header=tuple(header),
        mapping=mapping,
        ignored=ignored,
        notes=notes,
        timestamp_format=_sample_timestamp_format(head, header, mapping),
    )


#: Timestamp layouts seen in portal exports, most common first; then those of a spreadsheet
#: that saved the file again (Excel writes 6/28/2023 23:04: no leading zeros, no seconds).
TIMESTAMP_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
)


def _sample_timestamp_format(head: bytes, header: list[str], mapping: dict[str, str]) -> str | None:
    """The one format that reads every Date/Updated On in the first rows, or None.

    A file whose sample mixes layouts gets None, and the warehouse parses each value on its
    own (slower, but nothing is refused for its layout).
    """
    cols = [header.index(mapping[c]) for c in ("date", "updated_on") if c in mapping]
    text = head.decode("utf-8", errors="replace").splitlines()[1:-1][:200]
    values = [
        row[i].strip()
        for row in csv.reader(text)
        for i in cols
        if len(row) == len(header) and row[i].strip()
    ]
    if not values:
        return None
    for fmt in TIMESTAMP_FORMATS:
        try:
            for v in values:
                datetime.strptime(v, fmt)
        except ValueError:
            continue
        return fmt
    return None


# --- JSON shapes ------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A JSON value as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return None  # e.g. the API's nested `location`; latitude/longitude carry the point
    return str(value)


def _iter_json_records(path: Path, gz: bool) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield (line or record number, record dict or an error message)."""
    opener = gzip.open if gz else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InvalidInput(f"unreadable gzip file ({exc})", file=str(path)) from None
    # A document that parses whole is a JSON array, a GeoJSON FeatureCollection or one row;
    # anything else starting with "{" is JSON Lines, where a bad line is one bad record.
    whole: Any = None
    if text.lstrip().startswith("["):
        whole = _loads_or_refuse(path, text)
    else:
        try:
            whole = json.loads(text)
        except json.JSONDecodeError:
            whole = None
    if whole is not None:
        if isinstance(whole, dict):
            items = whole.get("features") if whole.get("type") == "FeatureCollection" else [whole]
        else:
            items = whole
        if not isinstance(items, list):
            raise InvalidInput(
                f"JSON is neither an array of rows nor GeoJSON; expected {EXPECTED}", file=str(path)
            )
        for n, item in enumerate(items, start=1):
            yield n, _feature_record(item) if isinstance(item, dict) else "record is not an object"
        return
    for n, line in enumerate(io.StringIO(text), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, f"invalid JSON ({exc.msg})"
            continue
        yield n, obj if isinstance(obj, dict) else "line is not a JSON object"


def _loads_or_refuse(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"invalid JSON at line {exc.lineno}: {exc.msg}", file=str(path), line=exc.lineno
        ) from None


def _feature_record(item: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON Feature → its properties (with the point's coordinates); rows pass through."""
    if item.get("type") != "Feature":
        return item
    props = dict(item.get("properties") or {})
    geom = item.get("geometry") or {}
    coords = geom.get("coordinates") if geom.get("type") == "Point" else None
    if coords and len(coords) >= 2:
        # properties may carry the point too; fill them from the geometry where empty
        for name, value in (("Longitude", coords[0]), ("Latitude", coords[1])):
            key = next((k for k in props if k.lower() == name.lower()), name)
            if props.get(key) in (None, ""):
                props[key] = value
    return props


def _json_source(path: Path, gz: bool) -> IncidentSource:
    records: list[dict[str, str | None]] = []
    bad: list[tuple[int, str]] = []
    mapping: dict[str, str] = {}
    ignored: set[str] = set()
    for line, rec in _iter_json_records(path, gz):
        if isinstance(rec, str):
            bad.append((line, rec))
            continue
        out: dict[str, str | None] = {"_line": str(line)}
        for key, value in rec.items():
            canon = mapping_get(mapping, ignored, key)
            if canon is not None:
                out[canon] = _text(value)
        records.append(out)
    if not records:
        shown = "; ".join(f"record {n}: {why}" for n, why in bad[:3]) or "no records"
        raise InvalidInput(
            f"no record is a JSON object ({shown}); expected {EXPECTED}", file=str(path)
        )
    missing = missing_required(set(mapping))
    if missing:
        raise InvalidInput(
            f"not a crimes file: records have no {' and no '.join(missing)} field; "
            f"expected {EXPECTED}",
            file=str(path),
        )
    order = [c for c in INCIDENT_COLUMNS if c in mapping]
    return IncidentSource(
        path=path,
        format="records",
        compression="gzip" if gz else "none",
        header=tuple(mapping[c] for c in order),
        mapping=mapping,
        ignored=tuple(sorted(ignored)),
        records=records,
        bad_records=bad,
    )


def mapping_get(mapping: dict[str, str], ignored: set[str], key: str) -> str | None:
    """Canonical name for a record key, remembering the first source name seen for it."""
    canon = canonical_column(key)
    if canon is None:
        ignored.add(key)
        return None
    mapping.setdefault(canon, key)
    return canon


def record_lines(
    src: IncidentSource, wanted: set[int], accepted_total: int, refused_lines: set[int]
) -> dict[int, int]:
    """Physical line (header = 1) of the ``wanted`` accepted records of a CSV source.

    Records are counted the way the warehouse's reader counts them: blank lines and the
    ``refused_lines`` it rejected do not count, and a record whose quoted field spans lines
    sits on the line it starts on. When every line after the header is one record (the usual
    case, found by counting newlines) this is arithmetic; otherwise the file is read once
    with Python's csv module.
    """
    if not wanted:
        return {}
    opener = gzip.open if src.compression == "gzip" else open
    newlines, last = 0, b"\n"
    with opener(src.path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    physical = newlines + (last != b"\n")
    if physical == 1 + accepted_total + len(refused_lines):
        refused = sorted(refused_lines)
        out: dict[int, int] = {}
        j = 0
        for rn in sorted(wanted):  # record rn comes after every refused line before it
            while j < len(refused) and refused[j] <= rn + 1 + j:
                j += 1
            out[rn] = rn + 1 + j
        return out
    out = {}
    accepted = 0
    with opener(src.path, "rt", encoding="utf-8", errors="replace", newline="") as text:
        reader = csv.reader(text)
        next(reader, None)  # the header
        start = reader.line_num + 1
        for record in reader:
            if record and start not in refused_lines:
                accepted += 1
                if accepted in wanted:
                    out[accepted] = start
            start = reader.line_num + 1
    return out
