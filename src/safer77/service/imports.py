"""Imports of real case outcomes and use-of-force reports into the service.

Each import is one transaction and idempotent: every input row ends up loaded, updated (same
key, changed content), a duplicate (already there unchanged, or repeated in the file) or
rejected with file, line, field and reason. Nothing is silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from safer77.service import audit
from safer77.service.auth import Actor
from safer77.service.models import Case, CaseEvent, Release
from safer77.service.release import Stage
from safer77.service.workflow import CaseStatus
from safer77.sources.cpd_homicides import Homicide, read_homicides
from safer77.sources.tabular import Reject
from safer77.sources.use_of_force import (
    ForceReport,
    SideFile,
    layout_notes,
    read_actions,
    read_reports,
    read_subjects,
)

CPD_HOMICIDES = "cpd-homicides"
CPD_TRR = "cpd-trr"
Progress = Callable[[int], None]


@dataclass
class ImportReport:
    """What became of every row: ``read == loaded + updated + duplicates + len(rejects)``."""

    file: str
    read: int = 0
    loaded: int = 0
    updated: int = 0
    duplicates: int = 0
    rejects: list[Reject] = field(default_factory=list)
    flagged: list[Reject] = field(default_factory=list)  # loaded, with a problem noted
    notes: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.updated + self.duplicates + len(self.rejects)

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "read": self.read,
            "loaded": self.loaded,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "rejected": len(self.rejects),
            "flagged": len(self.flagged),
        }


R = TypeVar("R", Homicide, ForceReport)


def _first_of_each(
    report: ImportReport, items: Iterable[R | Reject], progress: Progress | None
) -> Iterator[R]:
    """Count every row into ``report`` (read, rejected, flagged, repeated in the file) and
    yield the first occurrence of each key."""
    first: dict[str, R] = {}
    for item in items:
        report.read += 1
        if progress:
            progress(1)
        if isinstance(item, Reject):
            report.rejects.append(item)
            continue
        key = item.homicide_number if isinstance(item, Homicide) else item.trr_id
        earlier = first.get(key)
        if earlier is not None:
            if replace(earlier, line=0, issues=()) == replace(item, line=0, issues=()):
                report.duplicates += 1
            else:  # the same key with other content: neither silently kept nor dropped
                report.rejects.append(
                    Reject(
                        report.file,
                        item.line,
                        "key",
                        f"repeats {key} from line "
                        f"{earlier.line} with different content; the first was kept",
                    )
                )
            continue
        report.flagged += [Reject(report.file, item.line, f, why) for f, why in item.issues]
        first[key] = item
        yield item


def _status(h: Homicide) -> CaseStatus:
    if h.cleared_on is None:
        return CaseStatus.investigating
    return CaseStatus.cleared_exceptional if h.exceptional else CaseStatus.cleared_arrest


def _case_fields(h: Homicide) -> dict[str, Any]:
    return {
        "case_number": h.rd_number,
        "crime_type": "HOMICIDE",
        "offense_at": h.injury_at,
        "block": h.block,
        "location_description": h.location,
        "victim_sex": h.victim_sex,
        "victim_age": h.victim_age,
        "status": _status(h).value,
        "cleared_on": h.cleared_on,
        "exceptional_code": h.exceptional,
    }


def import_cpd_homicides(
    session: Session, actor: Actor | None, path: Path, progress: Progress | None = None
) -> ImportReport:
    """Load CPD's homicide clearance file as cases (one per victim, keyed by homicide number)
    with their clearance events. Re-importing a newer release updates changed cases."""
    report = ImportReport(str(path))
    existing = {
        c.source_key: c for c in session.scalars(select(Case).where(Case.source == CPD_HOMICIDES))
    }
    worked = set(
        session.scalars(
            select(CaseEvent.case_id)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.source == CPD_HOMICIDES, CaseEvent.user_id.is_not(None))
            .distinct()
        )
    )
    now = audit.now()
    new: list[tuple[Case, Homicide]] = []
    for item in _first_of_each(report, read_homicides(path), progress):
        key = item.homicide_number
        fields = _case_fields(item)
        case = existing.get(key)
        if case is None:
            case = Case(
                source=CPD_HOMICIDES,
                source_key=key,
                opened_at=item.injury_at,
                last_activity_at=now,
                **fields,
            )
            session.add(case)
            new.append((case, item))
            report.loaded += 1
            continue
        changed = {k: v for k, v in fields.items() if getattr(case, k) != v}
        if not changed:
            report.duplicates += 1
            continue
        if case.id in worked:  # people changed it in the service: a file must not undo that
            report.rejects.append(
                Reject(
                    str(path),
                    item.line,
                    ", ".join(sorted(changed)),
                    f"case {case.id} was changed in the service since it was imported; "
                    "left as it is (review it by hand)",
                )
            )
            continue
        before = case.status
        for k, v in changed.items():
            setattr(case, k, v)
        case.last_activity_at = now
        session.flush()
        if "status" in changed or "cleared_on" in changed:
            session.add(_clearance_event(case, item, before))
        report.updated += 1
    session.flush()
    for case, item in new:
        session.add(
            CaseEvent(
                case_id=case.id,
                at=item.injury_at,
                kind="opened",
                to_status=CaseStatus.open.value,
                reason=f"imported from {path.name}",
            )
        )
        if item.cleared_on is not None:
            session.add(_clearance_event(case, item, CaseStatus.open.value))
    audit.record(
        session,
        actor,
        "import",
        "case",
        None,
        source=CPD_HOMICIDES,
        **{k: v for k, v in report.summary().items() if k != "file"},
    )
    return report


def _clearance_event(case: Case, item: Homicide, before: str) -> CaseEvent:
    when = datetime.combine(item.cleared_on, time()) if item.cleared_on else audit.now()
    return CaseEvent(
        case_id=case.id,
        at=when,
        kind="transition",
        from_status=before,
        to_status=case.status,
        exceptional_code=case.exceptional_code,
        reason="clearance status from CPD release",
    )


def import_use_of_force(
    session: Session,
    actor: Actor | None,
    main: Path,
    *,
    actions: Path | None = None,
    subjects: Path | None = None,
    progress: Progress | None = None,
) -> list[ImportReport]:
    """Load Tactical Response Reports as use-of-force release records (clock from the report
    date), with each report's actions and its subjects' injury/armed flags.

    A side file's rows for a report id that is not in the main file are rejected (by line); a
    side file not given leaves what an earlier import stored for it untouched."""
    sides = {
        name: reader(path)
        for name, reader, path in (
            ("actions", read_actions, actions),
            ("subjects", read_subjects, subjects),
        )
        if path is not None
    }
    report = ImportReport(str(main))
    existing = {
        r.source_key: r for r in session.scalars(select(Release).where(Release.source == CPD_TRR))
    }
    seen: set[str] = set()
    for item in _first_of_each(report, read_reports(main), progress):
        seen.add(item.trr_id)
        record = existing.get(item.trr_id)
        details = dict(item.details)
        for name in ("actions", "subjects"):
            if name in sides:
                if item.trr_id in sides[name].data:
                    details[name] = sides[name].data[item.trr_id]
            elif record is not None and record.details and name in record.details:
                details[name] = record.details[name]
        fields = {
            "incident_date": item.trr_date,
            "report_status": item.status,
            "beat": item.beat,
            "district": item.district,
            "details": details,
        }
        if record is None:
            session.add(
                Release(
                    kind="use_of_force",
                    source=CPD_TRR,
                    source_key=item.trr_id,
                    stage=Stage.notified.value,
                    notified_on=item.trr_date,
                    **fields,
                )
            )
            report.loaded += 1
        elif any(getattr(record, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(record, k, v)
            report.updated += 1
        else:
            report.duplicates += 1
    report.notes.append("posting dates are not in the release: records start at stage notified")
    report.notes += layout_notes(main, "main")
    session.flush()
    audit.record(
        session,
        actor,
        "import",
        "release",
        None,
        source=CPD_TRR,
        **{k: v for k, v in report.summary().items() if k != "file"},
    )
    return [report, *(_side_report(side, seen, name) for name, side in sides.items())]


def _side_report(side: SideFile, reports: set[str], kind: str) -> ImportReport:
    """A side file's rows: attached to a report of the main file, or rejected."""
    out = ImportReport(str(side.path), read=side.rows, rejects=list(side.rejects))
    out.notes += layout_notes(side.path, kind)
    for trr, lines in side.lines.items():
        if trr in reports:
            out.loaded += len(lines)
        else:
            out.rejects += [
                Reject(str(side.path), n, "trr_id", f"no report {trr} in the main file")
                for n in lines
            ]
    return out
