"""Linking CPD's homicide clearance records (one per victim, keyed by RD number) to the portal's
homicide rows (Case Number = RD number) for place, district, beat and location.

Nothing is dropped silently: every record is linked or listed as unmatched with its reason,
and records the clearance file itself refused are counted with their line and field.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from safer77.sources.cpd_homicides import read_homicides
from safer77.sources.tabular import Reject

#: days an injury date may differ from the portal's date before the link is flagged
DATE_TOLERANCE_DAYS = 2


@dataclass(frozen=True)
class ClearanceRecord:
    """One homicide victim's case as CPD reports its clearance."""

    rd_number: str
    key: str  # homicide number (file) or case id (service)
    injury_at: datetime
    victim_sex: str | None
    victim_age: int | None
    location: str | None
    cleared_on: date | None
    exceptional: str | None  # NIBRS code when cleared exceptionally


@dataclass(frozen=True)
class LinkedCase:
    record: ClearanceRecord
    community_area: int | None
    district: int | None
    beat: int | None
    latitude: float | None
    longitude: float | None
    portal_location: str | None
    date_gap_days: int  # |injury date - portal date|

    @property
    def cleared_arrest(self) -> bool:
        return self.record.cleared_on is not None and self.record.exceptional is None

    @property
    def cleared_exceptional(self) -> bool:
        return self.record.cleared_on is not None and self.record.exceptional is not None


@dataclass(frozen=True)
class Linkage:
    linked: list[LinkedCase]
    unmatched: list[tuple[ClearanceRecord, str]]  # record, reason
    refused: list[Reject]  # rows of the clearance file that could not be read

    @property
    def records(self) -> int:
        return len(self.linked) + len(self.unmatched)

    @property
    def rate(self) -> float:
        return len(self.linked) / self.records if self.records else 0.0

    @property
    def date_flags(self) -> int:
        return sum(1 for c in self.linked if c.date_gap_days > DATE_TOLERANCE_DAYS)


def records_from_file(path: Path) -> tuple[list[ClearanceRecord], list[Reject]]:
    records, refused = [], []
    for item in read_homicides(Path(path)):
        if isinstance(item, Reject):
            refused.append(item)
            continue
        records.append(
            ClearanceRecord(
                rd_number=item.rd_number,
                key=item.homicide_number,
                injury_at=item.injury_at,
                victim_sex=item.victim_sex,
                victim_age=item.victim_age,
                location=item.location,
                cleared_on=item.cleared_on,
                exceptional=item.exceptional,
            )
        )
    return records, refused


def link(
    con: duckdb.DuckDBPyConnection,
    records: list[ClearanceRecord],
    refused: list[Reject] | None = None,
) -> Linkage:
    """Link each record to a portal homicide row of the same case number: the row nearest in
    date, each portal row used once while others remain (a case with several victims has one
    portal row per victim)."""
    rows = con.execute(
        "SELECT upper(trim(case_number)), occurred_at, community_area, district, beat, "
        "latitude, longitude, location_description FROM incidents "
        "WHERE primary_type = 'HOMICIDE' AND case_number IS NOT NULL "
        "ORDER BY case_number, occurred_at, incident_key"
    ).fetchall()
    by_case: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    for r in rows:
        by_case[str(r[0])].append(r)
    used: dict[str, set[int]] = defaultdict(set)
    linked: list[LinkedCase] = []
    unmatched: list[tuple[ClearanceRecord, str]] = []
    missing = (
        "no portal row with this case number"
        if rows
        else "no homicide rows in the warehouse; load the portal's homicides first"
    )
    for rec in sorted(records, key=lambda r: (r.rd_number, r.injury_at, r.key)):
        candidates = by_case.get(rec.rd_number.upper(), [])
        if not candidates:
            unmatched.append((rec, missing))
            continue
        free = [i for i in range(len(candidates)) if i not in used[rec.rd_number]]
        pool = free or list(range(len(candidates)))
        best = min(pool, key=lambda i: (_gap(rec.injury_at, candidates[i][1]), i))
        used[rec.rd_number].add(best)
        _, when, area, district, beat, lat, lon, loc = candidates[best]
        linked.append(
            LinkedCase(
                record=rec,
                community_area=_int(area),
                district=_int(district),
                beat=_int(beat),
                latitude=None if lat is None else float(str(lat)),
                longitude=None if lon is None else float(str(lon)),
                portal_location=None if loc is None else str(loc),
                date_gap_days=_gap(rec.injury_at, when),
            )
        )
    return Linkage(linked, unmatched, list(refused or []))


def _gap(a: datetime, b: object) -> int:
    if not isinstance(b, datetime):
        return 10**6
    return abs((a.date() - b.date()).days)


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))
