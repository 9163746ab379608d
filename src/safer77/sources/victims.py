"""Victims of homicides and non-fatal shootings, one row per victim, from two layouts:

* the City's "Violence Reduction - Victims of Homicides and Non-Fatal Shootings" export
  (UNIQUE_ID, CASE_NUMBER, DATE, VICTIMIZATION_PRIMARY, GUNSHOT_INJURY_I, COMMUNITY_AREA as a
  number or a name, AGE band, SEX, RACE, LATITUDE, LONGITUDE, ...). The victim-name columns
  of homicide rows are never read;
* a Gun Violence Archive export (Incident ID, Incident Date, State, City Or County, Victims
  Killed, Victims Injured, latitude, longitude), one row per incident, which becomes one
  homicide victim per person killed and one non-fatal shooting victim per person injured.
  GVA covers the whole country: rows of other places are counted, not loaded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from safer77.errors import InvalidInput
from safer77.sources.city311 import chicago_point, normalise_header, parse_time
from safer77.sources.tabular import BadField, Reject, optional_float, read_header, read_rows

HOMICIDE = "homicide"
NONFATAL = "nonfatal_shooting"
KINDS = (HOMICIDE, NONFATAL)


@dataclass(frozen=True)
class Victim:
    key: str
    case_number: str | None
    occurred_at: datetime
    kind: str  # homicide or nonfatal_shooting
    gunshot: bool | None
    community_area: int | None
    area_name: str | None  # a published area name, to be matched to the boundaries
    district: int | None
    age_band: str | None
    sex: str | None
    race: str | None
    latitude: float | None
    longitude: float | None
    source: str  # 'city' or 'gva'
    line: int


@dataclass(frozen=True)
class Elsewhere:
    """A row of another place (GVA): counted, not loaded."""

    line: int


CITY_REQUIRED = ("unique_id", "date", "victimization_primary")
GVA_REQUIRED = ("incident_id", "incident_date", "state", "city_or_county", "victims_killed")


def layout(header: list[str]) -> str:
    names = {normalise_header(h) for h in header}
    if all(c in names for c in CITY_REQUIRED):
        return "city"
    if all(c in names for c in GVA_REQUIRED):
        return "gva"
    raise InvalidInput(
        "not a victims file: expected the City's victims export (UNIQUE_ID, DATE, "
        "VICTIMIZATION_PRIMARY, ...) or a Gun Violence Archive export (Incident ID, "
        "Incident Date, State, City Or County, Victims Killed, ...)",
        line=1,
    )


def read_victims(
    path: Path, *, city: str = "Chicago", state: str = "Illinois"
) -> Iterator[Victim | Reject | Elsewhere]:
    """Each victim (a GVA row gives several), a :class:`Reject` naming line and field, or
    :class:`Elsewhere` for a GVA row of another place."""
    path = Path(path)
    try:
        kind = layout(read_header(path))
    except InvalidInput as exc:
        raise InvalidInput(str(exc), file=str(path), line=1) from None
    for line, raw in read_rows(path, ()):
        row = {normalise_header(k): (v or "").strip() for k, v in raw.items() if k}
        try:
            if kind == "city":
                yield _city(row, line)
            else:
                yield from _gva(row, line, city, state)
        except BadField as bad:
            yield Reject(str(path), line, bad.field, bad.reason)


def _when(row: Mapping[str, str], field: str, formats: tuple[str, ...] = ()) -> datetime:
    text = row.get(field, "")
    if not text:
        raise BadField(field, f"no {field.replace('_', ' ')}")
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return parse_time(text)
    except ValueError:
        raise BadField(field, f"{field.replace('_', ' ')} is not a date: {text!r}") from None


def _number(row: Mapping[str, str], field: str) -> float | None:
    return optional_float(row.get(field, ""), field, field.replace("_", " "))


def _point(row: Mapping[str, str], lat_f: str, lon_f: str) -> tuple[float | None, float | None]:
    return chicago_point(_number(row, lat_f), _number(row, lon_f), lat_f)


def _city(row: Mapping[str, str], line: int) -> Victim:
    key = row.get("unique_id", "")
    if not key:
        raise BadField("unique_id", "no victim id")
    victimization = row.get("victimization_primary", "").upper()
    if not victimization:
        raise BadField("victimization_primary", "no victimization")
    gunshot_text = row.get("gunshot_injury_i", "").upper()
    gunshot = {"YES": True, "Y": True, "NO": False, "N": False}.get(gunshot_text)
    if gunshot_text and gunshot is None:
        raise BadField("gunshot_injury_i", f"gunshot injury is not YES/NO: {gunshot_text!r}")
    kind = HOMICIDE if victimization.startswith("HOMICIDE") else NONFATAL
    if kind == NONFATAL and gunshot is False:
        raise BadField("gunshot_injury_i", "a non-fatal victim without a gunshot injury")
    area_text = row.get("community_area", "")
    area: int | None = None
    name: str | None = None
    if area_text:
        try:
            area = int(float(area_text))
        except ValueError:
            name = area_text.upper()
        if area is not None and not 1 <= area <= 77:
            raise BadField("community_area", f"community area {area} is not 1-77")
    district = _number(row, "district")
    lat, lon = _point(row, "latitude", "longitude")
    return Victim(
        key=key,
        case_number=row.get("case_number") or None,
        occurred_at=_when(row, "date"),
        kind=kind,
        gunshot=gunshot,
        community_area=area,
        area_name=name,
        district=None if district is None else int(district),
        age_band=row.get("age") or None,
        sex=row.get("sex") or None,
        race=row.get("race") or None,
        latitude=lat,
        longitude=lon,
        source="city",
        line=line,
    )


def _gva(row: Mapping[str, str], line: int, city: str, state: str) -> Iterator[Victim | Elsewhere]:
    if (
        row.get("city_or_county", "").lower() != city.lower()
        or row.get("state", "").lower() != state.lower()
    ):
        yield Elsewhere(line)
        return
    incident = row.get("incident_id", "")
    if not incident:
        raise BadField("incident_id", "no incident id")
    when = _when(row, "incident_date", ("%B %d, %Y",))
    counts = {}
    for field in ("victims_killed", "victims_injured"):
        value = _number(row, field)
        if value is None or value < 0 or value != int(value):
            raise BadField(field, f"{field.replace('_', ' ')} is not a count: {row.get(field)!r}")
        counts[field] = int(value)
    if not any(counts.values()):
        raise BadField("victims_killed", "no victims killed or injured")
    lat, lon = _point(row, "latitude", "longitude")
    for field, kind, tag in (("victims_killed", HOMICIDE, "k"), ("victims_injured", NONFATAL, "i")):
        for n in range(counts[field]):
            yield Victim(
                key=f"gva-{incident}-{tag}{n + 1}",
                case_number=None,
                occurred_at=when,
                kind=kind,
                gunshot=True,
                community_area=None,
                area_name=None,
                district=None,
                age_band=None,
                sex=None,
                race=None,
                latitude=lat,
                longitude=lon,
                source="gva",
                line=line,
            )
