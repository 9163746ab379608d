"""The "Priority areas" page, from the warehouse's incidents and indicators:

(a) the city's rule (average yearly homicide victims over the three full years before the
site's month, top 15); (b) a composite index of violence and its root causes with the default
weights of ``data/priority-weights.toml``, shown only when its indicators are loaded; (c) the
index's sensitivity to those weights (rank intervals under seeded Dirichlet redraws, areas stable
in the top 15); (d) phases of 5 areas.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from html import escape
from typing import Any

import duckdb

from safer77.coordinate.priority import CONCENTRATION
from safer77.coordinate.ranking import (
    VIOLENCE,
    PriorityOptions,
    default_weights,
    incomplete_indicators,
    indicators_needed,
    priority_table,
)
from safer77.errors import NotFound
from safer77.metrics.coverage import Coverage, months_between, read_coverage
from safer77.publish.html import downloads, percent
from safer77.sources.indicators import builtin_indicator
from safer77.warehouse.db import has_table

TOP = 15
CAPACITY = 5
WEIGHTS_FILE = "src/safer77/data/priority-weights.toml"


@dataclass(frozen=True)
class PriorityPage:
    """Everything the page shows; the row lists are also its downloads."""

    window: str
    city_rule: list[dict[str, Any]]  # the top 15 by the city's rule
    measures: list[dict[str, Any]]  # the index's measures, their weights and whether loaded
    missing: list[str]  # indicators the index needs that the warehouse lacks
    composite: list[dict[str, Any]]  # all 77 areas by the index (empty when it cannot be built)
    stable_top: int | None
    seed: int
    draws: int
    homicides: bool
    counted: str = "homicide victims (one per portal homicide row)"  # what the rule counts
    coverage_note: str | None = None  # why the rule is not computed from the incidents


def victim_kinds(con: duckdb.DuckDBPyConnection, start: int, end: int) -> tuple[str, ...]:
    """Both kinds of victims, as the city's rule counts them, when the City's own victims file
    (not a partial source such as GVA's mass shootings) holds homicides and non-fatal
    shootings in every year of the window; else none (homicide incidents)."""
    if not has_table(con, "victims"):
        return ()
    rows = con.execute(
        "SELECT DISTINCT year(occurred_at), kind FROM victims WHERE source = 'city' "
        "AND year(occurred_at) BETWEEN ? AND ?",
        [start, end],
    ).fetchall()
    held = {(int(y), str(k)) for y, k in rows}
    both = ("homicide", "nonfatal_shooting")
    complete = all((y, k) in held for y in range(start, end + 1) for k in both)
    return both if complete else ()


def covered_years(cov: Coverage, first: int, last: int) -> tuple[int, str | None]:
    """The first year of the longest run of years ending with ``last`` (back to ``first``)
    whose every month the loaded files cover for homicides with one scope, at the community
    area level; ``last + 1`` when even ``last`` is not covered, with the reason."""
    start = last + 1
    reason = None
    while start > first:
        months = list(months_between(f"{start - 1}-01", f"{last}-12"))
        reason = cov.window_reason("HOMICIDE", months, "community-area")
        if reason is not None:
            break
        start -= 1
    return start, reason if start > last else None


def priority_page(
    con: duckdb.DuckDBPyConnection,
    month: str,
    *,
    seed: int = PriorityOptions.seed,
    draws: int = PriorityOptions.draws,
) -> PriorityPage:
    """The page's figures for a site about ``month``; the same ``seed`` gives the same page."""
    end = int(month[:4]) - 1
    kinds = victim_kinds(con, end - 2, end)
    start, coverage_note = end - 2, None
    if not kinds:  # homicide incidents: only the years the loaded files cover, with one scope
        start, coverage_note = covered_years(read_coverage(con), end - 2, end)
    window = f"{start}-{end}" if start < end else str(end)
    weights = default_weights()
    missing = incomplete_indicators(con, indicators_needed(weights))
    counted = (
        "victims of homicides and non-fatal shootings, as the city counts them (from the "
        "City's victims file)"
        if kinds
        else PriorityPage.counted
    )
    page = PriorityPage(
        window,
        [],
        _measures(con, weights, window, missing, counted),
        missing,
        [],
        None,
        seed,
        draws,
        False,
        counted,
    )
    opts = PriorityOptions(
        start=start,
        end=end,
        top=TOP,
        capacity=CAPACITY,
        draws=draws,
        seed=seed,
        victim_kinds=kinds,
        victim_sources=("city",) if kinds else (),
    )
    if start > end:
        return dataclasses.replace(page, window=f"{end - 2}-{end}", coverage_note=coverage_note)
    try:
        rule = priority_table(con, opts)
    except NotFound:
        return page
    page = dataclasses.replace(
        page, homicides=True, city_rule=[r for r in rule.rows if r["city_rule_top"]]
    )
    if missing:
        return page
    index = priority_table(con, dataclasses.replace(opts, weights=weights))
    rows = [
        {
            "community_area": r["community_area"],
            "name": r["name"],
            "rank": r["rank"],
            "score": r["score"],
            "rank_low": r["rank_low"],
            "rank_high": r["rank_high"],
            "share_in_top": r["share_in_top"],
            "phase": r["phase"] if r["rank"] <= TOP else None,
            "city_rule_rank": r["city_rule_rank"],
            "victims_per_year": r["victims_per_year"],
        }
        for r in index.rows
    ]
    return dataclasses.replace(page, composite=rows, stable_top=index.stable_top)


def _measures(
    con: duckdb.DuckDBPyConnection,
    weights: dict[str, float],
    window: str,
    missing: list[str],
    counted: str,
) -> list[dict[str, Any]]:
    """One row per measure of the index: weight, share, direction, definition, load status."""
    catalog: dict[str, tuple[str, bool, str]] = {}
    if has_table(con, "indicator_catalog"):
        for name, desc, better, source, year in con.execute(
            "SELECT name, description, higher_is_better, source, year FROM indicator_catalog"
        ).fetchall():
            catalog[name] = (desc, bool(better), f"{source} ({year})" if year else source)
    total = sum(weights.values())
    out = []
    for name, w in weights.items():
        needs = "population" if name == VIOLENCE else name
        builtin = builtin_indicator(needs)
        if name == VIOLENCE:
            desc, better, source = (
                f"{counted[:1].upper()}{counted[1:]} per 100,000 residents per year, {window} "
                "(residents from the population indicator)",
                False,
                "incidents and population",
            )
        elif name in catalog:
            desc, better, source = catalog[name]
            if desc == name and builtin:  # a mapping without descriptions: the built-in one
                desc = builtin[1].description
        elif builtin:
            desc, better, source = builtin[1].description, builtin[1].higher_is_better, ""
        else:
            desc, better, source = name, False, ""
        out.append(
            {
                "measure": name,
                "weight": w,
                "share_of_weight": round(w / total, 4),
                "higher_means_more_need": not better,
                "description": desc,
                "source": source,
                "loaded": needs not in missing,
                "mapping": builtin[0] if builtin else None,
            }
        )
    return out


def priority_body(page: PriorityPage) -> str:
    """The page: the four sections, each with the definitions of its figures."""
    return "".join(
        [
            "<h1>Priority areas</h1><p class='lede'>Which community areas should come first "
            "for violence-prevention work, two ways: the city's own rule, reproduced, and a "
            "composite index of violence and its root causes, with how much that index depends "
            "on its weights and the phases in which the areas would be reached.</p>",
            _city_rule(page),
            _index(page),
            _sensitivity(page),
            _phases(page),
        ]
    )


def _area(r: dict[str, Any]) -> str:
    return f"{escape(str(r['name']))} ({r['community_area']})"


def _city_rule(page: PriorityPage) -> str:
    head = (
        "<h2 id='city-rule'>(a) The city's rule</h2><p>The "
        f"{TOP} areas with the highest average yearly number of {escape(page.counted)} over "
        f"{escape(page.window)}, in phases of {CAPACITY} areas. Ties go to the lower area "
        "number. The city's own list counts victims of homicides and non-fatal shootings; "
        "without a victims file the open incident data gives homicides only.</p>"
    )
    if page.coverage_note:
        return head + (
            f"<p class='notice' role='note'>Not computed: the loaded files do not cover "
            f"homicides for a full year of {escape(page.window)} ({escape(page.coverage_note)})."
            "</p>"
        )
    if "-" not in page.window or page.window[:4] != str(int(page.window[-4:]) - 2):
        head += (
            f"<p class='notice' role='note'>The loaded files cover homicides for {page.window} "
            "only, so the yearly average is over those years, not three.</p>"
        )
    if not page.city_rule:
        return (
            head + f"<p>No homicides are recorded for {escape(page.window)} in this warehouse.</p>"
        )
    body = "".join(
        f"<tr><td>{r['city_rule_rank']}</td><th scope='row'>{_area(r)}</th>"
        f"<td>{r['victims_per_year']:.1f}</td><td>{r['phase']}</td></tr>"
        for r in page.city_rule
    )
    return (
        head + "<table class='data'><caption>Priority areas by the city's rule</caption><thead><tr>"
        "<th scope='col'>Rank</th><th scope='col'>Community area</th>"
        "<th scope='col'>Victims per year</th><th scope='col'>Phase</th></tr></thead>"
        f"<tbody>{body}</tbody></table>" + downloads("data/priority/city_rule")
    )


def _index(page: PriorityPage) -> str:
    measures = "".join(
        f"<tr><th scope='row'><code>{escape(m['measure'])}</code></th>"
        f"<td>{escape(m['description'])}</td><td>{percent(m['share_of_weight'], 0)}</td>"
        f"<td>{'higher' if m['higher_means_more_need'] else 'lower'}</td>"
        f"<td>{'yes' if m['loaded'] else 'no'}</td></tr>"
        for m in page.measures
    )
    parts = [
        "<h2 id='index'>(b) A composite index of violence and root causes</h2><p>Each measure "
        "below is put on one scale as a z-score: its value minus the mean of the 77 areas, "
        "divided by their standard deviation, with the sign turned where a higher value means "
        "less need (income), so that a higher z-score always means more need. The index is the "
        "weighted mean of the z-scores: 0 is an average area, 1 is one standard deviation more "
        "need than average. Ranks go from 1 (most need) to 77; ties go to the lower area "
        "number.</p><p><strong>The weights are a policy choice, not a finding.</strong> These "
        f"defaults are set in one place (<code>{WEIGHTS_FILE}</code>); section (c) shows how "
        "much the ranking depends on them.</p>"
        "<table class='data'><caption>The index's measures and weights</caption><thead><tr>"
        "<th scope='col'>Measure</th><th scope='col'>Definition</th>"
        "<th scope='col'>Share of the weight</th><th scope='col'>More need when</th>"
        "<th scope='col'>Loaded</th></tr></thead>"
        f"<tbody>{measures}</tbody></table>" + downloads("data/priority/measures"),
    ]
    if page.missing:
        parts.append(_missing(page))
    elif not page.homicides:
        parts.append(
            f"<p>No homicides are recorded for {escape(page.window)}, so the violence rate and "
            "the index cannot be computed.</p>"
        )
    else:
        shown = [r for r in page.composite if r["rank"] <= TOP or r["rank_low"] <= TOP]
        body = "".join(
            f"<tr><td>{r['rank']}</td><th scope='row'>{_area(r)}</th><td>{r['score']:.2f}</td>"
            f"<td>{r['rank_low']}–{r['rank_high']}</td><td>{percent(r['share_in_top'], 0)}</td>"
            f"<td>{r['phase'] or '–'}</td><td>{r['city_rule_rank']}</td></tr>"
            for r in shown
        )
        parts.append(
            f"<p>The table shows the index's top {TOP} and every other area whose rank "
            f"interval reaches into the top {TOP}; the download holds all 77 areas.</p>"
            "<table class='data'><caption>Community areas by the composite index</caption>"
            "<thead><tr><th scope='col'>Rank</th><th scope='col'>Community area</th>"
            "<th scope='col'>Index</th><th scope='col'>Rank interval (5th–95th percentile)</th>"
            f"<th scope='col'>In the top {TOP} (share of draws)</th><th scope='col'>Phase</th>"
            "<th scope='col'>Rank by the city's rule</th></tr></thead>"
            f"<tbody>{body}</tbody></table>" + downloads("data/priority/composite")
        )
    return "".join(parts)


def _missing(page: PriorityPage) -> str:
    by_mapping: dict[str, list[str]] = {}
    for name in page.missing:
        found = builtin_indicator(name)
        by_mapping.setdefault(found[0] if found else "", []).append(name)
    items = "".join(
        f"<li>{', '.join(f'<code>{escape(n)}</code>' for n in names)}: "
        + (
            f"<code>safer77 ingest indicators FILE --mapping {escape(mapping)}</code>"
            if mapping
            else "<code>safer77 ingest indicators FILE --mapping NAME</code> with a mapping "
            "TOML of your own that defines it"
        )
        + "</li>"
        for mapping, names in sorted(by_mapping.items())
    )
    return (
        "<p class='missing'><strong>The index is not shown: this warehouse lacks "
        f"{len(page.missing)} of the indicators it needs</strong> (a value for each of the 77 "
        f"areas). Load them, then publish again:</p><ul>{items}</ul>"
    )


def _sensitivity(page: PriorityPage) -> str:
    k = len(page.measures)
    big = max(page.measures, key=lambda m: m["share_of_weight"])
    share = float(big["share_of_weight"])
    sd = math.sqrt(share * (1 - share) / (CONCENTRATION * k + 1))
    head = (
        "<h2 id='sensitivity'>(c) How much the index depends on its weights</h2><p>The "
        f"weights are redrawn {page.draws:,} times from a Dirichlet distribution whose mean is "
        f"the weights above (concentration {CONCENTRATION:g} per measure: a redrawn "
        f"<code>{escape(big['measure'])}</code> weight of {percent(share, 0)} varies by about "
        f"{sd * 100:.1f} percentage points, one standard deviation). The index and the ranks "
        f"are recomputed for every draw. An area's <em>rank interval</em> runs from the 5th to "
        "the 95th percentile of its ranks over the draws: in at least 90% of the draws its rank "
        f"fell inside. <em>In the top {TOP}</em> is the share of draws that rank it among the top "
        f"{TOP}. The draws are seeded (seed {page.seed}), so every build shows the same "
        "figures.</p>"
    )
    if page.stable_top is None:
        return head + "<p>These figures appear with the index.</p>"
    return head + (
        f"<p class='stable'><strong>{page.stable_top} areas</strong> are in the top {TOP} in at "
        f"least 95% of the draws: those choices do not hang on the exact weights. The other "
        f"{TOP - page.stable_top} places of the top {TOP} depend on them.</p>"
    )


def _phases(page: PriorityPage) -> str:
    lists = [("the city's rule", page.city_rule, "city_rule_rank")]
    if page.composite:
        lists.append(("the composite index", page.composite, "rank"))
    items = []
    for label, rows, key in lists:
        for phase in range(1, TOP // CAPACITY + 1):
            names = ", ".join(_area(r) for r in rows if r[key] <= TOP and r["phase"] == phase)
            if names:
                items.append(f"<li>By {label}, phase {phase}: {names}</li>")
    return (
        "<h2 id='phases'>(d) Phases</h2><p>With capacity for "
        f"{CAPACITY} areas at a time, phase 1 takes ranks 1–{CAPACITY}, phase 2 ranks "
        f"{CAPACITY + 1}–{2 * CAPACITY}, and so on to rank {TOP}; areas outside the top {TOP} "
        "get no phase.</p>" + (f"<ul>{''.join(items)}</ul>" if items else "")
    )
