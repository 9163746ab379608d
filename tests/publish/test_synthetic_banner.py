"""A site built from synthetic incidents says so on every page; one built from real loads never.

The warehouse records which loads were synthetic (the generator marks its files with a manifest),
so the banner does not depend on who builds the site: `safer77 publish` on the demo's warehouse
shows it too.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import WriteCsv, portal_row
from safer77.errors import InvalidInput
from safer77.metrics import compute_all
from safer77.publish.site import build_site
from safer77.sources.synthetic import manifest_path
from safer77.synth import synth_crimes
from safer77.warehouse import connect, load_incidents
from safer77.warehouse.synthetic import provenance

BANNER = "Synthetic city — not real data"
GENERATOR = "safer77 synthetic city generator, seed 5"
PORTAL = "Data: City of Chicago open data portal"


def real_rows() -> list[dict[str, str]]:
    """Portal-format rows over two years, so that every page has a month and a year earlier."""
    rows = []
    for i, (month, ptype, iucr, fbi) in enumerate(
        [
            ("05/03/2022 10:00:00 AM", "ROBBERY", "031A", "03"),
            ("05/17/2022 11:30:00 PM", "BATTERY", "0486", "08B"),
            ("05/04/2023 09:15:00 AM", "ROBBERY", "031A", "03"),
            ("05/20/2023 01:00:00 PM", "THEFT", "0820", "06"),
        ]
    ):
        rows.append(
            portal_row(
                id=str(5000 + i),
                case_number=f"JA{500000 + i}",
                date=month,
                primary_type=ptype,
                iucr=iucr,
                fbi_code=fbi,
                year=month[6:10],
            )
        )
    return rows


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "city.csv"
    synth_crimes(rows=2_000, seed=5, out=out, months=13)
    return out


def build(db: Path, out: Path) -> dict[str, str]:
    """Build the site of warehouse ``db`` into ``out``; every page's HTML by path."""
    con = connect(db, read_only=True)
    try:
        build_site(con, out)
    finally:
        con.close()
    return {
        str(p.relative_to(out)): " ".join(p.read_text("utf-8").split())  # whitespace collapsed
        for p in sorted(out.rglob("*.html"))
    }


def load(db: Path, *files: Path) -> None:
    con = connect(db)
    try:
        for f in files:
            load_incidents(con, f)
        compute_all(con)
    finally:
        con.close()


def test_synth_crimes_marks_its_file(synthetic_file: Path) -> None:
    doc = json.loads(manifest_path(synthetic_file).read_text())
    assert doc["generator"] == "safer77 synthetic city generator"
    assert (doc["seed"], doc["rows"], doc["file"]) == (5, 2_000, "city.csv")


def test_every_page_of_a_synthetic_warehouse_carries_the_banner(
    synthetic_file: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    load(db, synthetic_file)
    pages = build(db, tmp_path / "site")
    assert len(pages) > 100  # areas, districts, categories, report, text pages
    for path, html in pages.items():
        body = html[html.index("<body>") :]
        # once, first thing after the skip link, as a note for assistive technology
        assert html.count(BANNER) == 1, path
        assert body.index(BANNER) < body.index("<header>"), path
        assert re.search(r'<div class="synthetic" role="note"[^>]*>', body), path
        footer = body[body.index("<footer>") :]
        assert "synthetic incidents from the " + GENERATOR in footer, path
        assert "City of Chicago" not in footer, path
    index = pages["index.html"]
    assert "<h1>Synthetic city, citywide</h1>" in index
    assert "<title>Synthetic city · safer77</title>" in index
    assert "Chicago" not in re.sub(r"<footer>.*", "", index[index.index("<body>") :], flags=re.S)
    about = pages["about.html"]
    assert GENERATOR in about and "city.csv" in about and "open data portal" not in about


def test_a_warehouse_of_real_loads_never_shows_it(write_csv: WriteCsv, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(db, write_csv("crimes-2023.csv", real_rows()))
    pages = build(db, tmp_path / "site")
    assert len(pages) > 10
    for path, html in pages.items():
        assert BANNER not in html and 'class="synthetic"' not in html, path
        assert "synthetic" not in html[html.index("<footer>") :], path
        assert PORTAL in html, path
    assert "<h1>Chicago, citywide</h1>" in pages["index.html"]
    assert "City of Chicago's open data portal" in pages["about.html"]


def test_synthetic_mixed_with_real_shows_the_banner(
    synthetic_file: Path, write_csv: WriteCsv, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    load(db, write_csv("crimes-2023.csv", real_rows()), synthetic_file)
    con = connect(db, read_only=True)
    origin = provenance(con)
    con.close()
    assert origin.is_synthetic and origin.other_loads == 1
    assert [s.file for s in origin.synthetic] == ["city.csv"]
    pages = build(db, tmp_path / "site")
    for path in ("index.html", "areas/index.html", "about.html", "methodology.html"):
        assert BANNER in pages[path] and "mixed with other" in pages[path], path
    assert "mixed with 1 load(s) of other files" in pages["about.html"]


def test_reloading_a_synthetic_file_keeps_one_source(synthetic_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(db, synthetic_file, synthetic_file)
    con = connect(db, read_only=True)
    origin = provenance(con)
    con.close()
    assert len(origin.synthetic) == 1 and origin.other_loads == 0
    assert origin.label == GENERATOR


def test_a_manifest_of_other_content_marks_nothing(
    synthetic_file: Path, write_csv: WriteCsv, tmp_path: Path
) -> None:
    """A real file downloaded to the path of an earlier synthetic one is not synthetic."""
    real = write_csv("city.csv", real_rows())
    shutil.copy(manifest_path(synthetic_file), manifest_path(real))
    db = tmp_path / "w.duckdb"
    load(db, real)
    con = connect(db, read_only=True)
    origin = provenance(con)
    con.close()
    assert not origin.is_synthetic and origin.other_loads == 1


def test_an_unreadable_manifest_refuses_the_load(write_csv: WriteCsv, tmp_path: Path) -> None:
    data = write_csv("city.csv", real_rows())
    manifest_path(data).write_text("{not json")
    con = connect(":memory:")
    with pytest.raises(InvalidInput) as exc:
        load_incidents(con, data)
    assert str(manifest_path(data)) in str(exc.value) and "\n" not in str(exc.value)
    assert con.execute("SELECT count(*) FROM incidents").fetchall() == [(0,)]
    con.close()
