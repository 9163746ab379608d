"""CPD Tactical Response Reports (use of force), as released by FOIA p877988.

Three files join on ``trr_id``: the reports, the actions of member and subject, and the
subjects. Only non-identifying fields are kept: no hashed RD or CB numbers, no subject
demographics (gender, race, birth year, height, weight, ZIP). The 2017-2020 release has no
``trr_status`` in its reports and no ``other_description`` in its actions: both are optional.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from safer77.sources.tabular import Reject, read_header, read_rows

MAIN = ("trr_id", "trr_date", "beat", "location", "indoor_or_outdoor")
ACTIONS = ("trr_id", "person", "action")
#: Columns of the 2021-2023 release that the 2017-2020 layout lacks: read when present.
OPTIONAL = {"main": ("trr_status",), "actions": ("other_description",)}
SUBJECTS = ("trr_id", "injured", "alleged_injury", "hospitalized", "armed")
SUBJECT_FLAGS = ("injured", "alleged_injury", "hospitalized", "armed")


def layout_notes(path: Path, kind: str) -> list[str]:
    """What a file of ``kind`` ("main" or "actions") in the older layout is read without."""
    header = read_header(path)
    return [
        f"no {c} column (the 2017-2020 layout): read without it"
        for c in OPTIONAL.get(kind, ())
        if c not in header
    ]


@dataclass
class ForceReport:
    trr_id: str
    trr_date: date
    status: str | None
    beat: int | None
    district: int | None
    details: dict[str, Any] = field(default_factory=dict)
    line: int = 0
    issues: tuple[tuple[str, str], ...] = ()  # (field, problem): loaded, but worth a look


def _beat(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    value = float(text)
    if not value.is_integer() or not 100 <= value <= 3199:
        raise ValueError(text)
    return int(value)


def read_reports(path: Path) -> Iterator[ForceReport | Reject]:
    for line, row in read_rows(path, MAIN):
        trr = (row["trr_id"] or "").strip()
        if not trr:
            yield Reject(str(path), line, "trr_id", "empty report id")
            continue
        try:
            day = datetime.strptime((row["trr_date"] or "").strip()[:10], "%Y-%m-%d").date()
        except ValueError:
            yield Reject(str(path), line, "trr_date", f"not a date: {row['trr_date'][:20]!r}")
            continue
        issues: tuple[tuple[str, str], ...] = ()
        try:
            beat = _beat(row["beat"] or "")
        except ValueError:  # e.g. 5100, a facility code: keep the report, without a beat
            beat = None
            issues = (("beat", f"not a beat: {row['beat'][:10]!r}; loaded without one"),)
        yield ForceReport(
            trr_id=trr,
            trr_date=day,
            status=(row.get("trr_status") or "").strip() or None,
            beat=beat,
            district=beat // 100 if beat else None,
            details={
                "location": (row["location"] or "").strip() or None,
                "indoor_or_outdoor": (row["indoor_or_outdoor"] or "").strip() or None,
            },
            line=line,
            issues=issues,
        )


@dataclass
class SideFile:
    """A file that adds to the reports: its data per report id, the lines each id came from,
    its rejected rows and how many rows it had."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    rejects: list[Reject] = field(default_factory=list)
    rows: int = 0


def read_actions(path: Path) -> SideFile:
    """Actions per report: ``{trr_id: {"member": [...], "subject": [...]}}``."""
    side = SideFile(path, data=defaultdict(lambda: {"member": [], "subject": []}))
    for line, row in read_rows(path, ACTIONS):
        side.rows += 1
        trr, person, action, category = (
            (row.get(c) or "").strip() for c in ACTIONS + OPTIONAL["actions"]
        )
        # the release fills either the action or only its category (e.g. "Control Tactic")
        action = action or (f"[{category}]" if category else "")
        who = (
            "member"
            if person.lower().startswith("member")
            else ("subject" if person.lower().startswith("subject") else None)
        )
        if not trr or who is None or not action:
            missing = "trr_id" if not trr else "person" if who is None else "action"
            side.rejects.append(Reject(str(path), line, missing, f"no {missing} in this row"))
            continue
        side.data[trr][who].append(action)
        side.lines[trr].append(line)
    return side


def read_subjects(path: Path) -> SideFile:
    """Per report, the subjects' yes/no flags (injured, alleged injury, hospitalized, armed)."""
    side = SideFile(path, data=defaultdict(list))
    for line, row in read_rows(path, SUBJECTS):
        side.rows += 1
        trr = (row["trr_id"] or "").strip()
        if not trr:
            side.rejects.append(Reject(str(path), line, "trr_id", "empty report id"))
            continue
        flags: dict[str, bool | None] = {}
        for name in SUBJECT_FLAGS:
            value = (row[name] or "").strip().lower()
            flags[name] = True if value in {"yes", "y"} else False if value in {"no", "n"} else None
        side.data[trr].append(flags)
        side.lines[trr].append(line)
    return side
