"""The command line on third-party exports: notes, "N of M" quarantine listings, and refusals
in one plain line."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

from typer.testing import CliRunner

from conftest import WriteCsv, portal_row
from safer77.cli import app
from safer77.schema import PORTAL_CSV_HEADER

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_notes_the_index_column_of_a_pandas_export(tmp_path: Path) -> None:
    path = tmp_path / "pandas.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["", *PORTAL_CSV_HEADER])
        for i in range(3):
            row = portal_row(id=str(i + 1))
            w.writerow([str(i), *(row[h] for h in PORTAL_CSV_HEADER)])
    code, _, err = invoke("ingest", "crimes", str(path), "--db", str(tmp_path / "w.duckdb"))
    assert code == 0, err
    assert "loaded 3," in err and "quarantined 0" in err
    assert "note: column 1 has no name: a row index" in err


def test_quarantine_limit_says_how_many_of_how_many(write_csv: WriteCsv, tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    rows = [portal_row(id=str(i), beat="12B") for i in range(1, 8)] + [portal_row(id="9")]
    assert invoke("ingest", "crimes", str(write_csv("q.csv", rows)), "--db", db)[0] == 0
    code, out, _ = invoke("quarantine", "--db", db, "--limit", "3")
    assert code == 0 and "3 of 7 quarantined rows" in out
    code, out, _ = invoke("quarantine", "--db", db)
    assert code == 0 and "7 quarantined rows" in out and " of " not in out.splitlines()[0]
    code, out, err = invoke("quarantine", "--db", db, "--limit", "2", "--format", "csv")
    assert code == 0 and len(list(csv.reader(io.StringIO(out)))) == 3  # header + 2 rows
    assert "shown 2 of 7 quarantined rows" in err


def test_stats_file_on_a_cut_gzip_is_one_plain_line(tmp_path: Path) -> None:
    lines = [",".join(PORTAL_CSV_HEADER)]
    for i in range(1, 30001):
        row = portal_row(id=str(i))
        lines.append(",".join(f'"{v}"' if "," in v else v for v in row.values()))
    whole = gzip.compress("\n".join(lines).encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    code, out, err = invoke("stats", "arrests", "--file", str(cut))
    assert code == 2 and out == ""
    shown = [ln for ln in err.splitlines() if ln.strip()]
    assert len(shown) == 1 and str(cut) in shown[0] and "interrupted download" in shown[0]
    assert "Error" not in shown[0] and "GZIP" not in shown[0]
