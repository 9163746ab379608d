"""Loading incident files: each row loaded, updated, duplicate or quarantined; bad files refused."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from conftest import SLIM, WriteCsv, portal_row, table_rows
from safer77.errors import InvalidInput
from safer77.warehouse import connect, list_quarantine, load_incidents
from safer77.warehouse.incidents import LoadResult


def conserved(r: LoadResult) -> bool:
    return r.read == r.loaded + r.updated + r.duplicates + r.cross_source + r.quarantined


def n_incidents(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM incidents").fetchall()[0][0])


def rows(n: int, start: int = 1) -> list[dict[str, str]]:
    return [portal_row(id=str(i), case_number=f"JA{i:06d}") for i in range(start, start + n)]


def test_good_file_loads_every_row(con: duckdb.DuckDBPyConnection, write_csv: WriteCsv) -> None:
    path = write_csv("ok.csv", rows(5))
    r = load_incidents(con, path)
    assert (r.read, r.loaded, r.updated, r.duplicates, r.quarantined) == (5, 5, 0, 0, 0)
    got = con.execute(
        "SELECT id, iucr, beat, district, community_area, arrest, domestic, occurred_at, "
        "category, index_crime FROM incidents ORDER BY id"
    ).fetchall()
    assert got[0][:7] == (1, "0486", 111, 1, 32, False, True)
    assert str(got[0][7]) == "2022-05-31 23:59:00"
    assert got[0][8] is None and got[0][9] is False  # simple domestic battery: not index
    assert [g[0] for g in got] == [1, 2, 3, 4, 5]


def test_wrong_header_is_refused_and_nothing_written(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    path = write_csv("bad.csv", [{"a": "1", "b": "2"}], header=["a", "b"])
    with pytest.raises(InvalidInput) as err:
        load_incidents(con, path)
    assert "bad.csv" in str(err.value) and "Date" in str(err.value)
    assert err.value.exit_code == 2
    assert n_incidents(con) == 0
    assert con.execute("SELECT count(*) FROM load_log").fetchall()[0][0] == 0


def test_truncated_gzip_is_refused_and_previous_state_kept(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv, tmp_path: Path
) -> None:
    load_incidents(con, write_csv("first.csv", rows(3)))
    before = table_rows(con, "incidents")
    full = write_csv("big.csv.gz", rows(20000, start=100), gz=True)
    data = full.read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput) as err:
        load_incidents(con, cut)
    assert "cut.csv.gz" in str(err.value)
    assert table_rows(con, "incidents") == before


def test_empty_file_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInput, match="empty"):
        load_incidents(con, empty)
    assert n_incidents(con) == 0


def test_binary_file_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InvalidInput):
        load_incidents(con, junk)


def test_bad_rows_are_quarantined_with_line_and_field(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    good = rows(6)
    good[1]["Date"] = "13/45/2022 99:00:00 PM"  # line 3
    good[3]["Beat"] = "12B"  # line 5
    good[4]["Arrest"] = "maybe"  # line 6
    path = write_csv("mixed.csv", good)
    r = load_incidents(con, path)
    assert conserved(r)
    assert (r.loaded, r.quarantined) == (3, 3)
    q = {(x["line"], x["field"]) for x in list_quarantine(con)}
    assert q == {(3, "Date"), (5, "Beat"), (6, "Arrest")}
    reasons = {x["field"]: x["reason"] for x in list_quarantine(con)}
    assert "12B" in str(reasons["Beat"]) and "number" in str(reasons["Beat"])
    assert "maybe" in str(reasons["Arrest"]) and "true or false" in str(reasons["Arrest"])


def test_too_few_columns_and_non_utf8_lines_are_quarantined(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv, tmp_path: Path
) -> None:
    path = write_csv("raw.csv", rows(6))
    lines = path.read_bytes().split(b"\n")
    lines[2] = b"2,JA000002,05/31/2022 11:59:00 PM,short row\r"  # line 3
    lines[4] = lines[4].replace(b"STATE ST", b"STATE \xff\xfe ST")  # line 5: not UTF-8
    lines[6] = lines[6].replace(b"05/31/2022", b"not a date")  # line 7, after two rejects
    lines[3] = lines[3].replace(b"\r", b",extra column\r")  # line 4: one field too many
    bad = tmp_path / "raw_bad.csv"
    bad.write_bytes(b"\n".join(lines))
    r = load_incidents(con, bad)
    assert conserved(r)
    assert (r.read, r.loaded, r.quarantined) == (6, 2, 4)
    q = sorted(
        (int(str(x["line"])), str(x["field"]), str(x["reason"])) for x in list_quarantine(con)
    )
    assert [line for line, _, _ in q] == [3, 4, 5, 7]
    assert q[0][2].startswith("too few fields: 4 of 22")
    assert q[1][2].startswith("too many fields: 23, the header has 22")
    assert q[2][2] == "not UTF-8 text"
    assert q[3][1] == "Date"
    got = [r[0] for r in con.execute("SELECT id FROM incidents ORDER BY id").fetchall()]
    assert got == [1, 5]


def test_duplicate_id_with_older_updated_on_is_a_duplicate(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    load_incidents(
        con,
        write_csv(
            "v2.csv", [portal_row(id="7", arrest="true", updated_on="06/10/2022 01:00:00 PM")]
        ),
    )
    older = portal_row(id="7", arrest="false", updated_on="06/01/2022 01:00:00 PM")
    r = load_incidents(con, write_csv("v1.csv", [older]))
    assert (r.read, r.loaded, r.updated, r.duplicates) == (1, 0, 0, 1)
    assert con.execute("SELECT arrest FROM incidents WHERE id = 7").fetchall() == [(True,)]
    newer = portal_row(id="7", arrest="false", updated_on="07/01/2022 01:00:00 PM")
    r = load_incidents(con, write_csv("v3.csv", [newer]))
    assert (r.loaded, r.updated, r.duplicates) == (0, 1, 0)
    assert con.execute("SELECT arrest, count(*) FROM incidents GROUP BY ALL").fetchall() == [
        (False, 1)
    ]


def test_repeats_within_a_file_keep_the_newest(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    a = portal_row(id="9", arrest="false", updated_on="06/01/2022 01:00:00 PM")
    b = portal_row(id="9", arrest="true", updated_on="06/05/2022 01:00:00 PM")
    r = load_incidents(con, write_csv("rep.csv", [a, b, a]))
    assert (r.read, r.loaded, r.duplicates) == (3, 1, 2)
    assert con.execute("SELECT arrest, updated_on FROM incidents").fetchall()[0][0] is True


def test_reload_is_idempotent(con: duckdb.DuckDBPyConnection, write_csv: WriteCsv) -> None:
    data = rows(50)
    data[10]["Date"] = "garbage"
    path = write_csv("same.csv", data)
    first = load_incidents(con, path)
    snap = {t: table_rows(con, t) for t in ("incidents", "quarantine")}
    second = load_incidents(con, path)
    assert (second.loaded, second.updated, second.duplicates, second.quarantined) == (0, 0, 49, 1)
    assert first.quarantined == 1
    assert {t: table_rows(con, t) for t in snap} == snap


def test_column_subset_without_id_gets_stable_keys(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    header = SLIM
    same = {
        "Date": "2022-09-16 21:30:00",
        "Block": "026XX S KEDVALE AVE",
        "Primary Type": "THEFT",
        "Description": "OVER $500",
        "Location Description": "STREET",
        "Arrest": "False",
        "Domestic": "False",
        "Community Area": "30",
    }
    other = dict(same, **{"Primary Type": "ROBBERY", "Arrest": "True"})
    path = write_csv("slim.csv", [same, same, other], header=header)
    r = load_incidents(con, path)
    # two identical rows are two incidents (two thefts in the same minute), not a duplicate
    assert (r.loaded, r.duplicates) == (3, 0)
    keys = sorted(k for (k,) in con.execute("SELECT incident_key FROM incidents").fetchall())
    assert len(set(keys)) == 3 and all(k < 0 for k in keys)
    again = load_incidents(con, path)
    assert (again.loaded, again.duplicates) == (0, 3)
    got = con.execute("SELECT DISTINCT beat, latitude, community_area FROM incidents").fetchall()
    assert got == [(None, None, 30)]


def test_portal_quirks_normalise(con: duckdb.DuckDBPyConnection, write_csv: WriteCsv) -> None:
    quirky = portal_row(
        id="27595.0",
        iucr="486",
        district="17.0",
        beat="1733.0",
        community_area="16.0",
        ward="33.0",
        date="2023-06-28T23:04:00",
        arrest="True",
        domestic="False",
        fbi_code="3",
    )
    load_incidents(con, write_csv("quirks.csv", [quirky]))
    got = con.execute(
        "SELECT id, iucr, district, beat, community_area, ward, occurred_at, arrest, fbi_code "
        "FROM incidents"
    ).fetchall()[0]
    assert got[:6] == (27595, "0486", 17, 1733, 16, 33)
    assert str(got[6]) == "2023-06-28 23:04:00" and got[7] is True and got[8] == "03"


def test_several_victims_share_a_case_number(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    victims = [
        portal_row(
            id=str(i),
            case_number="JG320179",
            primary_type="HOMICIDE",
            iucr="0110",
            fbi_code="01A",
            description="FIRST DEGREE MURDER",
        )
        for i in (1, 2, 3)
    ]
    r = load_incidents(con, write_csv("homicides.csv", victims))
    assert r.loaded == 3
    assert con.execute(
        "SELECT count(*), count(DISTINCT case_number), min(category), "
        "bool_and(index_crime) FROM incidents"
    ).fetchall() == [(3, 1, "violent", True)]


def test_api_json_rows_and_json_lines(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    recs = [
        {
            "id": "11",
            "case_number": "JB1",
            "date": "2024-03-01T13:05:00.000",
            "primary_type": "ROBBERY",
            "iucr": "031A",
            "arrest": True,
            "domestic": False,
            "beat": "0111",
            "district": "001",
            "community_area": "32",
            "updated_on": "2024-03-08T15:40:00.000",
            "location": {"latitude": "41.8"},
        },
        {
            "id": "12",
            "case_number": "JB2",
            "date": "2024-03-02T01:00:00.000",
            "primary_type": "THEFT",
            "arrest": False,
            "domestic": False,
            "district": "002",
        },
    ]
    arr = tmp_path / "rows.json"
    arr.write_text(json.dumps(recs))
    r = load_incidents(con, arr)
    assert (r.read, r.loaded) == (2, 2)
    nd = tmp_path / "rows.jsonl"
    nd.write_text(json.dumps(recs[0]) + "\n{not json\n" + json.dumps(dict(recs[1], id="13")) + "\n")
    r = load_incidents(con, nd)
    assert (r.read, r.loaded, r.duplicates, r.quarantined) == (3, 1, 1, 1)
    assert [q["line"] for q in list_quarantine(con)] == [2]
    got = con.execute("SELECT id, arrest, district, category FROM incidents ORDER BY id").fetchall()
    assert got == [(11, True, 1, "violent"), (12, False, 2, "property"), (13, False, 2, "property")]


def test_geojson_points_with_cut_field_names(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-87.64, 41.77]},
        "properties": {
            "ID": 5,
            "Case _mber": "JD1",
            "Date": "12/11/2020 11:45:00 PM",
            "IUCR": 326,
            "Descr_tion": "AGGRAVATED VEHICULAR HIJACKING",
            "Beat": 723,
            "District": 7,
            "Commu_Area": 68,
            "FBI Code": 3,
            "Latitude": None,  # empty in the properties: the geometry gives the point
        },
    }
    path = tmp_path / "carjack.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    load_incidents(con, path)
    got = con.execute(
        "SELECT case_number, iucr, primary_type, community_area, longitude, "
        "arrest, category FROM incidents"
    ).fetchall()
    assert got == [("JD1", "0326", "ROBBERY", 68, -87.64, None, "violent")]


def test_gzip_csv_loads_like_plain(con: duckdb.DuckDBPyConnection, write_csv: WriteCsv) -> None:
    plain = connect(":memory:")
    load_incidents(plain, write_csv("g.csv", rows(40)))
    r = load_incidents(con, write_csv("g.csv.gz", rows(40), gz=True))
    assert r.loaded == 40
    columns = "* EXCLUDE (source_file, load_id)"
    assert table_rows(con, f"(SELECT {columns} FROM incidents)") == table_rows(
        plain, f"(SELECT {columns} FROM incidents)"
    )


def test_dates_in_two_layouts_all_load(con: duckdb.DuckDBPyConnection, write_csv: WriteCsv) -> None:
    # Two exports joined: the first rows set the layout the fast reader expects.
    us = [portal_row(id=str(i)) for i in range(1, 1501)]
    iso = [
        portal_row(id=str(i), date="2022-05-31 23:59:00", updated_on="2022-06-07 16:47:18")
        for i in range(1501, 2001)
    ]
    r = load_incidents(con, write_csv("joined.csv", us + iso))
    assert (r.read, r.loaded, r.quarantined) == (2000, 2000, 0)
    assert con.execute("SELECT count(DISTINCT occurred_at) FROM incidents").fetchall() == [(1,)]


def test_line_numbers_count_physical_lines(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv, tmp_path: Path
) -> None:
    rows = [portal_row(id=str(i)) for i in range(1, 6)]
    rows[1]["Block"] = "001XX N STATE ST\nREAR"  # a quoted field over two lines (lines 3-4)
    rows[3]["Beat"] = "17.5"  # record 4, on line 6
    lines = write_csv("multi.csv", rows).read_bytes().split(b"\r\n")
    lines.insert(3, b"")  # a blank line between records
    path = tmp_path / "blank_and_multi.csv"
    path.write_bytes(b"\r\n".join(lines))
    # now: header 1, rec1 2, rec2 3-4, blank 5, rec3 6, rec4 7, rec5 8
    r = load_incidents(con, path)
    assert (r.read, r.loaded, r.quarantined) == (5, 4, 1)
    assert [(q["line"], q["field"]) for q in list_quarantine(con)] == [(7, "Beat")]
    assert con.execute("SELECT block FROM incidents WHERE id = 2").fetchall() == [
        ("001XX N STATE ST\nREAR",)
    ]


def test_rows_without_id_are_updated_by_a_later_export(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    theft = {
        "Date": "2022-09-16 21:30:00",
        "Block": "026XX S KEDVALE AVE",
        "Primary Type": "THEFT",
        "Description": "OVER $500",
        "Location Description": "STREET",
        "Arrest": "false",
        "Domestic": "false",
        "Community Area": "30",
    }
    load_incidents(con, write_csv("v1.csv", [theft, theft], header=SLIM))
    # a later export: one of the two thefts now has an arrest
    r = load_incidents(con, write_csv("v2.csv", [theft, dict(theft, Arrest="true")], header=SLIM))
    assert (r.loaded, r.updated, r.duplicates) == (0, 1, 1)
    got = con.execute("SELECT arrest, count(*) FROM incidents GROUP BY ALL ORDER BY 1").fetchall()
    assert got == [(False, 1), (True, 1)]
    again = load_incidents(
        con, write_csv("v2.csv", [theft, dict(theft, Arrest="true")], header=SLIM)
    )
    assert (again.loaded, again.updated, again.duplicates) == (0, 0, 2)


def test_same_id_and_updated_on_but_other_content_keeps_the_stored_row(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    load_incidents(con, write_csv("a.csv", [portal_row(id="5", arrest="true")]))
    r = load_incidents(con, write_csv("b.csv", [portal_row(id="5", arrest="false")]))
    assert (r.loaded, r.updated, r.duplicates) == (0, 0, 1)
    assert con.execute("SELECT arrest FROM incidents").fetchall() == [(True,)]


def test_a_new_file_at_the_same_path_keeps_the_old_quarantine(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    load_incidents(con, write_csv("monthly.csv", [portal_row(id="1", date="bad date")]))
    # next month's download overwrites the file; its rows are all good
    r = load_incidents(con, write_csv("monthly.csv", [portal_row(id="2"), portal_row(id="3")]))
    assert r.quarantined == 0
    assert [q["line"] for q in list_quarantine(con)] == [2]  # last month's bad row is still there
    log = con.execute("SELECT quarantined FROM load_log ORDER BY load_id").fetchall()
    assert log == [(1,), (0,)]


def test_two_agencies_with_the_same_ids_stay_apart(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    rows = [portal_row(id=str(i)) for i in (1, 2, 3)]
    load_incidents(con, write_csv("cpd.csv", rows))
    other = load_incidents(con, write_csv("other.csv", rows), agency="Metra PD")
    assert (other.loaded, other.duplicates) == (3, 0)
    again = load_incidents(con, write_csv("other.csv", rows), agency="Metra PD")
    assert (again.loaded, again.duplicates) == (0, 3)
    got = con.execute(
        "SELECT agency, count(*), count(DISTINCT incident_key), min(id), max(id) "
        "FROM incidents GROUP BY agency ORDER BY agency"
    ).fetchall()
    assert got == [("CPD", 3, 3, 1, 3), ("Metra PD", 3, 3, 1, 3)]
    cpd_keys = {
        k
        for (k,) in con.execute(
            "SELECT incident_key FROM incidents WHERE agency = 'CPD'"
        ).fetchall()
    }
    assert cpd_keys == {1, 2, 3}  # CPD keeps the portal IDs as keys
