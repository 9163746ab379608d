"""The Priority areas page: the city's rule equals an independent count of homicide victims; the
composite index, its rank intervals under seeded weight redraws and its phases equal a
recomputation from the input files; without its indicators the page says how to load them."""

from __future__ import annotations

import csv
import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from publish.support import build, with_indicators, write_indicators
from safer77.publish.priority import priority_body, priority_page
from safer77.warehouse import connect

WEIGHTS = Path(__file__).resolve().parents[2] / "src" / "safer77" / "data" / "priority-weights.toml"
AREAS = range(1, 78)


def years_held(db: Path, end: int) -> int:
    """How many years of the three to ``end`` the warehouse's incidents reach (the synthetic
    city starts on a 1 January): the city's rule averages over those alone."""
    con = connect(db, read_only=True)
    try:
        ((first,),) = con.execute("SELECT min(year(occurred_at)) FROM incidents").fetchall()
    finally:
        con.close()
    return end - max(end - 2, int(first)) + 1


def homicides(db: Path, end: int) -> dict[int, int]:
    con = connect(db, read_only=True)
    try:
        return dict(
            con.execute(
                "SELECT community_area, count(*) FROM incidents WHERE primary_type = 'HOMICIDE' "
                "AND year(occurred_at) BETWEEN ? AND ? GROUP BY 1",
                [end - 2, end],
            ).fetchall()
        )
    finally:
        con.close()


def test_priority_page_matches_an_independent_count(synth_db: Path, tmp_path: Path) -> None:
    result = build(synth_db, tmp_path / "site")
    end = int(result.month[:4]) - 1
    counts = homicides(synth_db, end)
    rows = json.loads((tmp_path / "site/data/priority/city_rule.json").read_text())
    html = (tmp_path / "site/priority.html").read_text()
    assert counts, "the synthetic city has homicides in the window"
    expected = sorted(AREAS, key=lambda a: (-counts.get(a, 0), a))[:15]
    assert [r["community_area"] for r in rows] == expected
    assert [r["phase"] for r in rows] == [1] * 5 + [2] * 5 + [3] * 5
    years = years_held(synth_db, end)
    assert years < 3, "the synthetic city's 24 months do not reach back three full years"
    assert rows[0]["victims_per_year"] == round(counts[expected[0]] / years, 3)
    window = f"{end - years + 1}-{end}" if years > 1 else str(end)
    assert f"cover homicides for {window} only" in html
    # no indicators in this warehouse: no index, and the page says how to load what is missing
    assert json.loads((tmp_path / "site/data/priority/composite.json").read_text()) == []
    assert "The index is not shown" in html and "Community areas by the composite index" not in html
    assert "safer77 ingest indicators FILE --mapping census-2008-2012" in html
    assert "safer77 ingest indicators FILE --mapping population-2010" in html


def recompute(db: Path, month: str, folder: Path, seed: int, draws: int) -> dict[int, dict]:
    """The index and its sensitivity from the raw indicator file, the incidents and the weights
    file, by their definitions on the page (z-scores, weighted mean, Dirichlet redraws)."""
    end = int(month[:4]) - 1
    counts = homicides(db, end)
    table, _ = write_indicators(folder)  # the same made-up values the warehouse was loaded with
    with table.open() as fh:
        raw = {int(r["area"]): {k: float(v) for k, v in r.items()} for r in csv.DictReader(fh)}
    need = {  # oriented: higher means more need
        "violence_rate": [
            counts.get(a, 0) / years_held(db, end) * 1e5 / raw[a]["pop"] for a in AREAS
        ],
        "poverty_pct": [raw[a]["poverty"] for a in AREAS],
        "unemployed_pct": [raw[a]["unemployed"] for a in AREAS],
        "no_high_school_pct": [raw[a]["nohs"] for a in AREAS],
        "per_capita_income": [-raw[a]["income"] for a in AREAS],
    }
    weights = tomllib.loads(WEIGHTS.read_text())["weights"]
    z = np.column_stack([(np.array(need[n]) - np.mean(need[n])) / np.std(need[n]) for n in weights])
    w = np.array(list(weights.values()), dtype=float)
    w = w / w.sum()

    def ranked(score: np.ndarray) -> dict[int, int]:
        order = sorted(AREAS, key=lambda a: (-score[a - 1], a))
        return {a: i + 1 for i, a in enumerate(order)}

    score = z @ w
    rank = ranked(score)
    seen: dict[int, list[int]] = {a: [] for a in AREAS}
    for draw in np.random.default_rng(seed).dirichlet(w * 50 * len(w), size=draws):
        for a, r in ranked(z @ draw).items():
            seen[a].append(r)
    out = {}
    for a in AREAS:
        ranks = sorted(seen[a])
        out[a] = {
            "score": float(score[a - 1]),
            "rank": rank[a],
            "rank_low": ranks[math.floor(0.05 * (draws - 1))],
            "rank_high": ranks[math.ceil(0.95 * (draws - 1))],
            "share_in_top": sum(r <= 15 for r in ranks) / draws,
        }
    return out


def test_composite_index_equals_a_recomputation(
    coordinated_db: Path, coordinated_site: Path, tmp_path: Path
) -> None:
    month = json.loads((coordinated_site / "data.json").read_text())["month"]
    rows = json.loads((coordinated_site / "data/priority/composite.json").read_text())
    expected = recompute(coordinated_db, month, tmp_path, seed=77, draws=1000)
    assert len(rows) == 77
    for r in rows:
        e = expected[r["community_area"]]
        assert r["rank"] == e["rank"], r
        assert r["score"] == pytest.approx(e["score"], abs=1e-4)
        assert (r["rank_low"], r["rank_high"]) == (e["rank_low"], e["rank_high"]), r
        assert r["share_in_top"] == pytest.approx(e["share_in_top"], abs=1e-3)
        assert r["phase"] == ((r["rank"] - 1) // 5 + 1 if r["rank"] <= 15 else None)
    assert [r["rank"] for r in rows] == list(range(1, 78))
    stable = sum(e["share_in_top"] >= 0.95 for e in expected.values())
    html = (coordinated_site / "priority.html").read_text()
    first = rows[0]
    assert (
        f"<tr><td>1</td><th scope='row'>{first['name']} ({first['community_area']})</th>"
        f"<td>{expected[first['community_area']]['score']:.2f}</td>"
        f"<td>{first['rank_low']}–{first['rank_high']}</td>"
    ) in html
    assert f"<strong>{stable} areas</strong> are in the top 15 in at least 95% of the draws" in html
    assert "The index is not shown" not in html
    for text in ("a policy choice", "z-score", "5th to the 95th percentile", "seed 77", "Phase"):
        assert text.lower() in html.lower(), text
    measures = json.loads((coordinated_site / "data/priority/measures.json").read_text())
    weights = tomllib.loads(WEIGHTS.read_text())["weights"]
    assert {m["measure"]: m["weight"] for m in measures} == weights
    assert all(m["loaded"] for m in measures)
    # phases of the index, listed by name
    phase1 = ", ".join(f"{r['name']} ({r['community_area']})" for r in rows[:5])
    assert f"By the composite index, phase 1: {phase1}" in html


def test_the_same_seed_gives_the_same_page(coordinated_db: Path) -> None:
    con = connect(coordinated_db, read_only=True)
    try:
        a = priority_page(con, "2024-12", seed=5, draws=200)
        b = priority_page(con, "2024-12", seed=5, draws=200)
        c = priority_page(con, "2024-12", seed=6, draws=200)
    finally:
        con.close()
    assert a == b and priority_body(a) == priority_body(b)
    assert a.composite and "seed 5" in priority_body(a)
    # the index does not depend on the seed; its sensitivity does
    assert [(r["rank"], r["score"]) for r in a.composite] == [
        (r["rank"], r["score"]) for r in c.composite
    ]
    assert [r["share_in_top"] for r in a.composite] != [r["share_in_top"] for r in c.composite]


def test_one_missing_indicator_is_named_with_its_mapping(synth_db: Path, tmp_path: Path) -> None:
    con = connect(with_indicators(synth_db, tmp_path, without="unemployed_pct"), read_only=True)
    try:
        page = priority_page(con, "2024-12")
        late = priority_page(con, "2031-06")  # a window with no homicides
    finally:
        con.close()
    assert page.missing == ["unemployed_pct"] and page.composite == [] and page.city_rule
    html = priority_body(page)
    assert (
        "<li><code>unemployed_pct</code>: "
        "<code>safer77 ingest indicators FILE --mapping census-2008-2012</code></li>"
    ) in html
    assert "population-2010" not in html and "1 of the indicators it needs" in html
    assert late.city_rule == [] and late.composite == []
    body = priority_body(late)
    assert "do not cover homicides for a full year of 2028-2030" in body
    assert "no loaded file covers HOMICIDE in January 2030" in body


def test_with_a_victims_file_the_rule_counts_homicide_and_shooting_victims(
    synth_db: Path, tmp_path: Path
) -> None:
    from safer77.warehouse.victims import load_victims
    from tests.sources.test_city311 import write
    from tests.sources.test_victims import CITY, victim

    warehouse = with_indicators(synth_db, tmp_path)
    con = connect(warehouse, read_only=True)
    ((last,),) = con.execute("SELECT max(month) FROM incidents").fetchall()
    con.close()
    end = last.year - 1
    rng = np.random.default_rng(5)
    rows, counts = [], dict.fromkeys(AREAS, 0)
    for i in range(600):
        area = int(rng.integers(1, 78))
        year = int(rng.integers(end - 2, end + 2))  # some fall outside the window
        kind = "HOMICIDE" if i % 4 == 0 else "BATTERY"
        rows.append(
            victim(
                str(i),
                DATE=f"03/15/{year} 10:00:00 PM",
                COMMUNITY_AREA=str(area),
                VICTIMIZATION_PRIMARY=kind,
            )
        )
        if end - 2 <= year <= end:
            counts[area] += 1
    con = connect(warehouse)
    load_victims(con, write(tmp_path / "victims.csv", CITY, rows))
    page = priority_page(con, last.strftime("%Y-%m"))
    con.close()
    expected = sorted(AREAS, key=lambda a: (-counts[a], a))[:15]
    assert [r["community_area"] for r in page.city_rule] == expected
    assert page.city_rule[0]["victims_per_year"] == round(counts[expected[0]] / 3, 3)
    assert "non-fatal shootings" in page.counted and "city" in page.counted


def test_a_partial_victims_source_does_not_replace_the_homicide_count(
    synth_db: Path, tmp_path: Path
) -> None:
    """GVA's mass shootings are not the City's victims file: the rule keeps counting
    homicide incidents."""
    from safer77.warehouse.victims import load_victims
    from tests.sources.test_city311 import write
    from tests.sources.test_victims import GVA

    warehouse = with_indicators(synth_db, tmp_path)
    con = connect(warehouse)
    ((last,),) = con.execute("SELECT max(month) FROM incidents").fetchall()
    rows = [
        {"Incident ID": str(i), "Incident Date": f"July 4, {last.year - 1 - i % 3}"}
        | {"State": "Illinois", "City Or County": "Chicago", "Victims Killed": "1"}
        | {"Victims Injured": "4", "latitude": "41.78", "longitude": "-87.64"}
        for i in range(30)
    ]
    load_victims(con, write(tmp_path / "gva.csv", GVA, rows))
    page = priority_page(con, last.strftime("%Y-%m"))
    con.close()
    counts = homicides(warehouse, last.year - 1)
    expected = sorted(AREAS, key=lambda a: (-counts.get(a, 0), a))[:15]
    assert [r["community_area"] for r in page.city_rule] == expected
    assert page.counted.startswith("homicide victims")
