"""The accountability page equals a recount from the service's own database.

A service holds use-of-force reports and body-camera records, written here in code: posted on
time (one on its due date), posted late, overdue and unposted, and not yet due, in districts
and with none recorded. The service exports its aggregates; the site is built against a
30-day and a 60-day deadline; every figure on the page is recounted from the service's
``releases`` table (plain SQL on its SQLite file, not the export's code).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from publish.support import AS_OF, export_requests, html_tables, releases_fixture
from safer77.publish.site import build_site
from safer77.warehouse import connect


@pytest.fixture(scope="module")
def service(synth_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the warehouse with the service's export, the service's SQLite file)."""
    folder = tmp_path_factory.mktemp("accountability")
    warehouse = folder / "w.duckdb"
    shutil.copy(synth_db, warehouse)
    return warehouse, export_requests(warehouse, folder, [], releases_fixture())


@pytest.fixture(scope="module", params=[30, 60])
def built(
    request: pytest.FixtureRequest,
    service: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[int, Path, Path]:
    warehouse, db = service
    out = tmp_path_factory.mktemp(f"site{request.param}") / "site"
    con = connect(warehouse, read_only=True)
    try:
        build_site(con, out, release_deadline=request.param)
    finally:
        con.close()
    return request.param, out, db


def recount(db: Path, days: int) -> dict[str, object]:
    """The page's figures from the service's table, by plain counting."""
    con = sqlite3.connect(db)
    rows = [
        (k, date.fromisoformat(d), district, date.fromisoformat(p) if p else None)
        for k, d, district, p in con.execute(
            "SELECT kind, incident_date, district, posted_on FROM releases"
        )
    ]
    con.close()
    ledger: dict[str, Counter[str]] = {}
    bands: Counter[tuple[str, str]] = Counter()
    for kind, day, _, posted in rows:
        due = day + timedelta(days=days)
        if posted is None and due < AS_OF:
            late = (AS_OF - due).days
            band = (
                "1-30"
                if late <= 30
                else "31-90"
                if late <= 90
                else "91-365"
                if late <= 365
                else "over 365"
            )
            bands[(kind, band)] += 1
        if kind != "use_of_force":
            continue
        c = ledger.setdefault(day.strftime("%Y-%m"), Counter())
        c["reports"] += 1
        if posted is not None:
            c["on_time" if posted <= due else "late"] += 1
        else:
            c["overdue" if due < AS_OF else "pending"] += 1
    recent = {
        f"{y}-{m:02d}"
        for y, m in [(2023, m) for m in range(7, 13)] + [(2024, m) for m in range(1, 7)]
    }
    earlier = {
        f"{y}-{m:02d}"
        for y, m in [(2022, m) for m in range(7, 13)] + [(2023, m) for m in range(1, 7)]
    }
    by_district: dict[int | None, Counter[str]] = {}
    for kind, day, district, _ in rows:
        if kind != "use_of_force":
            continue
        m = day.strftime("%Y-%m")
        c = by_district.setdefault(district, Counter())
        c["all"] += 1
        c["recent"] += m in recent
        c["earlier"] += m in earlier
    return {"ledger": ledger, "bands": bands, "districts": by_district, "recent": recent}


def num(text: str) -> int:
    return int(text.replace(",", ""))


def pct(on: int, of: int) -> str:
    return f"{100 * on / of:.1f}%" if of else "–"


def test_figures_equal_a_recount_from_the_service(built: tuple[int, Path, Path]) -> None:
    days, site, db = built
    html = (site / "accountability.html").read_text()
    expected = recount(db, days)
    tables, links = html_tables(html)
    assert f"Deadline in force: {days} days" in html

    ledger = expected["ledger"]
    assert isinstance(ledger, dict)
    rows = tables["release-ledger"][1:]
    assert [r[0] for r in rows] == sorted(ledger, reverse=True)
    for month, reports, on_time, late, overdue, pending, share, _ in rows:
        c = ledger[month]
        assert (num(reports), num(on_time), num(late), num(overdue), num(pending)) == (
            c["reports"],
            c["on_time"],
            c["late"],
            c["overdue"],
            c["pending"],
        ), month
        assert share == pct(c["on_time"], c["on_time"] + c["late"] + c["overdue"]), month
    # the edge months: January 2024 holds the on-due-date and the day-31 postings
    jan = ledger["2024-01"]
    assert (jan["on_time"], jan["late"]) == ((2, 1) if days == 30 else (3, 0))

    bands = expected["bands"]
    assert isinstance(bands, Counter)
    head, *body = tables["release-overdue"]
    labels = [h.removesuffix(" days") for h in head[1:-1]]
    assert labels == ["1-30", "31-90", "91-365", "over 365"]
    names = {"Use-of-force reports": "use_of_force", "Body-camera footage": "body_camera"}
    for row in body:
        kind = names[row[0]]
        assert [num(v) for v in row[1:-1]] == [bands[(kind, b)] for b in labels]
        assert num(row[-1]) == sum(bands[(kind, b)] for b in labels)

    districts = expected["districts"]
    assert isinstance(districts, dict)
    drows = tables["force-districts"][1:]
    assert len(drows) == len(districts)
    for name, recent, earlier, _, total in drows:
        d = None if name == "District not recorded" else int(re.findall(r"\d+", name)[0])
        c = districts[d]
        assert (num(recent), num(earlier), num(total)) == (c["recent"], c["earlier"], c["all"])
    # each district's count links to its page, which exists
    assert len(links["force-districts"]) == len([k for k in districts if k is not None])
    for href in links["force-districts"]:
        assert (site / href).exists(), href

    recent_months = expected["recent"]
    assert isinstance(recent_months, set)
    total = sum(ledger[m]["reports"] for m in recent_months if m in ledger)
    assert re.search(rf"data-figure='reports'>{total:,}<", html)
    on = sum(ledger[m]["on_time"] for m in recent_months if m in ledger)
    decided = on + sum(
        ledger[m]["late"] + ledger[m]["overdue"] for m in recent_months if m in ledger
    )
    assert re.search(rf"data-figure='on-time'>{re.escape(pct(on, decided))}<", html)
    overdue_now = sum(n for (k, _), n in bands.items() if k == "use_of_force")
    assert re.search(rf"data-figure='overdue'>{overdue_now:,}<", html)

    # the report carries the same headline; the nav links to the page
    report = next((site / "report").glob("*.html")).read_text()
    assert f"{total:,}" in report and f"within {days} days" in report
    assert 'href="accountability.html"' in (site / "index.html").read_text()


def test_no_case_number_or_record_leaves_the_service(built: tuple[int, Path, Path]) -> None:
    _, site, _ = built
    for f in site.rglob("*"):
        if f.is_file() and f.suffix in (".html", ".csv", ".json", ".js"):
            assert "TRR-CASE" not in f.read_text(), f
