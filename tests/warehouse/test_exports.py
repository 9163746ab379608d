"""Files that went through R, pandas or a spreadsheet, and portal files cut short: they load
as published (index column ignored, NA read as missing), bad lines are quarantined with their
line and reason, and the engine's own messages never reach the user.

Every input is written here, in code, in the layout the tool in question writes.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pytest

from conftest import WriteCsv, portal_row
from safer77.errors import InvalidInput
from safer77.metrics.stats import arrest_stats
from safer77.schema import PORTAL_CSV_HEADER, canonical_column
from safer77.sources.chicago_crimes import open_incident_source
from safer77.warehouse import list_quarantine, load_incidents
from safer77.warehouse.fileview import connect_file
from safer77.warehouse.normalise import BOOL_FIELDS, FLOAT_FIELDS, INT_FIELDS
from safer77.warehouse.readers import engine_refusal

#: Columns R writes without quotes (numbers and logicals); everything else is a quoted string.
_BARE_FIELDS = (*INT_FIELDS, *FLOAT_FIELDS, *BOOL_FIELDS)
_R_BARE = {h for h in PORTAL_CSV_HEADER if canonical_column(h) in _BARE_FIELDS}


def _r_cell(name: str, value: str) -> str:
    """One cell as R's write.csv writes it: NA bare, logicals TRUE/FALSE, strings quoted."""
    if value == "":
        return "NA"
    if name in ("Arrest", "Domestic"):
        return value.upper()
    if name in _R_BARE:
        return value
    return '"' + value.replace('"', '""') + '"'


def write_r_export(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    """``write.csv(df, path)`` in R: a quoted header led by ``""``, then the row names."""
    lines = [",".join(['""', *(f'"{h}"' for h in PORTAL_CSV_HEADER)])]
    for i, row in enumerate(rows, start=1):
        cells = [_r_cell(h, row.get(h, "")) for h in PORTAL_CSV_HEADER]
        lines.append(",".join([f'"{i}"', *cells]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def r_rows() -> list[dict[str, str]]:
    """Six incidents; rows 2 to 6 each miss something (written NA by R)."""
    rows = [
        portal_row(id=str(i), case_number=f"JA{i:06d}", ward="3", community_area="40")
        for i in range(1, 7)
    ]
    rows[1].update({"Ward": "", "Community Area": ""})
    for name in ("X Coordinate", "Y Coordinate", "Latitude", "Longitude", "Location"):
        rows[2][name] = ""
    rows[3]["Description"] = ""
    rows[4]["Arrest"] = ""
    rows[5]["Updated On"] = ""
    return rows


def test_r_export_loads_every_row_with_na_as_missing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_r_export(tmp_path / "homicides_r.csv", r_rows())
    assert path.read_text().startswith('"","ID","Case Number"')  # the layout under test
    assert ",NA," in path.read_text()
    r = load_incidents(con, path)
    assert (r.read, r.loaded, r.quarantined) == (6, 6, 0)
    assert list_quarantine(con) == []
    got = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT id, ward, community_area, x_coordinate, latitude, description, arrest, "
            "updated_on FROM incidents"
        ).fetchall()
    }
    assert got[1][:2] == (3, 40) and got[1][4] == "DOMESTIC BATTERY SIMPLE"
    assert got[2][:2] == (None, None)
    assert got[3][2:4] == (None, None)
    assert got[4][4] is None
    assert got[5][5] is None and got[1][5] is False
    assert got[6][6] is None and got[1][6] is not None
    # the index column is ignored, with a note in the summary and in the load log
    assert any("row index" in n for n in r.notes)
    (ignored,) = con.execute("SELECT ignored_columns FROM load_log").fetchall()[0]
    assert "(row index)" in str(ignored)


def test_stats_file_and_ingest_count_an_r_export_alike(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = r_rows()
    bad = portal_row(id="7", case_number="JA000007", x_coordinate="east")  # a field no stat reads
    path = write_r_export(tmp_path / "r.csv", [*rows, bad])
    r = load_incidents(con, path)
    assert (r.loaded, r.quarantined) == (6, 1)
    view = connect_file(path)
    try:
        from_file = arrest_stats(view, by="city")
        (n_file,) = view.execute("SELECT count(*) FROM incidents").fetchall()[0]
    finally:
        view.close()
    from_db = arrest_stats(con, by="city")
    assert n_file == r.loaded
    assert [(x.month, x.incidents, x.arrests) for x in from_file] == [
        (x.month, x.incidents, x.arrests) for x in from_db
    ]


@pytest.mark.parametrize(
    ("old", "new", "quarantined"),
    [
        (b"1176346", b"east", 1),  # X Coordinate: a number no statistic reads
        (b"06/07/2022 04:47:18 PM", b"soon", 1),  # Updated On
        (b"001XX N STATE ST", b"001XX N ST\xff\xfeATE ST", 1),  # Block: not UTF-8
        (b"(41.882857", b"\xff(41.882857", 0),  # Location: not stored, not read by either
    ],
)
def test_stats_file_leaves_out_what_a_load_quarantines(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv, old: bytes, new: bytes, quarantined: int
) -> None:
    path = write_csv("f.csv", [portal_row(id=str(i)) for i in range(1, 6)])
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(old, new, 1)
    path.write_bytes(b"\n".join(lines))
    r = load_incidents(con, path)
    assert (r.loaded, r.quarantined) == (5 - quarantined, quarantined)
    view = connect_file(path)
    try:
        assert view.execute("SELECT count(*) FROM incidents").fetchall() == [(r.loaded,)]
    finally:
        view.close()


@pytest.mark.parametrize("index_header", ["", "Unnamed: 0"])
def test_pandas_export_with_index_and_nan(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, index_header: str
) -> None:
    """``df.to_csv(path)`` (an empty index header; ``Unnamed: 0`` once read and written
    again), with numbers as floats and missing values as empty, ``NaN`` or ``NULL``."""
    path = tmp_path / "pandas.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([index_header, *PORTAL_CSV_HEADER])
        for i in range(4):
            row = portal_row(id=str(100 + i), district="1.0", ward="42.0", community_area="32.0")
            row["Arrest"], row["Domestic"] = "False", "True"
            if i == 1:
                row.update({"Latitude": "NaN", "Longitude": "NaN", "Location": ""})
            if i == 2:
                row.update({"Ward": "NULL", "Community Area": "NaN", "Beat": "nan"})
            w.writerow([str(i), *(row[h] for h in PORTAL_CSV_HEADER)])
    r = load_incidents(con, path)
    assert (r.read, r.loaded, r.quarantined) == (4, 4, 0)
    assert r.notes and "row index" in r.notes[0]
    got = con.execute(
        "SELECT id, district, ward, community_area, beat, latitude, arrest FROM incidents "
        "ORDER BY id"
    ).fetchall()
    assert got[0] == (100, 1, 42, 32, 111, 41.882857, False)
    assert got[1][5] is None  # NaN is missing, never a NaN coordinate
    assert got[2][2:5] == (None, None, None)


def test_excel_export_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Saved again by a spreadsheet: BOM, CRLF, dates without leading zeros or seconds,
    TRUE/FALSE, leading zeros dropped (IUCR 486, beat 111) and whole numbers as 17 or 17.0."""
    header = ",".join(PORTAL_CSV_HEADER)
    lines = [
        "1,JA000001,6/1/2022 9:05,001XX N STATE ST,486,BATTERY,DOMESTIC BATTERY SIMPLE,"
        "APARTMENT,FALSE,TRUE,111,1,42,32,08B,1176346,1900981,2022,6/7/2022 16:47,"
        '41.882857,-87.627776,"(41.882857, -87.627776)"',
        '2,JA000002,12/31/2022 23:59,"002XX S STATE ST",031A,ROBBERY,"ARMED, HANDGUN",'
        "SIDEWALK,TRUE,FALSE,111.0,1.0,42.0,32.0,3,1176346.0,1900981.0,2022.0,1/2/2023 8:00,"
        '41.882857,-87.627776,"(41.882857, -87.627776)"',
    ]
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([header, *lines]) + "\r\n").encode("utf-8"))
    assert open_incident_source(path).timestamp_format == "%m/%d/%Y %H:%M"  # one fast pass
    r = load_incidents(con, path)
    assert (r.read, r.loaded, r.quarantined) == (2, 2, 0)
    got = con.execute(
        "SELECT id, CAST(occurred_at AS VARCHAR), iucr, beat, district, community_area, arrest, "
        "domestic, fbi_code, description, CAST(updated_on AS VARCHAR), year FROM incidents "
        "ORDER BY id"
    ).fetchall()
    assert got[0] == (
        1,
        "2022-06-01 09:05:00",
        "0486",
        111,
        1,
        32,
        False,
        True,
        "08B",
        "DOMESTIC BATTERY SIMPLE",
        "2022-06-07 16:47:00",
        2022,
    )
    assert got[1][1:9] == ("2022-12-31 23:59:00", "031A", 111, 1, 32, True, False, "03")
    assert got[1][9] == "ARMED, HANDGUN" and got[1][11] == 2022


def test_excel_dates_with_am_pm_and_no_seconds(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    rows = [portal_row(id=str(i), date=f"7/{i}/2022 1:0{i} PM") for i in range(1, 4)]
    r = load_incidents(con, write_csv("ampm.csv", rows))
    assert (r.loaded, r.quarantined) == (3, 0)
    got = con.execute("SELECT CAST(occurred_at AS VARCHAR) FROM incidents ORDER BY id").fetchall()
    assert [g[0] for g in got] == [f"2022-07-0{i} 13:0{i}:00" for i in range(1, 4)]


# --- Portal files cut short or with a field too many -------------------------------------------


def portal_lines(n: int) -> list[str]:
    """``n`` data lines as the portal writes them: quoted Location, and quoted fields holding
    commas and quotes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for i in range(1, n + 1):
        row = portal_row(id=str(i), case_number=f"JB{i:06d}")
        if i % 3 == 0:
            row["Location Description"] = "SCHOOL, PUBLIC, BUILDING"
        if i % 4 == 0:
            row["Location Description"] = 'CTA "L" PLATFORM'
        w.writerow([row[h] for h in PORTAL_CSV_HEADER])
    return buf.getvalue().splitlines()


def first_fields(line: str, k: int) -> str:
    """The text of ``line`` up to (not including) its ``k``-th field separator."""
    quoted, seps = False, 0
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            seps += 1
            if seps == k:
                return line[:i]
    raise AssertionError("line has fewer fields")


def write_lines(path: Path, lines: Sequence[str], *, final_newline: bool = True) -> Path:
    text = "\n".join([",".join(PORTAL_CSV_HEADER), *lines]) + ("\n" if final_newline else "")
    path.write_text(text, encoding="utf-8")
    return path


def test_portal_lines_carry_quotes() -> None:
    lines = portal_lines(12)
    assert all(line.endswith('"(41.882857, -87.627776)"') for line in lines)
    assert '"SCHOOL, PUBLIC, BUILDING"' in lines[2] and '"CTA ""L"" PLATFORM"' in lines[3]


@pytest.mark.parametrize("fields", [1, 7, 8, 13, 21])
@pytest.mark.parametrize("where", ["middle", "last line", "last line, no newline"])
def test_a_line_with_too_few_fields_is_quarantined_and_the_rest_loads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, fields: int, where: str
) -> None:
    lines = portal_lines(40)
    cut = first_fields(lines[8], fields)  # line 8 has the comma-holding quoted field
    if where == "middle":
        lines.insert(20, cut)
        line_no = 22
    else:
        lines.append(cut)
        line_no = 42
    path = write_lines(tmp_path / "cut.csv", lines, final_newline=where != "last line, no newline")
    r = load_incidents(con, path)
    assert (r.read, r.loaded, r.quarantined) == (41, 40, 1)
    (q,) = list_quarantine(con)
    assert q["line"] == line_no
    assert q["field"] == PORTAL_CSV_HEADER[fields]  # the first field the line lacks
    assert str(q["reason"]).startswith(f"too few fields: {fields} of 22")


def test_a_line_cut_inside_the_quoted_location_is_quarantined(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = portal_lines(40)
    lines.append(lines[5][: lines[5].rindex('"(') + 8])  # ..."(41.882 and the file ends
    path = write_lines(tmp_path / "cut_in_quote.csv", lines, final_newline=False)
    r = load_incidents(con, path)
    assert (r.read, r.loaded, r.quarantined) == (41, 40, 1)
    (q,) = list_quarantine(con)
    assert q["line"] == 42 and "Error" not in str(q["reason"])


def test_a_line_with_too_many_fields_is_quarantined(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = portal_lines(40)
    lines[9] += ",extra"  # line 11
    path = write_lines(tmp_path / "many.csv", lines)
    r = load_incidents(con, path)
    assert (r.read, r.loaded, r.quarantined) == (40, 39, 1)
    (q,) = list_quarantine(con)
    assert q["line"] == 11
    assert str(q["reason"]).startswith("too many fields: 23, the header has 22")


# --- Refusals in plain words ---------------------------------------------------------------------


def test_a_cut_gzip_is_refused_in_one_plain_line(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    whole = gzip.compress(("\n".join([",".join(PORTAL_CSV_HEADER), *portal_lines(30000)])).encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(InvalidInput) as err:
        load_incidents(con, cut)
    message = str(err.value)
    assert message.startswith(f"{cut.resolve()}: could not read to the end, nothing loaded: ")
    assert "interrupted download" in message
    assert "\n" not in message and "Error" not in message and "GZIP" not in message


def test_engine_errors_become_file_line_and_field(tmp_path: Path) -> None:
    """A real DuckDB CSV error (a strict read, no rejects): its line and column are kept,
    its words are not."""
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3,x\n")
    with pytest.raises(duckdb.Error) as raw:
        duckdb.sql(
            f"SELECT * FROM read_csv('{path}', header = true, auto_detect = false, "
            "columns = {'a': 'DOUBLE', 'b': 'DOUBLE'})"
        ).fetchall()
    err = engine_refusal(raw.value, "t.csv")
    assert (err.file, err.line, err.field) == ("t.csv", 3, "b")
    assert "\n" not in str(err) and "Error" not in str(err) and "convert" not in str(err)
    assert str(err).startswith("t.csv:3: could not read to the end: ")


# --- Community area 0 ---------------------------------------------------------------------------


def test_community_area_zero_is_kept_as_not_recorded(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    rows = [portal_row(id=str(i), community_area="32") for i in range(1, 4)]
    rows += [portal_row(id=str(i), community_area=z) for i, z in ((4, "0"), (5, "0.0"))]
    path = write_csv("area0.csv", rows)
    r = load_incidents(con, path)
    assert (r.loaded, r.quarantined) == (5, 0)
    got = dict(con.execute("SELECT id, community_area FROM incidents").fetchall())
    assert got == {1: 32, 2: 32, 3: 32, 4: None, 5: None}
    city = arrest_stats(con, by="city")
    areas = arrest_stats(con, by="community-area")
    assert [x.incidents for x in city] == [5]  # counted in the city's figures
    assert [(x.key, x.incidents) for x in areas] == [("32", 3)]  # never as an area "0"
    view = connect_file(path)
    try:
        assert [x.incidents for x in arrest_stats(view, by="city")] == [5]
    finally:
        view.close()
