"""The "District plan" page: a proposal written by ``safer77 plan districts --out DIR``,
today's districts beside it on one map and the comparison table."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from safer77.errors import InvalidInput, NotFound


def read_plan(folder: Path) -> tuple[dict[str, Any], str]:
    """``plan.json`` and ``map.svg`` of a plan folder; errors name the file."""
    doc_path, svg_path = folder / "plan.json", folder / "map.svg"
    for p in (doc_path, svg_path):
        if not p.is_file():
            raise NotFound(f"{p} not found; run `safer77 plan districts --out {folder}` first")
    try:
        doc = json.loads(doc_path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"not a plan ({exc})", file=str(doc_path)) from None
    for key in ("comparison", "run", "assignment"):
        if not isinstance(doc, dict) or key not in doc:
            raise InvalidInput(
                "not a plan written by `plan districts`", file=str(doc_path), field=key
            )
    return doc, svg_path.read_text("utf-8")


def beat_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Beat → proposed district, for the downloadable table."""
    return [{"beat": int(b), "district": int(d)} for b, d in doc["assignment"].items()]


def district_plan_body(doc: dict[str, Any], svg: str) -> str:
    run = doc["run"]
    rows = "".join(
        f"<tr><th scope='row'>{escape(str(r['measure']))}</th>"
        f"<td>{escape(str(r['current']))}</td><td>{escape(str(r['proposed']))}</td></tr>"
        for r in doc["comparison"]
    )
    return (
        "<h1>District plan</h1><p class='lede'>A proposal for police districts redrawn from "
        "today's beats: workload balanced across districts, every district in one piece, "
        "compact, with community areas kept whole where the beats allow. Workload counts the "
        f"incidents of {escape(str(run['window']))}, weighted by severity "
        f"({int(run['incidents']):,} incidents). It is a proposal to discuss, not a decision."
        f"</p><figure>{svg}<figcaption>Today's districts (left) and the proposal (right), "
        "shaded by workload above or below the mean.</figcaption></figure>"
        "<table class='data'><caption>Today's districts and the proposal</caption><thead><tr>"
        "<th scope='col'>Measure</th><th scope='col'>Today</th><th scope='col'>Proposed</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
        "<p class='downloads'>Download: <a href='data/district_plan/comparison.csv'>"
        "comparison CSV</a> · <a href='data/district_plan/comparison.json'>JSON</a> · "
        "<a href='data/district_plan/beats.csv'>beat → district CSV</a> · "
        "<a href='data/district_plan/beats.json'>JSON</a></p>"
        f"<p>Workload may deviate at most {float(run['bound_pct']):.1f}% from the mean. "
        "Compactness is the Polsby-Popper score (4πA/P²; 1 is a disc). A community area "
        "counts as split when two districts each hold at least 2% of it. How it is computed: "
        "docs/plan.md in the source.</p>"
    )
