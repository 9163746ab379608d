"""CPD Tactical Response Reports (use of force), as released by FOIA p877988.

Three files join on ``trr_id``: the reports, the actions of member and subject, and the
subjects. Only non-identifying fields are kept: no hashed RD or CB numbers, no subject
demographics (gender, race, birth year, height, weight, ZIP).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from safer77.sources.tabular import Reject, read_rows

MAIN = ("trr_id", "trr_status", "trr_date", "beat", "location", "indoor_or_outdoor")
ACTIONS = ("trr_id", "person", "action", "other_description")
SUBJECTS = ("trr_id", "injured", "alleged_injury", "hospitalized", "armed")
SUBJECT_FLAGS = ("injured", "alleged_injury", "hospitalized", "armed")


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
            status=(row["trr_status"] or "").strip() or None,
            beat=beat,
            district=beat // 100 if beat else None,
            details={
                "location": (row["location"] or "").strip() or None,
                "indoor_or_outdoor": (row["indoor_or_outdoor"] or "").strip() or None,
            },
            line=line,
            issues=issues,
        )


def read_actions(path: Path) -> tuple[dict[str, dict[str, list[str]]], list[Reject], int]:
    """Actions per report: ``{trr_id: {"member": [...], "subject": [...]}}``, rejects, rows."""
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"member": [], "subject": []})
    rejects: list[Reject] = []
    rows = 0
    for line, row in read_rows(path, ACTIONS):
        rows += 1
        trr, person, action, category = ((row[c] or "").strip() for c in ACTIONS)
        # the release fills either the action or only its category (e.g. "Control Tactic")
        action = action or (f"[{category}]" if category else "")
        who = (
            "member"
            if person.lower().startswith("member")
            else ("subject" if person.lower().startswith("subject") else None)
        )
        if not trr or who is None or not action:
            missing = "trr_id" if not trr else "person" if who is None else "action"
            rejects.append(Reject(str(path), line, missing, f"no {missing} in this row"))
            continue
        out[trr][who].append(action)
    return dict(out), rejects, rows


def read_subjects(path: Path) -> tuple[dict[str, list[dict[str, bool | None]]], list[Reject], int]:
    """Per report, the subjects' yes/no flags (injured, alleged injury, hospitalized, armed)."""
    out: dict[str, list[dict[str, bool | None]]] = defaultdict(list)
    rejects: list[Reject] = []
    rows = 0
    for line, row in read_rows(path, SUBJECTS):
        rows += 1
        trr = row["trr_id"].strip()
        if not trr:
            rejects.append(Reject(str(path), line, "trr_id", "empty report id"))
            continue
        flags: dict[str, bool | None] = {}
        for name in SUBJECT_FLAGS:
            value = (row[name] or "").strip().lower()
            flags[name] = True if value in {"yes", "y"} else False if value in {"no", "n"} else None
        out[trr].append(flags)
    return dict(out), rejects, rows
