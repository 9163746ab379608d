"""Clearance counted per victim and per incident, named by definition, and years before the
records' complete coverage flagged: hand-written fixtures whose figures are counted by hand,
and relations that must hold on CPD's real FOIA file."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from safer77.cli import app
from safer77.service.clearance import Outcome, by_incident, complete_from
from safer77.service.imports import import_cpd_homicides
from safer77.service.reports import clearance_rows, clearance_table
from service.support import homicide, write

D = date
AS_OF = D(2022, 12, 31)


def _cleared(number: str, rd: str, on: str, reason: str = "", injury: str = "") -> dict[str, str]:
    row = homicide(
        **{
            "Homicide #": number,
            "RD#": rd,
            "Cleared I": "Y",
            "Cleared Exceptionally By": reason,
            "Date Cleared": on,
        }
    )
    if injury:
        row["Injury Date"] = row["CompStat Date"] = injury
    return row


# Seven victims in four incidents (RD numbers), all injured in 2022 unless said otherwise:
#  JA200001: three victims: one cleared by arrest 2022-03-01, one exceptionally the same day,
#            one not cleared  -> one incident, cleared by arrest on 2022-03-01
#  JA200002: two victims: one cleared exceptionally 2022-02-10, one by arrest 2022-04-01
#            -> one incident, cleared exceptionally on 2022-02-10 (the earliest clearance)
#  JA200003: one victim, not cleared
#  JA200004: one victim injured in 2021, cleared by arrest 2022-01-15 (an older offense)
VICTIMS = [
    _cleared("22000001", "JA200001", "2022-03-01T00:00:00"),
    _cleared("22000002", "JA200001", "2022-03-01T00:00:00", "DEATH OF OFFENDER"),
    homicide(**{"Homicide #": "22000003", "RD#": "JA200001"}),
    _cleared("22000004", "JA200002", "2022-02-10T00:00:00", "BAR TO PROSECUTE"),
    _cleared("22000005", "JA200002", "2022-04-01T00:00:00"),
    homicide(**{"Homicide #": "22000006", "RD#": "JA200003"}),
    _cleared("21000007", "JA200004", "2022-01-15T00:00:00", injury="2021-06-01T10:00:00"),
]


def test_by_incident_folds_the_victims_of_one_rd_number() -> None:
    a, b, c = "JA200001", "JA200002", "JA200003"
    victims = [
        (a, Outcome(D(2022, 1, 2), D(2022, 3, 1), "exceptional")),
        (a, Outcome(D(2022, 1, 2), D(2022, 3, 1), "arrest")),
        (a, Outcome(D(2022, 1, 3))),  # died of the injury later: the incident is the earlier day
        (b, Outcome(D(2022, 1, 2), D(2022, 4, 1), "arrest")),
        (b, Outcome(D(2022, 1, 2), D(2022, 2, 10), "exceptional")),
        (c, Outcome(D(2022, 1, 2), count=2)),
    ]
    got = sorted(by_incident(victims), key=lambda o: o.cleared_on or D.max)
    assert got == [
        Outcome(D(2022, 1, 2), D(2022, 2, 10), "exceptional"),
        Outcome(D(2022, 1, 2), D(2022, 3, 1), "arrest"),
        Outcome(D(2022, 1, 2)),
    ]
    assert all(o.count == 1 for o in got)


def test_clearance_by_victim_and_by_incident_from_one_file(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions() as s, s.begin():
        report = import_cpd_homicides(s, None, write(tmp_path / "h.csv", VICTIMS))
    assert report.loaded == 7
    with sessions() as s:
        victims = {r["period"]: r for r in clearance_table(s, as_of=AS_OF)}
        incidents = {r["period"]: r for r in clearance_table(s, as_of=AS_OF, count="incidents")}
    v, i = victims["2022"], incidents["2022"]
    assert (v["counted_by"], i["counted_by"]) == ("victim", "incident")
    # by victim: 6 offenses in 2022, 4 of them cleared (2 by arrest, 2 exceptionally)
    assert (v["offenses"], v["cohort_cleared_to_date"], v["cohort_by_arrest"]) == (6, 4, 2)
    assert v["cohort_exceptional"] == 2 and v["cohort_rate"] == 4 / 6
    # by incident: 3 incidents in 2022 (JA200001-3), 2 cleared: JA200001 by arrest,
    # JA200002 exceptionally
    assert (i["offenses"], i["cohort_cleared_to_date"], i["cohort_by_arrest"]) == (3, 2, 1)
    assert i["cohort_exceptional"] == 1 and i["cohort_rate"] == 2 / 3
    # in-year UCR: clearances recorded in 2022, the 2021 offense's among them
    assert (v["ucr_cleared_in_year"], v["ucr_of_earlier_offenses_in_year"]) == (5, 1)
    assert (i["ucr_cleared_in_year"], i["ucr_by_arrest_in_year"]) == (3, 2)
    assert v["ucr_in_year_rate"] == 5 / 6 and i["ucr_in_year_rate"] == 3 / 3
    assert victims["2021"]["offenses"] == incidents["2021"]["offenses"] == 1


def test_in_year_ucr_rate_can_exceed_one_and_cohort_rate_cannot() -> None:
    # 2020: 5 offenses (1 cleared in 2020, 3 in 2021, 1 open); 2021: 2 offenses, none cleared
    rows = [
        Outcome(D(2020, 2, 1), D(2020, 3, 1), "arrest"),
        Outcome(D(2020, 2, 2)),
        *[Outcome(D(2020, 5, 1), D(2021, 2, 1), "arrest") for _ in range(3)],
        Outcome(D(2021, 4, 1)),
        Outcome(D(2021, 4, 2)),
    ]
    by = {r["period"]: r for r in clearance_rows(rows, as_of=AS_OF)}
    assert by["2021"]["ucr_in_year_rate"] == 3 / 2
    assert by["2021"]["cohort_rate"] == 0
    assert by["2020"]["cohort_rate"] == 4 / 5 and by["2020"]["ucr_in_year_rate"] == 1 / 5
    # as of 2020-12-31 the three 2021 clearances had not happened yet
    early = {r["period"]: r for r in clearance_rows(rows, as_of=D(2020, 12, 31))}
    assert list(early) == ["2020"] and early["2020"]["cohort_cleared_to_date"] == 1


def _year(year: int, offenses: int, cleared: int) -> list[Outcome]:
    return [
        Outcome(D(year, 3, 1), D(year, 9, 1), "arrest") if k < cleared else Outcome(D(year, 3, 1))
        for k in range(offenses)
    ]


# Like CPD's file: a few old years that hold only cases cleared since (every one cleared, tiny
# counts), one old year with one still-open case among a handful, then full years, then the
# current year with few offenses and no clearance yet.
HISTORY = [
    *_year(1999, 3, 3),
    *_year(2004, 6, 5),
    *_year(2009, 30, 30),  # a quarter of the busiest year or more, but every case cleared
    *_year(2010, 100, 45),
    *_year(2011, 120, 50),
    *_year(2012, 90, 90),  # a very good year after the start: not flagged
    *_year(2013, 8, 0),  # the current, partial year: not flagged
]


def test_years_before_complete_coverage_are_flagged_not_100_percent() -> None:
    assert complete_from(HISTORY, as_of=AS_OF) == 2010
    rows = {r["period"]: r for r in clearance_rows(HISTORY, as_of=AS_OF)}
    for year in ("1999", "2004", "2009"):
        r = rows[year]
        assert r["coverage"].startswith("incomplete") and "2010" in r["coverage"]
        assert r["cohort_rate"] is r["cohort_arrest_rate"] is r["ucr_in_year_rate"] is None
        assert r["offenses"] > 0  # the counts held are still shown
    for year in ("2010", "2011", "2012", "2013"):
        assert rows[year]["coverage"] == "complete"
    assert rows["2010"]["cohort_rate"] == 0.45 and rows["2012"]["cohort_rate"] == 1.0
    assert rows["2013"]["cohort_rate"] == 0.0


def test_complete_coverage_without_a_selected_past() -> None:
    # a normal record: every year full, none flagged; no records: no start
    normal = [*_year(2015, 40, 20), *_year(2016, 50, 30)]
    assert complete_from(normal, as_of=AS_OF) == 2015
    assert {r["coverage"] for r in clearance_rows(normal, as_of=AS_OF)} == {"complete"}
    assert complete_from([], as_of=AS_OF) is None
    # a year that happened after as_of does not decide the start
    assert complete_from([*_year(2009, 5, 5), *_year(2030, 50, 10)], as_of=AS_OF) is None


def test_cli_names_columns_by_definition(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"SAFER77_DATABASE_URL": f"sqlite:///{tmp_path / 'svc.db'}"}
    src = write(tmp_path / "h.csv", VICTIMS)
    assert runner.invoke(app, ["service", "db", "upgrade"], env=env).exit_code == 0
    r = runner.invoke(app, ["service", "import", "cpd-homicides", str(src)], env=env)
    assert r.exit_code == 0, r.output
    base = ["service", "clearance", "--as-of", "2022-12-31"]
    r = runner.invoke(app, [*base, "--format", "csv", "--count", "incidents"], env=env)
    assert r.exit_code == 0, r.output
    table = list(csv.DictReader(r.stdout.splitlines()))
    assert {"cohort_rate", "ucr_in_year_rate", "counted_by", "coverage"} <= set(table[0])
    assert [(x["period"], x["offenses"], x["counted_by"]) for x in table] == [
        ("2021", "1", "incident"),
        ("2022", "3", "incident"),
    ]
    r = runner.invoke(app, [*base, "--format", "json", "--grain", "month"], env=env)
    assert r.exit_code == 0, r.output
    months = {x["period"]: x for x in json.loads(r.stdout)}
    assert months["2022-03"]["ucr_cleared_in_month"] == 2  # JA200001's two clearances
    assert "ucr_in_month_rate" in months["2022-01"] and months["2022-01"]["counted_by"] == "victim"
    r = runner.invoke(app, base, env=env)  # the table, with its legend
    assert r.exit_code == 0, r.output
    assert "cohort rate" in r.stdout and "in-year UCR rate" in r.stdout
    assert "can exceed 100%" in r.stdout and "counted by victim" in r.stdout
    r = runner.invoke(app, [*base, "--count", "households"], env=env)
    assert r.exit_code == 2


@pytest.mark.slow
@pytest.mark.realdata
def test_real_file_victims_incidents_and_coverage(
    sessions: sessionmaker[Session], shared_data: Path
) -> None:
    path = shared_data / "clearance" / "cpd_homicide_clearance_status_P744333.csv"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    with sessions() as s, s.begin():
        import_cpd_homicides(s, None, path)
    as_of = D(2022, 5, 6)  # "Data are accurate as of May 06, 2022"
    with sessions() as s:
        victims = {r["period"]: r for r in clearance_table(s, as_of=as_of)}
        incidents = {r["period"]: r for r in clearance_table(s, as_of=as_of, count="incidents")}
    assert set(victims) == set(incidents)
    # every row is one victim; every distinct RD number one incident (counted here, not by
    # the code under test)
    assert sum(r["offenses"] for r in victims.values()) == len(rows)
    assert sum(r["offenses"] for r in incidents.values()) == len({r["RD#"] for r in rows})
    cleared_rows = sum(r["Cleared I"] == "Y" for r in rows)
    assert sum(r["cohort_cleared_to_date"] for r in victims.values()) == cleared_rows
    assert sum(r["ucr_cleared_in_year"] for r in victims.values()) == cleared_rows
    for year, v in victims.items():
        i = incidents[year]
        assert 0 < i["offenses"] <= v["offenses"]
        assert i["cohort_cleared_to_date"] <= v["cohort_cleared_to_date"]
        assert i["ucr_cleared_in_year"] <= v["ucr_cleared_in_year"]
        for r in (v, i):
            assert r["cohort_rate"] is None or 0 <= r["cohort_rate"] <= 1
            # the file holds every case from 2010 on and only cleared or updated older ones
            assert (r["coverage"] == "complete") == (int(year) >= 2010), (year, r["coverage"])
            assert (r["cohort_rate"] is None) == (int(year) < 2010)
    old = [r for y, r in victims.items() if int(y) < 2010]
    assert sum(r["offenses"] for r in old) == sum(r["Injury Date"] < "2010" for r in rows)
    # the rows held before 2010 are nearly all cleared: shown as rates, they would read ~100%
    assert sum(r["cohort_cleared_to_date"] for r in old) > 0.95 * sum(r["offenses"] for r in old)
