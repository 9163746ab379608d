"""CPD's homicide clearance-status release (FOIA P744333 and later releases of the same form).

One row per homicide victim: RD number (the case number), homicide number, injury, death and
CompStat dates, block-level address, location, victim sex and age, cleared (Y/N), the exceptional
clearance reason and the date cleared. CPD's note: ``Cleared I = Y`` with an empty
``Cleared Exceptionally By`` means cleared by arrest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from safer77.sources.tabular import BadField, Reject, read_rows

COLUMNS = (
    "RD#",
    "Homicide #",
    "Injury Date",
    "Death Date",
    "Address (Block Level)",
    "Homicide Location Descr",
    "Victim Sex",
    "Victim Age",
    "Cleared I",
    "Cleared Exceptionally By",
    "Date Cleared",
)
# NIBRS exceptional-clearance codes: A death of offender, B prosecution declined, C in custody
# of another jurisdiction, D victim refused to cooperate, E juvenile, no custody.
EXCEPTIONAL: dict[str, str] = {
    "DEATH OF OFFENDER": "A",
    "BAR TO PROSECUTE": "B",
    "PROSECUTION DECLINED": "B",
    "EXTRADITION DENIED": "C",
    "IN CUSTODY OF OTHER JURISDICTION": "C",
    "VICTIM REFUSED TO COOPERATE": "D",
    "JUVENILE NO CUSTODY": "E",
}
RD = re.compile(r"^[A-Z]{1,2}[0-9]{5,7}$")
HOMICIDE_NUMBER = re.compile(r"^[0-9][0-9-]{0,15}$")
FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y")


@dataclass(frozen=True)
class Homicide:
    rd_number: str
    homicide_number: str
    injury_at: datetime
    death_at: datetime | None
    block: str | None
    location: str | None
    victim_sex: str | None
    victim_age: int | None
    cleared_on: date | None
    exceptional: str | None  # NIBRS code A-E
    line: int = 0
    issues: tuple[tuple[str, str], ...] = ()  # (field, problem): loaded, but worth a look


def parse_time(text: str, field: str) -> datetime:
    for fmt in FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise BadField(field, f"not a date: {text[:40]!r}")


def _record(row: dict[str, str], line: int) -> Homicide:
    rd = (row["RD#"] or "").strip().upper()
    if not RD.match(rd):
        raise BadField("RD#", f"not an RD number: {rd[:20]!r}")
    number = (row["Homicide #"] or "").strip()
    if not HOMICIDE_NUMBER.match(number):
        raise BadField("Homicide #", f"not a homicide number: {number[:20]!r}")
    injury = parse_time(row["Injury Date"] or "", "Injury Date")
    death = (
        parse_time(row["Death Date"], "Death Date") if (row["Death Date"] or "").strip() else None
    )
    issues: list[tuple[str, str]] = []
    if death is not None and death.date() < injury.date():
        # a contradiction in the source, not in the offense or its clearance: load and flag
        issues.append(("Death Date", "death before injury in the source"))
    cleared = (row["Cleared I"] or "").strip().upper()
    if cleared not in {"Y", "N"}:
        raise BadField("Cleared I", f"expected Y or N, got {cleared[:10]!r}")
    reason = (row["Cleared Exceptionally By"] or "").strip().upper()
    when = (row["Date Cleared"] or "").strip()
    cleared_on = exceptional = None
    if cleared == "Y":
        if not when:
            raise BadField("Date Cleared", "cleared without a date")
        cleared_on = parse_time(when, "Date Cleared").date()
        if cleared_on < injury.date():
            raise BadField("Date Cleared", "cleared before the offense")
        if reason:
            if reason not in EXCEPTIONAL:
                raise BadField("Cleared Exceptionally By", f"unknown reason {reason[:40]!r}")
            exceptional = EXCEPTIONAL[reason]
    elif reason or when:
        raise BadField("Cleared I", "not cleared, yet a clearance reason or date is given")
    age_text = (row["Victim Age"] or "").strip()
    age = None
    if age_text:
        if not age_text.isdigit() or int(age_text) > 120:
            raise BadField("Victim Age", f"not an age: {age_text[:10]!r}")
        age = int(age_text)
    sex = (row["Victim Sex"] or "").strip().upper()[:1] or None
    return Homicide(
        rd_number=rd,
        homicide_number=number,
        injury_at=injury,
        death_at=death,
        block=(row["Address (Block Level)"] or "").strip() or None,
        location=(row["Homicide Location Descr"] or "").strip() or None,
        victim_sex=sex if sex in {"M", "F", "X"} else None,
        victim_age=age,
        cleared_on=cleared_on,
        exceptional=exceptional,
        line=line,
        issues=tuple(issues),
    )


def read_homicides(path: Path) -> Iterator[Homicide | Reject]:
    """Each row as a :class:`Homicide`, or a :class:`Reject` naming line, field and reason."""
    for line, row in read_rows(path, COLUMNS):
        try:
            yield _record(row, line)
        except BadField as bad:
            yield Reject(str(path), line, bad.field, bad.reason)
