"""The public clearance page shows UCR clearance exported from case records, next to the
arrest-flag proxy, and nothing from the case records but counts."""

from __future__ import annotations

import shutil
from pathlib import Path

from service.support import ROWS, homicide, write

from publish.support import build
from safer77.service.db import make_engine, session_factory, transaction, upgrade
from safer77.service.export import export_to_warehouse
from safer77.service.imports import import_cpd_homicides


def test_clearance_page_from_exported_case_records(synth_db: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(synth_db, warehouse)
    engine = make_engine(f"sqlite:///{tmp_path / 'svc.db'}")
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        # a FOIA release keeps an older case only when it was cleared: 2005 holds one, cleared
        old = homicide(
            **{
                "RD#": "HZ100001",
                "Homicide #": "05010001",
                "Injury Date": "2005-06-01T01:00:00",
                "Death Date": "2005-06-01T02:00:00",
                "CompStat Date": "2005-06-01T02:00:00",
                "Cleared I": "Y",
                "Date Cleared": "2012-01-05T00:00:00",
            }
        )
        import_cpd_homicides(s, None, write(tmp_path / "h.csv", [*ROWS, old]))
    export_to_warehouse(engine, warehouse)
    engine.dispose()
    build(warehouse, tmp_path / "site")
    site = tmp_path / "site"
    html = (site / "clearance.html").read_text()
    # 2022: three offenses (one by arrest, one exceptional, one open) -> 2 of 3 cleared
    assert "<th scope='row'>2022</th><td>3</td><td>2</td><td>1</td><td>1</td><td>66.7%</td>" in html
    assert "ucr_clearance" in (site / "data/clearance/by_year.csv").read_text()
    # the old year shows its counts but not a 100% rate
    row_2005 = html[html.index("<th scope='row'>2005</th>") :].split("</tr>")[0]
    assert "<td>1</td><td>1</td>" in row_2005 and "100.0%" not in row_2005
    assert "incomplete: the records hold this year in part" in row_2005
    # a chart per crime type above its table: 2022's rate is a point; 2005 (in part) is not
    chart = html[html.index("<figure>") : html.index("</figure>")]
    assert html.index("<figure>") < html.index("<table")
    assert "<title>2022: 66.7% (95% interval" in chart
    assert "<title>2005:" not in chart
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".csv", ".json"}:
            text = path.read_text()
            assert "JA10000" not in text and "1XX N STATE" not in text, path


def test_clearance_page_without_case_records(synth_db: Path, tmp_path: Path) -> None:
    build(synth_db, tmp_path / "site")
    html = (tmp_path / "site" / "clearance.html").read_text()
    assert "No case records have been exported" in html and "<table" not in html
    assert "<svg" not in html
