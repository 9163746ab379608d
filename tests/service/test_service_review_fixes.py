"""Guards found in review: fail-closed unit scoping, imports that never undo service work or
drop side rows, local time, ordered closings, normalised crime types, pooled free text."""

from __future__ import annotations

import csv
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from safer77.service.auth import Actor
from safer77.service.cases import list_cases
from safer77.service.export import export_to_warehouse
from safer77.service.imports import import_cpd_homicides, import_use_of_force
from safer77.service.models import Case, Release
from safer77.service.permissions import Role
from safer77.warehouse import connect
from service.support import ROWS, World, homicide, write


def test_a_detective_without_a_unit_sees_no_case(
    client: TestClient, world: World, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions() as s, s.begin():
        import_cpd_homicides(s, None, write(tmp_path / "h.csv", ROWS))  # cases with no unit
    with sessions() as s:
        assert list_cases(s, Actor(user_id=999, role=Role.detective, unit_id=None)) == []
        assert list_cases(s, world.actor("supervisor"))


def test_reimport_never_undoes_work_done_in_the_service(
    client: TestClient, world: World, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions() as s, s.begin():
        import_cpd_homicides(s, None, write(tmp_path / "h.csv", ROWS))
    with sessions() as s:
        case = s.scalars(select(Case).where(Case.source_key == "22010002")).one()
    # a supervisor reopens the case cleared by arrest
    r = client.post(
        f"/cases/{case.id}/transitions",
        json={"version": case.version, "to_status": "investigating", "reason": "new witness"},
        headers=world.headers("supervisor"),
    )
    assert r.status_code == 200, r.text
    newer = write(tmp_path / "newer.csv", [ROWS[1]])  # the file still says cleared
    with sessions() as s, s.begin():
        report = import_cpd_homicides(s, None, newer)
    assert report.updated == 0 and len(report.rejects) == 1
    assert "changed in the service" in report.rejects[0].reason and report.rejects[0].line == 2
    with sessions() as s:
        assert s.get_one(Case, case.id).status == "investigating"


def test_conflicting_repeats_are_rejected_not_dropped(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = [homicide(), homicide(), homicide(**{"Cleared I": "Y", "Date Cleared": "2022-02-01"})]
    with sessions() as s, s.begin():
        report = import_cpd_homicides(s, None, write(tmp_path / "h.csv", rows))
    assert (report.loaded, report.duplicates, len(report.rejects)) == (1, 1, 1)
    assert report.rejects[0].line == 4 and "from line 2" in report.rejects[0].reason


def test_side_rows_without_a_report_are_rejected_and_kept_side_data_survives(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    main = tmp_path / "trr.csv"
    with main.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["trr_id", "trr_status", "trr_date", "beat", "location", "indoor_or_outdoor"])
        w.writerow(["2021-00001", "APPROVED", "2021-01-01", "1233", "STREET", "OUTDOOR"])
    actions = write(
        tmp_path / "a.csv",
        [
            {
                "trr_id": "2021-00001",
                "person": "Member Action",
                "action": "TASER",
                "other_description": "",
            },
            {
                "trr_id": "2021-99999",
                "person": "Member Action",
                "action": "TASER",
                "other_description": "",
            },
        ],
        header=["trr_id", "person", "action", "other_description"],
    )
    with sessions() as s, s.begin():
        _, side = import_use_of_force(s, None, main, actions=actions)
    assert (side.read, side.loaded, [(r.line, r.field) for r in side.rejects]) == (
        2,
        1,
        [(3, "trr_id")],
    )
    with sessions() as s, s.begin():
        (again,) = import_use_of_force(s, None, main)  # no side files this time
    assert again.duplicates == 1
    with sessions() as s:
        rec = s.scalars(select(Release)).one()
        assert rec.details and rec.details["actions"] == {"member": ["TASER"], "subject": []}


def test_times_with_an_offset_become_local_and_closings_keep_their_order(
    client: TestClient, world: World
) -> None:
    h = world.headers("supervisor")
    case = client.post(
        "/cases",
        json={
            "case_number": "JA100001",
            "crime_type": "robbery",
            "offense_at": "2024-07-01T03:30:00Z",
        },
        headers=h,
    ).json()
    assert (
        case["offense_at"] == "2024-06-30T22:30:00"
    )  # UTC 03:30 is 22:30 the day before in Chicago
    r = client.post(
        f"/cases/{case['id']}/transitions",
        json={
            "version": case["version"],
            "to_status": "cleared_arrest",
            "reason": "r",
            "effective_on": "2024-08-01",
        },
        headers=h,
    )
    case = r.json()
    r = client.post(
        f"/cases/{case['id']}/transitions",
        json={
            "version": case["version"],
            "to_status": "investigating",
            "reason": "r",
            "effective_on": "2024-07-15",
        },
        headers=h,
    )
    assert r.status_code == 422 and "2024-08-01" in r.json()["error"]
    r = client.patch(
        f"/cases/{case['id']}",
        json={"version": case["version"], "crime_type": "homicide"},
        headers=h,
    )
    assert r.json()["crime_type"] == "HOMICIDE"
    r = client.patch(
        f"/cases/{case['id']}", json={"version": r.json()["version"], "crime_type": None}, headers=h
    )
    assert r.status_code == 422


def test_free_text_crime_types_are_pooled_in_the_export(
    client: TestClient, world: World, engine: Engine, tmp_path: Path
) -> None:
    h = world.headers("supervisor")
    for n, ctype in enumerate(["HOMICIDE", "Smith family feud"]):
        client.post(
            "/cases",
            json={
                "case_number": f"JA10000{n}",
                "crime_type": ctype,
                "offense_at": "2024-01-01T00:00:00",
            },
            headers=h,
        )
    export_to_warehouse(engine, tmp_path / "w.duckdb")
    con = connect(tmp_path / "w.duckdb", read_only=True)
    try:
        types = {
            t
            for (t,) in con.execute(
                "SELECT DISTINCT crime_type FROM service_clearance_cohort"
            ).fetchall()
        }
    finally:
        con.close()
    assert types == {"HOMICIDE", "OTHER OFFENSE"}
