"""The Resource requests page equals a recount of the requests as filed, flags small cells, shows
nothing but counts, and says so when the service has not exported."""

from __future__ import annotations

import json
import shutil
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from publish.support import (
    AS_OF,
    ORGANISATION,
    SECRET,
    Filed,
    build,
    export_requests,
    requests_fixture,
)
from safer77.metrics.intervals import wilson


def recount(rows: list[Filed], key: Callable[[Filed], Any]) -> dict[Any, dict[str, Any]]:
    groups: dict[Any, list[Filed]] = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    out = {}
    for k, g in groups.items():
        closed = [r for r in g if r.closed_on is not None]
        on_time = sum(r.closed_on <= r.due_on for r in closed if r.closed_on)
        out[k] = {
            "filed": len(g),
            "open": len(g) - len(closed),
            "open_overdue": sum(r.closed_on is None and r.due_on < AS_OF for r in g),
            "closed": len(closed),
            "closed_on_time": on_time,
            "on_time_share": on_time / len(closed) if closed else None,
            "interval": wilson(on_time, len(closed)) if closed else (None, None),
            "median": statistics.median([(r.closed_on - r.filed_on).days for r in closed])  # type: ignore[operator]
            if closed
            else None,
            "low_n": len(closed) < 20,
        }
    return out


def check(published: list[dict[str, Any]], expected: dict[Any, dict[str, Any]], key: Any) -> None:
    assert {key(r) for r in published} == set(expected)
    for r in published:
        e = expected[key(r)]
        for field in ("filed", "open", "open_overdue", "closed", "closed_on_time", "low_n"):
            assert r[field] == e[field], (key(r), field)
        assert r["on_time_share"] == e["on_time_share"]
        assert (r["ci_low"], r["ci_high"]) == e["interval"]


def test_requests_page_equals_a_recount_of_the_filed_requests(coordinated_site: Path) -> None:
    rows = requests_fixture()
    data = coordinated_site / "data" / "requests"
    by_dept = json.loads((data / "by_department.json").read_text())
    by_area = json.loads((data / "by_area.json").read_text())
    by_both = json.loads((data / "by_department_area.json").read_text())
    check(by_dept, recount(rows, lambda r: r.department), lambda r: r["department"])
    check(by_area, recount(rows, lambda r: r.community_area), lambda r: r["community_area"])
    both = recount(rows, lambda r: (r.department, r.community_area))
    check(by_both, both, lambda r: (r["department"], r["community_area"]))
    for r in by_both:
        assert r["median_days_to_close"] == both[(r["department"], r["community_area"])]["median"]
    assert "median_days_to_close" not in by_dept[0]  # medians of parts are not the whole's
    # the one large cell is not flagged, the small ones are
    flags = {(r["department"], r["community_area"]): r["low_n"] for r in by_both}
    assert flags[("Streets and Sanitation", 68)] is False and flags[("Buildings", 68)] is True
    html = (coordinated_site / "requests.html").read_text()
    s = recount(rows, lambda r: r.department)["Streets and Sanitation"]
    assert (
        f"<tr><th scope='row'>Streets and Sanitation</th><td>{s['filed']}</td>"
        f"<td>{s['open']}</td><td>{s['open_overdue']}</td><td>{s['closed']}</td>"
        f"<td>{s['on_time_share'] * 100:.1f}%</td>"
        f"<td>{s['interval'][0] * 100:.1f}%–{s['interval'][1] * 100:.1f}%</td><td></td></tr>"
    ) in html
    assert "<a href='areas/68-englewood.html'>Englewood (68)</a>" in html
    assert html.count("<span class='lown'>low n</span>") == sum(
        r["low_n"] for t in (by_dept, by_area, by_both) for r in t
    )
    assert "Requests by department and community area" in html and "95% Wilson" in html


def test_no_descriptions_organisations_or_people_reach_the_site(coordinated_site: Path) -> None:
    for path in coordinated_site.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".csv", ".json", ".js"}:
            text = path.read_text()
            assert SECRET not in text and "Jane Roe" not in text, path
            assert ORGANISATION not in text, path


def test_requests_page_before_and_after_an_empty_export(synth_db: Path, tmp_path: Path) -> None:
    build(synth_db, tmp_path / "before")
    html = (tmp_path / "before" / "requests.html").read_text()
    assert "has not exported its request figures" in html and "<table" not in html
    assert json.loads((tmp_path / "before/data/requests/by_area.json").read_text()) == []
    # an empty glossary is not in the menu (the page is still there)
    assert "requests.html" not in (tmp_path / "before" / "index.html").read_text()
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(synth_db, warehouse)
    export_requests(warehouse, tmp_path, [])
    build(warehouse, tmp_path / "after")
    html = (tmp_path / "after" / "requests.html").read_text()
    assert "No requests have been filed yet" in html and "<table" not in html
    assert "requests.html" not in (tmp_path / "after" / "index.html").read_text()


def test_requests_are_in_the_menu_once_filed(coordinated_site: Path) -> None:
    index = (coordinated_site / "index.html").read_text()
    nav = index[index.index('<nav aria-label="Main">') : index.index("</nav>")]
    assert '<a href="requests.html">Resource requests</a>' in nav


def test_block_clubs_and_town_halls_as_counts(synth_db: Path, tmp_path: Path) -> None:
    """Clubs and town halls stored in a real service database, exported, and counted on the
    page; club names, contact roles and meeting titles never reach the site."""
    from datetime import datetime

    from safer77.service.db import make_engine, session_factory, transaction, upgrade
    from safer77.service.export import export_to_warehouse
    from safer77.service.models import BlockClub, TownHall, Unit

    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(synth_db.read_bytes())
    engine = make_engine(f"sqlite:///{tmp_path / 'service.db'}")
    upgrade(engine)
    clubs = {68: 3, 25: 1, 1: 2}  # active clubs per area; one more inactive in 68
    halls = {7: ("held", "held", "cancelled"), 11: ("scheduled",)}
    with transaction(session_factory(engine)) as s:
        n = 0
        for area, count in [*clubs.items(), (68, -1)]:
            for _ in range(abs(count)):
                n += 1
                unit = Unit(name=f"Secret Club {n}")
                s.add(unit)
                s.flush()
                s.add(
                    BlockClub(
                        unit_id=unit.id,
                        community_area=area,
                        contact_role="president",
                        active=count > 0,
                        created_at=datetime(2024, 1, 1),
                        version=1,
                    )
                )
        for district, statuses in halls.items():
            for st in statuses:
                s.add(
                    TownHall(
                        district=district,
                        held_on=AS_OF,
                        title="Secret Title",
                        agenda="Secret Agenda",
                        status=st,
                        version=1,
                    )
                )
    export_to_warehouse(engine, warehouse, as_of=AS_OF)
    engine.dispose()
    build(warehouse, tmp_path / "site")
    site = tmp_path / "site"
    got = json.loads((site / "data/requests/block_clubs.json").read_text())
    assert {r["community_area"]: r["block_clubs"] for r in got} == clubs
    towns = {
        r["district"]: r for r in json.loads((site / "data/requests/town_halls.json").read_text())
    }
    assert (towns[7]["held"], towns[7]["cancelled"], towns[11]["scheduled"]) == (2, 1, 1)
    html = (site / "requests.html").read_text()
    assert "Block clubs" in html and "District 11" in html
    for f in site.rglob("*"):
        if f.is_file() and f.suffix in {".html", ".json", ".csv", ".txt"}:
            text = f.read_text(errors="ignore")
            assert "Secret" not in text and "president" not in text, f
