"""Data for the Priority areas and Resource requests pages, written in code: an indicator table
with the composite index's measures, and resource requests exported by the real service."""

from __future__ import annotations

import csv
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

from safer77.publish.site import BuildResult, build_site
from safer77.service.db import make_engine, session_factory, transaction, upgrade
from safer77.service.export import export_to_warehouse
from safer77.service.models import Release, ResourceRequest, Unit
from safer77.warehouse import connect
from safer77.warehouse.indicators import load_indicators

AS_OF = date(2024, 6, 30)
SECRET = "PRIVATE NOTE: Jane Roe at 6312 S Halsted"  # must never reach the site
ORGANISATION = "Englewood Block Club"

# the default weights' measures, under their built-in names; each row's values are made up
MAPPING = """
[source]
title = "test indicators"
year = 2020
area = "area"

[indicators.population]
column = "pop"
unit = "people"
higher_is_better = true
root_cause = "denominator"

[indicators.poverty_pct]
column = "poverty"
unit = "%"
root_cause = "economic"

[indicators.unemployed_pct]
column = "unemployed"
unit = "%"
root_cause = "economic"

[indicators.no_high_school_pct]
column = "nohs"
unit = "%"
root_cause = "education"

[indicators.per_capita_income]
column = "income"
unit = "USD"
root_cause = "economic"
higher_is_better = true
"""


def write_indicators(folder: Path, *, without: str | None = None) -> tuple[Path, Path]:
    """An indicator CSV for areas 1-77 and its mapping (optionally lacking one indicator)."""
    table = folder / "indicators.csv"
    with table.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["area", "pop", "poverty", "unemployed", "nohs", "income"])
        for a in range(1, 78):
            w.writerow(
                [
                    a,
                    8_000 + 700 * ((a * 13) % 60),
                    (a * 37) % 50 + 3,
                    (a * 23) % 29 + 2,
                    (a * 17) % 41 + 5,
                    15_000 + 450 * ((a * 11) % 77),
                ]
            )
    mapping = MAPPING
    if without:
        start = mapping.index(f"[indicators.{without}]")
        end = mapping.find("[indicators.", start + 1)
        mapping = mapping[:start] + (mapping[end:] if end > 0 else "")
    (folder / "mapping.toml").write_text(mapping)
    return table, folder / "mapping.toml"


@dataclass(frozen=True)
class Filed:
    """One request as filed: the raw record the public figures are recomputed from."""

    department: str
    community_area: int
    filed_on: date
    due_on: date
    closed_on: date | None


def requests_fixture() -> list[Filed]:
    """90 requests in three departments and three areas (seeded): closed early or late,
    open and overdue or not; one department-area cell large enough not to be a small cell."""
    rng = random.Random(77)
    out = []
    plan = [("Streets and Sanitation", 68, 40), ("Buildings", 68, 8), ("Buildings", 25, 12)]
    plan += [("Transportation", 25, 18), ("Transportation", 1, 12)]
    for department, area, n in plan:
        for _ in range(n):
            filed = AS_OF - timedelta(days=rng.randint(1, 120))
            due = filed + timedelta(days=rng.choice([7, 30]))
            closed = filed + timedelta(days=rng.randint(0, 45)) if rng.random() < 0.75 else None
            if closed is not None and closed > AS_OF:
                closed = None
            out.append(Filed(department, area, filed, due, closed))
    return out


#: A release record as stored: (kind, incident date, district, posted on).
Released = tuple[str, date, int | None, date | None]


DISTRICTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 22, 24, 25]

#: release records' edge cases, named: (kind, incident date, district, posted on)
EDGES: list[Released] = [
    ("use_of_force", date(2024, 1, 10), 7, date(2024, 1, 25)),  # on time at 30 and 60
    ("use_of_force", date(2024, 1, 10), 7, date(2024, 2, 9)),  # on its 30-day due date
    ("use_of_force", date(2024, 1, 10), 8, date(2024, 2, 10)),  # late at 30, on time at 60
    ("use_of_force", date(2024, 2, 3), 8, date(2024, 4, 18)),  # late at both
    ("use_of_force", date(2024, 2, 15), None, None),  # overdue at both, district unknown
    ("use_of_force", date(2024, 5, 20), 7, None),  # overdue at 30, not yet due at 60
    ("use_of_force", date(2024, 6, 20), 9, None),  # not yet due at both
    ("use_of_force", date(2023, 1, 5), 9, None),  # overdue for over a year
    ("body_camera", date(2024, 3, 1), 7, None),
    ("body_camera", date(2024, 3, 2), 7, date(2024, 3, 20)),
]


def releases_fixture() -> list[Released]:
    """The edge cases and 400 seeded records over two years (none in January 2024)."""
    rng = random.Random(22)
    out = list(EDGES)
    for _ in range(400):
        day = AS_OF - timedelta(days=rng.randint(0, 760))
        if (day.year, day.month) == (2024, 1):  # January 2024 holds the edge cases alone
            day -= timedelta(days=31)
        delay = rng.choice(
            [None, None, rng.randint(0, 29), rng.randint(30, 45), rng.randint(46, 120)]
        )
        posted = None if delay is None else day + timedelta(days=delay)
        if posted is not None and posted > AS_OF:
            posted = None
        district = rng.choice([*DISTRICTS, None]) if rng.random() < 0.95 else None
        out.append((rng.choice(["use_of_force"] * 4 + ["body_camera"]), day, district, posted))
    return out


def export_requests(
    warehouse: Path, folder: Path, rows: list[Filed], released: Sequence[Released] = ()
) -> Path:
    """Store ``rows`` (and ``released`` release records) in a fresh service database and
    export its aggregates to ``warehouse``; the service database's file."""
    db = folder / "service.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        org = Unit(name=ORGANISATION)
        s.add(org)
        s.flush()
        for r in rows:
            s.add(
                ResourceRequest(
                    organisation_id=org.id,
                    community_area=r.community_area,
                    need="other",
                    description=SECRET,
                    department=r.department,
                    status="resolved" if r.closed_on else "routed",
                    filed_on=r.filed_on,
                    due_on=r.due_on,
                    closed_on=r.closed_on,
                    outcome=SECRET if r.closed_on else None,
                )
            )
        for i, (kind, day, district, posted) in enumerate(released):
            s.add(
                Release(
                    kind=kind,
                    source="test",
                    source_key=f"TRR-CASE-{i:05d}",  # must never reach the site
                    incident_date=day,
                    district=district,
                    stage="posted" if posted else "notified",
                    notified_on=day,
                    posted_on=posted,
                )
            )
    export_to_warehouse(engine, warehouse, as_of=AS_OF)
    engine.dispose()
    return db


def with_indicators(synth_db: Path, folder: Path, *, without: str | None = None) -> Path:
    """A copy of the synthetic city in ``folder`` with :func:`write_indicators` loaded."""
    warehouse = folder / "w.duckdb"
    shutil.copy(synth_db, warehouse)
    table, mapping = write_indicators(folder, without=without)
    con = connect(warehouse)
    try:
        load_indicators(con, table, mapping)
    finally:
        con.close()
    return warehouse


def coordinated_warehouse(synth_db: Path, folder: Path) -> Path:
    """A copy of the synthetic city with the index's indicators, and resource requests and
    release records exported by the service."""
    warehouse = with_indicators(synth_db, folder)
    export_requests(warehouse, folder, requests_fixture(), releases_fixture())
    return warehouse


def build(warehouse: Path, out: Path) -> BuildResult:
    """Build the site from ``warehouse`` (opened read-only) into ``out``."""
    con = connect(warehouse, read_only=True)
    try:
        return build_site(con, out)
    finally:
        con.close()


class _Tables(HTMLParser):
    """Every table of a page with an id: its rows as cell texts (th and td alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[list[str]]] = {}
        self._id: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.links: dict[str, list[str]] = {}  # table id -> hrefs inside it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._id = a["id"]
            self.found[self._id] = []
            self.links[self._id] = []
        elif self._id and tag == "tr":
            self._row = []
        elif self._id and tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif self._id and tag == "a" and a.get("href"):
            self.links[self._id].append(str(a["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._id = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._id:
            if self._row:
                self.found[self._id].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(html: str) -> tuple[dict[str, list[list[str]]], dict[str, list[str]]]:
    """The page's tables with an id (header row first) and the links inside each; a long
    table's folded rows (table ``ID-more``) are joined to it."""
    p = _Tables()
    p.feed(html)
    for key in [k for k in p.found if k.endswith("-more")]:
        p.found[key.removesuffix("-more")] += p.found.pop(key)[1:]
        p.links[key.removesuffix("-more")] += p.links.pop(key)
    return p.found, p.links
