"""311 service requests: reading both portal layouts, quarantine with line and field, and
loads that are atomic, idempotent and independent of the order of files."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from safer77.errors import InvalidInput
from safer77.sources.city311 import category, read_311
from safer77.sources.tabular import Reject
from safer77.warehouse import connect
from safer77.warehouse.city311 import load_311
from tests.conftest import table_rows

LEGACY = [
    "Creation Date",
    "Status",
    "Completion Date",
    "Service Request Number",
    "Type of Service Request",
    "Street Address",
    "Community Area",
    "Latitude",
    "Longitude",
]
UNIFIED = [
    "SR_NUMBER",
    "SR_TYPE",
    "STATUS",
    "CREATED_DATE",
    "LAST_MODIFIED_DATE",
    "CLOSED_DATE",
    "STREET_ADDRESS",
    "DUPLICATE",
    "COMMUNITY_AREA",
    "X_COORDINATE",
    "Y_COORDINATE",
    "LATITUDE",
    "LONGITUDE",
]


def legacy(number: str, **kw: str) -> dict[str, str]:
    row = {
        "Creation Date": "03/01/2012",
        "Status": "Completed",
        "Completion Date": "03/05/2012",
        "Service Request Number": number,
        "Type of Service Request": "Street Lights - All/Out",
        "Street Address": "6312 S Halsted St",
        "Community Area": "68",
        "Latitude": "41.779",
        "Longitude": "-87.644",
    }
    row.update(kw)
    return row


def write(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as fh:  # type: ignore[operator]
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def test_both_layouts_read_to_the_same_shape(tmp_path: Path) -> None:
    old = write(tmp_path / "old.csv", LEGACY, [legacy("12-00000001")])
    new = write(
        tmp_path / "new.csv.gz",
        UNIFIED,
        [
            {
                "SR_NUMBER": "SR19-00000001",
                "SR_TYPE": "Street Light Out Complaint",
                "STATUS": "Completed",
                "CREATED_DATE": "2019-01-02T08:15:00.000",
                "LAST_MODIFIED_DATE": "2019-01-09T10:00:00.000",
                "CLOSED_DATE": "2019-01-08T16:30:00.000",
                "STREET_ADDRESS": "1200 W 63RD ST",
                "DUPLICATE": "false",
                "COMMUNITY_AREA": "",
                "X_COORDINATE": "1168000",
                "Y_COORDINATE": "1863000",
            }
        ],
    )
    (a,) = list(read_311(old))
    (b,) = list(read_311(new))
    assert not isinstance(a, Reject) and not isinstance(b, Reject)
    assert (a.category, b.category) == ("street_light", "street_light")
    assert a.created_at == datetime(2012, 3, 1) and a.closed_at == datetime(2012, 3, 5)
    assert b.closed_at == datetime(2019, 1, 8, 16, 30) and b.modified_at is not None
    assert a.block == "063XX S HALSTED ST" and b.block == "012XX W 63RD ST"
    assert b.community_area is None and b.x == 1168000.0


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"Creation Date": "31/31/2012"}, "Creation Date", "not a date"),
        ({"Creation Date": ""}, "Creation Date", "no creation date"),
        ({"Completion Date": "02/01/2012"}, "Completion Date", "before it was created"),
        ({"Community Area": "Englewood"}, "Community Area", "not a number"),
        ({"Latitude": "north"}, "Latitude", "not a number"),
        ({"Latitude": "40.7", "Longitude": "-74.0"}, "Latitude", "outside Chicago"),
        ({"Service Request Number": ""}, "Service Request Number", "no service request number"),
        ({"Type of Service Request": " "}, "Type of Service Request", "no request type"),
    ],
)
def test_bad_rows_are_quarantined_with_line_and_field(
    tmp_path: Path, change: dict[str, str], field: str, words: str
) -> None:
    path = write(tmp_path / "r.csv", LEGACY, [legacy("12-1"), legacy("12-2", **change)])
    con = connect(":memory:")
    result = load_311(con, path)
    assert (result.read, result.loaded, result.quarantined) == (2, 1, 1)
    (q,) = con.execute("SELECT line, field, reason FROM quarantine").fetchall()
    assert q[0] == 3 and q[1] == field and words in q[2]


def test_a_file_that_is_not_311_is_refused_whole(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", ["ID", "Date"], [{"ID": "1", "Date": "x"}])
    con = connect(":memory:")
    with pytest.raises(InvalidInput) as err:
        load_311(con, path)
    assert err.value.line == 1 and "311" in str(err.value)
    assert con.execute("SELECT count(*) FROM load_log").fetchall() == [(0,)]


def test_every_row_is_loaded_duplicate_or_quarantined_and_reload_changes_nothing(
    tmp_path: Path,
) -> None:
    rows = [
        legacy("12-1"),
        legacy("12-1"),  # exact repeat
        legacy("12-2", **{"Status": "Open", "Completion Date": ""}),
        legacy("12-2", **{"Completion Date": "03/20/2012"}),  # the same request, now closed
        legacy("12-3", **{"Status": "Completed - Dup"}),
        legacy("12-4", **{"Creation Date": "never"}),
    ]
    path = write(tmp_path / "r.csv", LEGACY, rows)
    con = connect(":memory:")
    r = load_311(con, path)
    assert r.read == 6 == r.loaded + r.updated + r.duplicates + r.quarantined
    assert (r.loaded, r.duplicates, r.quarantined) == (3, 2, 1)
    stored = dict(con.execute("SELECT request_number, closed_at FROM requests_311").fetchall())
    assert stored["12-2"] == datetime(2012, 3, 20)  # the closed version is the newer one
    flagged = con.execute(
        "SELECT flagged_duplicate FROM requests_311 WHERE request_number = '12-3'"
    ).fetchall()
    assert flagged == [(True,)]
    before = table_rows(con, "requests_311"), table_rows(con, "quarantine")
    again = load_311(con, path)
    assert (again.loaded, again.updated, again.duplicates) == (0, 0, 5)
    assert (table_rows(con, "requests_311"), table_rows(con, "quarantine")) == before


def test_no_full_address_is_stored(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.csv", LEGACY, [legacy("12-1", **{"Street Address": "6312 S Halsted"})]
    )
    con = connect(":memory:")
    load_311(con, path)
    text = repr(con.execute("SELECT * EXCLUDE (source_file) FROM requests_311").fetchall())
    assert "6312" not in text and "063XX S HALSTED" in text


def _state(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return sorted(
        con.execute("SELECT * EXCLUDE (source_file, line, load_id) FROM requests_311").fetchall(),
        key=repr,
    )


def test_the_newest_version_wins_whatever_the_file_order(tmp_path: Path) -> None:
    early = write(
        tmp_path / "early.csv",
        LEGACY,
        [legacy("12-1", **{"Status": "Open", "Completion Date": ""}), legacy("12-2")],
    )
    late = write(
        tmp_path / "late.csv",
        LEGACY,
        [legacy("12-1", **{"Completion Date": "04/01/2012"}), legacy("12-3")],
    )
    a, b = connect(":memory:"), connect(":memory:")
    load_311(a, early)
    second = load_311(a, late)
    load_311(b, late)
    stale = load_311(b, early)
    assert (second.loaded, second.updated) == (1, 1)
    assert (stale.loaded, stale.duplicates) == (1, 1)  # the open version is older
    assert _state(a) == _state(b)
    closed = a.execute("SELECT closed_at FROM requests_311 WHERE request_number = '12-1'")
    assert closed.fetchall() == [(datetime(2012, 4, 1),)]


def test_a_crash_mid_load_leaves_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path / "a.csv", LEGACY, [legacy("12-1")])
    con = connect(":memory:")
    load_311(con, first)
    before = table_rows(con, "requests_311"), table_rows(con, "load_log")
    second = write(
        tmp_path / "b.csv", LEGACY, [legacy("12-1", **{"Status": "Open"}), legacy("12-9")]
    )

    def boom(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("safer77.warehouse.versions.replace_quarantine", boom)
    with pytest.raises(RuntimeError):
        load_311(con, second)
    assert (table_rows(con, "requests_311"), table_rows(con, "load_log")) == before


def test_categories() -> None:
    assert category("Vacant/Abandoned Building Complaint") == "vacant_building"
    assert category("Graffiti Removal Request") == "graffiti"
    assert category("Alley Light Out Complaint") == "street_light"
    assert category("Pothole in Street Complaint") == "other"


def test_real_sanitation_complaints_load_completely(shared_data: Path) -> None:
    path = shared_data / "311" / "chicago_311_sanitation_code_complaints_2011_2014.csv.gz"
    with gzip.open(path, "rt", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    numbers = Counter(r["Service_Request_Number"] for r in rows)
    con = connect(":memory:")
    result = load_311(con, path)
    assert result.read == len(rows)
    assert result.loaded == len(numbers)
    assert result.duplicates == len(rows) - len(numbers) and result.quarantined == 0
    # Time to close of the rows whose number is not repeated, straight from the file.
    single = [r for r in rows if numbers[r["Service_Request_Number"]] == 1]
    expected = sorted(
        (date.fromisoformat(r["Completion_Date"]) - date.fromisoformat(r["Creation_Date"])).days
        for r in single
        if r["Completion_Date"]
    )
    got = sorted(
        d
        for (d,) in con.execute(
            "SELECT date_diff('day', created_at, closed_at) FROM requests_311 WHERE "
            "closed_at IS NOT NULL AND request_number IN (SELECT unnest(?))",
            [[r["Service_Request_Number"] for r in single]],
        ).fetchall()
    )
    assert got == expected
    open_rows = sum(1 for r in single if r["Status"].startswith("Open"))
    assert con.execute(
        "SELECT count(*) FROM requests_311 WHERE status = 'open' AND request_number IN "
        "(SELECT unnest(?))",
        [[r["Service_Request_Number"] for r in single]],
    ).fetchall() == [(open_rows,)]


def test_a_closed_legacy_version_beats_an_open_unified_one(tmp_path: Path) -> None:
    unified = write(
        tmp_path / "u.csv",
        UNIFIED,
        [
            {
                "SR_NUMBER": "SR1",
                "SR_TYPE": "Street Light Out Complaint",
                "STATUS": "Open",
                "CREATED_DATE": "2020-01-01T10:00:00",
                "LAST_MODIFIED_DATE": "2020-01-02T10:00:00",
            }
        ],
    )
    legacy_file = write(
        tmp_path / "l.csv",
        LEGACY,
        [legacy("SR1", **{"Creation Date": "01/01/2020", "Completion Date": "01/20/2020"})],
    )
    for order in ((unified, legacy_file), (legacy_file, unified)):
        con = connect(":memory:")
        for f in order:
            load_311(con, f)
        assert con.execute("SELECT status, closed_at FROM requests_311").fetchall() == [
            ("completed", datetime(2020, 1, 20))
        ]


def test_utc_times_become_chicago_local_times() -> None:
    from safer77.sources.city311 import parse_time

    assert parse_time("2019-01-02T08:15:00Z") == datetime(2019, 1, 2, 2, 15)  # CST = UTC-6
    assert parse_time("2019-07-02T08:15:00+00:00") == datetime(2019, 7, 2, 3, 15)  # CDT
    assert parse_time("2019-07-02T08:15:00") == datetime(2019, 7, 2, 8, 15)


def test_community_area_zero_is_kept_without_an_area(tmp_path: Path) -> None:
    """Area 0 (three rows of the 2011-2014 sanitation file) is not one of the 77: the request
    is kept, with no area (placed from its point once boundaries are loaded)."""
    path = write(
        tmp_path / "zero.csv",
        LEGACY,
        [legacy("12-00000001", **{"Community Area": z}) for z in ("0", "0.0")]
        + [legacy("12-00000003")],
    )
    got = list(read_311(path))
    assert not any(isinstance(r, Reject) for r in got)
    assert [r.community_area for r in got if not isinstance(r, Reject)] == [None, None, 68]
