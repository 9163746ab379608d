"""The command line on third-party exports: notes, and refusals in one plain line."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from typer.testing import CliRunner

from conftest import portal_row
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
