"""Imports of CPD homicide clearance and use-of-force releases: nothing lost, idempotent,
bad rows named by file, line and field; the public export carries aggregates only."""

from __future__ import annotations

import csv
import gzip
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from safer77.errors import InvalidInput
from safer77.service.caseload import outcomes
from safer77.service.clearance import by_offense_cohort, tally
from safer77.service.export import TABLES, export_to_warehouse
from safer77.service.imports import import_cpd_homicides, import_use_of_force
from safer77.service.models import Case, CaseEvent, Release
from safer77.warehouse import connect
from service.support import ROWS, homicide, write


def test_homicide_import_accounts_for_every_row(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(tmp_path / "homicides.csv", ROWS)
    with sessions() as s, s.begin():
        report = import_cpd_homicides(s, None, path)
    assert (report.read, report.loaded, report.duplicates, len(report.rejects)) == (9, 5, 1, 3)
    assert report.balanced
    assert [(r.line, r.field) for r in report.rejects] == [
        (5, "Cleared I"),
        (6, "Injury Date"),
        (7, "Cleared Exceptionally By"),
    ]
    assert [(r.line, r.field) for r in report.flagged] == [(9, "Death Date")]
    with sessions() as s:
        cases = {c.source_key: c for c in s.scalars(select(Case))}
        assert cases["22010002"].status == "cleared_arrest"
        assert (cases["22010003"].status, cases["22010003"].exceptional_code) == (
            "cleared_exceptional",
            "A",
        )
        assert cases["19990001"].exceptional_code == "B"
        assert cases["22010001"].status == "investigating"
        assert sum(c.case_number == "JA100002" for c in cases.values()) == 2  # one per victim
        events = s.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "transition")
        )
        assert events == 3
        counts = tally(outcomes(s))
    assert counts == {"offenses": 5, "cleared": 3, "cleared_arrest": 1, "cleared_exceptional": 2}
    # again: nothing changes
    with sessions() as s, s.begin():
        again = import_cpd_homicides(s, None, path)
    assert (again.loaded, again.updated, again.duplicates) == (0, 0, 6)
    # a newer release clears the open case: one update, one more event
    newer = [homicide(**{"Cleared I": "Y", "Date Cleared": "2022-06-01T00:00:00"})]
    with sessions() as s, s.begin():
        upd = import_cpd_homicides(s, None, write(tmp_path / "newer.csv", newer))
    assert upd.updated == 1
    with sessions() as s:
        case = s.scalars(select(Case).where(Case.source_key == "22010001")).one()
        assert (case.status, str(case.cleared_on), case.version) == (
            "cleared_arrest",
            "2022-06-01",
            2,
        )


def test_wrong_file_is_refused_whole(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", [{"a": "1"}], header=["a"])
    with sessions() as s, s.begin(), pytest.raises(InvalidInput, match=r"x\.csv:1: missing column"):
        import_cpd_homicides(s, None, path)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0


def test_use_of_force_import_and_export(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    main = tmp_path / "trr.csv.gz"
    with gzip.open(main, "wt", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "row_id",
                "trr_id",
                "trr_status",
                "trr_date",
                "rd_no",
                "beat",
                "location",
                "indoor_or_outdoor",
                "street",
            ]
        )
        w.writerow(
            [
                "1",
                "2021-00001",
                "APPROVED",
                "2021-01-01",
                "ab" * 32,
                "1233.0",
                "STREET",
                "OUTDOOR",
                "X",
            ]
        )
        w.writerow(
            [
                "2",
                "2021-00002",
                "APPROVED",
                "2021-01-31",
                "cd" * 32,
                "5100.0",
                "LOT",
                "OUTDOOR",
                "Y",
            ]
        )
        w.writerow(["3", "2021-00003", "SUBMITTED", "not a date", "", "111", "", "", ""])
        w.writerow(
            [
                "4",
                "2021-00001",
                "APPROVED",
                "2021-01-01",
                "ab" * 32,
                "1233.0",
                "STREET",
                "OUTDOOR",
                "X",
            ]
        )
    actions = write(
        tmp_path / "actions.csv",
        [
            {
                "trr_id": "2021-00001",
                "person": "Member Action",
                "action": "TASER",
                "other_description": "",
            },
            {
                "trr_id": "2021-00001",
                "person": "Subject Action",
                "action": "",
                "other_description": "Control Tactic",
            },
            {
                "trr_id": "2021-00001",
                "person": "Subject Action",
                "action": "",
                "other_description": "",
            },
        ],
        header=["trr_id", "person", "action", "other_description"],
    )
    subjects = write(
        tmp_path / "subjects.csv",
        [
            {
                "trr_id": "2021-00001",
                "gender": "MALE",
                "race": "X",
                "birth_year": "1990",
                "injured": "Yes",
                "alleged_injury": "No",
                "hospitalized": "No",
                "armed": "No",
            },
        ],
        header=[
            "trr_id",
            "gender",
            "race",
            "birth_year",
            "injured",
            "alleged_injury",
            "hospitalized",
            "armed",
        ],
    )
    with sessions() as s, s.begin():
        main_r, act_r, sub_r = import_use_of_force(
            s, None, main, actions=actions, subjects=subjects
        )
    assert (main_r.read, main_r.loaded, main_r.duplicates, len(main_r.rejects)) == (4, 2, 1, 1)
    assert main_r.rejects[0].line == 4 and main_r.rejects[0].field == "trr_date"
    assert [(f.line, f.field) for f in main_r.flagged] == [(3, "beat")]
    assert (act_r.read, act_r.loaded, len(act_r.rejects)) == (3, 2, 1)
    assert act_r.rejects[0].line == 4 and act_r.rejects[0].field == "action"
    assert (sub_r.read, sub_r.loaded) == (1, 1)
    with sessions() as s:
        rec = s.scalars(select(Release).where(Release.source_key == "2021-00001")).one()
        assert (rec.district, rec.beat, str(rec.incident_date)) == (12, 1233, "2021-01-01")
        assert rec.details and rec.details["actions"] == {
            "member": ["TASER"],
            "subject": ["[Control Tactic]"],
        }
        assert rec.details["subjects"] == [
            {"injured": True, "alleged_injury": False, "hospitalized": False, "armed": False}
        ]
        assert "MALE" not in str(rec.details) and "ab" * 32 not in str(rec.details)
    warehouse = tmp_path / "w.duckdb"
    first = export_to_warehouse(engine, warehouse)
    second = export_to_warehouse(engine, warehouse)
    assert second.load_id == first.load_id + 1 and first.rows == second.rows
    con = connect(warehouse, read_only=True)
    try:
        rows = con.execute(
            "SELECT month, district, reports FROM service_use_of_force_monthly "
            "ORDER BY month, district NULLS LAST"
        ).fetchall()
        assert rows == [("2021-01", 12, 1), ("2021-01", None, 1)]
        on_time = con.execute(
            "SELECT month, due, late FROM service_release_on_time "
            "WHERE kind = 'use_of_force' ORDER BY 1"
        ).fetchall()
        assert on_time == [("2021-01", 1, 1), ("2021-03", 1, 1)]
        assert {
            t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        } >= set(TABLES)
        kinds = con.execute("SELECT kind, count(*) FROM load_log GROUP BY 1").fetchall()
        assert kinds == [("service", 2)]
    finally:
        con.close()


def test_export_has_no_case_numbers(
    sessions: sessionmaker[Session], engine: Engine, tmp_path: Path
) -> None:
    with sessions() as s, s.begin():
        import_cpd_homicides(s, None, write(tmp_path / "h.csv", ROWS))
    warehouse = tmp_path / "w.duckdb"
    export_to_warehouse(engine, warehouse)
    con = connect(warehouse, read_only=True)
    try:
        dump = "".join(str(con.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES)
        cohort = con.execute(
            "SELECT month, offenses, cleared, cleared_arrest, cleared_exceptional FROM "
            "service_clearance_cohort WHERE \"window\" = 'to_date' AND month = '2022-01'"
        ).fetchall()
    finally:
        con.close()
    assert "JA1000" not in dump and "STATE" not in dump and "2201000" not in dump
    assert cohort == [("2022-01", 3, 2, 1, 1)]


@pytest.mark.slow
@pytest.mark.realdata
def test_real_cpd_homicide_file(sessions: sessionmaker[Session], shared_data: Path) -> None:
    path = shared_data / "clearance" / "cpd_homicide_clearance_status_P744333.csv"
    with sessions() as s, s.begin():
        report = import_cpd_homicides(s, None, path)
    assert report.read == 7500 and report.balanced
    assert report.loaded + report.duplicates + len(report.rejects) == 7500
    assert report.loaded == 7500  # every victim becomes a case
    with sessions() as s:
        rows = outcomes(s)
        by_status = dict(s.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    # CPD's own counts (PROVENANCE.md): Cleared Y 3,158 of which exceptional 760 + 366
    assert by_status["cleared_arrest"] == 3158 - 760 - 366
    assert by_status["cleared_exceptional"] == 760 + 366
    years = {r.period: r for r in by_offense_cohort(rows, as_of=date(2022, 5, 6), grain="year")}
    assert 400 < years["2021"].offenses < 1000


@pytest.mark.slow
@pytest.mark.realdata
def test_real_use_of_force_files(sessions: sessionmaker[Session], shared_data: Path) -> None:
    police = shared_data / "police"
    with sessions() as s, s.begin():
        reports = import_use_of_force(
            s,
            None,
            police / "TRR-main_2021-2023_2023-10_p877988.csv.gz",
            actions=police / "TRR-actions-responses_2021-2023_2023-10_p877988.csv.gz",
            subjects=police / "TRR-subjects_2021-2023_2023-10_p877988.csv.gz",
        )
    main, actions, subjects = reports
    assert all(r.balanced for r in reports)
    assert (main.read, actions.read, subjects.read) == (9338, 102946, 9338)
    assert main.loaded + main.duplicates == 9338 - len(main.rejects)
    # seven report ids appear twice: four identical, three with other content (rejected, the
    # first kept)
    assert main.duplicates == 4
    assert sorted(r.line for r in main.rejects if r.field == "key") == sorted(
        r.line for r in main.rejects if "repeats" in r.reason
    )
    assert len([r for r in main.rejects if r.field == "key"]) == 3
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Release)) == main.loaded


def test_use_of_force_2017_2020_layout_imports(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The older release: reports without trr_status, actions without other_description."""
    main = write(
        tmp_path / "TRR-main_2017-2020.csv",
        [
            {
                "trr_id": "2018-00001",
                "trr_date": "2018-03-04",
                "beat": "0421",
                "location": "STREET",
            },
            {"trr_id": "2018-00002", "trr_date": "2019-11-30", "beat": "", "location": "ALLEY"},
        ],
        header=["row_id", "trr_id", "trr_date", "rd_no", "beat", "location", "indoor_or_outdoor"],
    )
    actions = write(
        tmp_path / "TRR-actions-responses_2017-2020.csv",
        [
            {"trr_id": "2018-00001", "person": "Member Action", "action": "VERBAL COMMANDS"},
            {"trr_id": "2018-00001", "person": "Subject Action", "action": "FLED"},
            {"trr_id": "2018-00002", "person": "Subject Action", "action": ""},
        ],
        header=["row_id", "trr_id", "person", "resistance_type", "action"],
    )
    with sessions() as s, s.begin():
        main_r, act_r = import_use_of_force(s, None, main, actions=actions)
    assert (main_r.read, main_r.loaded, main_r.rejects) == (2, 2, [])
    assert (act_r.read, act_r.loaded) == (3, 2)
    assert [(r.line, r.field) for r in act_r.rejects] == [(4, "action")]
    assert any("trr_status" in n for n in main_r.notes)
    assert any("other_description" in n for n in act_r.notes)
    with sessions() as s:
        rec = {r.source_key: r for r in s.scalars(select(Release))}
        assert (rec["2018-00001"].report_status, rec["2018-00001"].district) == (None, 4)
        assert rec["2018-00001"].details["actions"] == {
            "member": ["VERBAL COMMANDS"],
            "subject": ["FLED"],
        }
        assert str(rec["2018-00002"].incident_date) == "2019-11-30"
