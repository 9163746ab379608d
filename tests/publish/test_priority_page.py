"""The Priority areas page equals an independent count of homicide victims."""

from __future__ import annotations

import json
from pathlib import Path

from safer77.publish.site import build_site
from safer77.warehouse import connect


def test_priority_page_matches_an_independent_count(synth_db: Path, tmp_path: Path) -> None:
    con = connect(synth_db, read_only=True)
    try:
        result = build_site(con, tmp_path / "site")
        end = int(result.month[:4]) - 1
        counts = dict(
            con.execute(
                "SELECT community_area, count(*) FROM incidents WHERE primary_type = 'HOMICIDE' "
                "AND year(occurred_at) BETWEEN ? AND ? GROUP BY 1",
                [end - 2, end],
            ).fetchall()
        )
    finally:
        con.close()
    rows = json.loads((tmp_path / "site/data/priority/city_rule.json").read_text())
    html = (tmp_path / "site/priority.html").read_text()
    if not counts:
        assert rows == [] and "No homicides" in html
        return
    expected = sorted(range(1, 78), key=lambda a: (-counts.get(a, 0), a))[:15]
    assert [r["community_area"] for r in rows] == expected
    assert [r["phase"] for r in rows] == [1] * 5 + [2] * 5 + [3] * 5
    assert rows[0]["victims_per_year"] == round(counts[expected[0]] / 3, 3)
    assert f"{end - 2}-{end}" in html
