"""311 service requests: the portal's unified "311 Service Requests" export (SR_NUMBER,
SR_TYPE, CREATED_DATE, CLOSED_DATE, ...) and the older per-type datasets ("Service Request
Number", "Creation Date", "Completion Date", ...; street lights out, vacant and abandoned
buildings, sanitation code complaints, graffiti) read into one typed shape.

Headers are matched after lower-casing and turning spaces and dots into underscores, so
``Creation Date``, ``Creation_Date`` and ``CREATION DATE`` are the same column. Street
addresses are cut to the block (``036XX N DAMEN AVE``) on reading: the full address of a
resident's complaint is never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from safer77.errors import InvalidInput
from safer77.geo.address import to_block
from safer77.sources.tabular import BadField, Reject, optional_float, read_header, read_rows

#: canonical field → accepted (normalised) header names, first match wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("sr_number", "service_request_number"),
    "sr_type": ("sr_type", "type_of_service_request", "service_request_type"),
    "status": ("status",),
    "created": ("created_date", "creation_date", "date_service_request_was_received"),
    "closed": ("closed_date", "completion_date"),
    "modified": ("last_modified_date",),
    "duplicate": ("duplicate",),
    "address": ("street_address", "address_street_number"),
    "community_area": ("community_area",),
    "latitude": ("latitude",),
    "longitude": ("longitude",),
    "x": ("x_coordinate",),
    "y": ("y_coordinate",),
}
REQUIRED = ("number", "sr_type", "created")

#: request category by words in the request type (first match wins).
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("street_light", ("light",)),
    ("vacant_building", ("vacant", "abandoned building")),
    ("sanitation", ("sanitation",)),
    ("graffiti", ("graffiti",)),
    ("abandoned_vehicle", ("abandoned vehicle",)),
    ("rodent", ("rodent", "rat ")),
)

_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
)
CHICAGO = ZoneInfo("America/Chicago")  # the portal's times are local
# Chicago's extent with a margin: a point outside it is a data error, not a place.
LAT_RANGE = (41.5, 42.2)
LON_RANGE = (-88.1, -87.4)


@dataclass(frozen=True)
class Request311:
    number: str
    category: str
    sr_type: str
    status: str  # open, completed or canceled
    flagged_duplicate: bool  # 311 marked it as a duplicate of another request
    created_at: datetime
    closed_at: datetime | None
    modified_at: datetime | None
    community_area: int | None
    latitude: float | None
    longitude: float | None
    x: float | None
    y: float | None
    block: str | None
    line: int


def normalise_header(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def category(sr_type: str) -> str:
    text = sr_type.lower() + " "
    for name, words in CATEGORIES:
        if any(w in text for w in words):
            return name
    return "other"


def parse_time(text: str) -> datetime:
    text = text.strip()
    if text[:4].isdigit():
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if value.tzinfo is not None:  # e.g. a trailing Z: to Chicago's local time
                value = value.astimezone(CHICAGO).replace(tzinfo=None)
            return value
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def _optional_float(row: dict[str, str], field: str, column: str | None) -> float | None:
    return optional_float((row.get(column) or "") if column else "", column or field, field)


def chicago_point(
    lat: float | None, lon: float | None, field: str
) -> tuple[float | None, float | None]:
    """A point, or (None, None) when a coordinate is missing or both are 0 (the portal's "no
    point"); :class:`BadField` for a point outside Chicago."""
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None, None
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        raise BadField(field, f"point ({lat}, {lon}) is outside Chicago")
    return lat, lon


def _parse(row: dict[str, str], cols: dict[str, str | None], line: int) -> Request311:
    def text(field: str) -> str:
        column = cols[field]
        return (row.get(column) or "").strip() if column else ""

    def when(field: str) -> datetime | None:
        value = text(field)
        if not value:
            return None
        try:
            return parse_time(value)
        except ValueError:
            raise BadField(cols[field] or field, f"{field} date is not a date: {value!r}") from None

    number = text("number")
    if not number:
        raise BadField(cols["number"] or "number", "no service request number")
    sr_type = text("sr_type")
    if not sr_type:
        raise BadField(cols["sr_type"] or "sr_type", "no request type")
    created = when("created")
    if created is None:
        raise BadField(cols["created"] or "created", "no creation date")
    closed = when("closed")
    if closed is not None and closed < created:
        raise BadField(
            cols["closed"] or "closed", f"closed {closed:%Y-%m-%d} before it was created"
        )
    raw_status = text("status").lower()
    flagged = "dup" in raw_status or text("duplicate").lower() in ("true", "t", "yes", "y", "1")
    if "cancel" in raw_status:
        status = "canceled"
    elif closed is not None or raw_status.startswith("complete") or raw_status == "closed":
        status = "completed"
    else:
        status = "open"
    area_text = text("community_area")
    area: int | None = None
    if area_text:
        try:
            area = int(float(area_text))
        except ValueError:
            raise BadField(
                cols["community_area"] or "community_area",
                f"community area is not a number: {area_text!r}",
            ) from None
        if not 1 <= area <= 77:
            area = None  # e.g. 0: unknown; placed from the coordinates when boundaries exist
    lat, lon = chicago_point(
        _optional_float(row, "latitude", cols["latitude"]),
        _optional_float(row, "longitude", cols["longitude"]),
        cols["latitude"] or "latitude",
    )
    x = _optional_float(row, "x_coordinate", cols["x"])
    y = _optional_float(row, "y_coordinate", cols["y"])
    if not x or not y:
        x = y = None  # the portal writes 0 for "no coordinate"
    address = text("address")
    try:
        block = to_block(address) if address else None
    except InvalidInput:
        block = None  # an intersection or a landmark: no block, the point still places it
    return Request311(
        number=number,
        category=category(sr_type),
        sr_type=sr_type,
        status=status,
        flagged_duplicate=flagged,
        created_at=created,
        closed_at=closed if status != "open" else None,
        modified_at=when("modified"),
        community_area=area,
        latitude=lat,
        longitude=lon,
        x=x,
        y=y,
        block=block,
        line=line,
    )


def read_311(path: Path) -> Iterator[Request311 | Reject]:
    """Each data row as a :class:`Request311`, or a :class:`Reject` naming line and field.

    A file without the number, type and creation-date columns is refused whole
    (:class:`InvalidInput` naming the first missing column)."""
    path = Path(path)
    header = read_header(path)
    by_norm = {normalise_header(h): h for h in header}
    cols: dict[str, str | None] = {
        field: next((by_norm[a] for a in names if a in by_norm), None)
        for field, names in ALIASES.items()
    }
    missing = [f for f in REQUIRED if cols[f] is None]
    if missing:
        raise InvalidInput(
            f"not a 311 service-request file: no {' / '.join(ALIASES[missing[0]])} column",
            file=str(path),
            line=1,
            field=missing[0],
        )
    for line, row in read_rows(path, ()):
        try:
            yield _parse(row, cols, line)
        except BadField as bad:
            yield Reject(str(path), line, bad.field, bad.reason)
