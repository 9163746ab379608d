"""Pages whose body is built from the code's own registries: methodology and about."""

from __future__ import annotations

from html import escape

from safer77.metrics.coverage import RULES as COVERAGE_RULES
from safer77.metrics.registry import DEFINITIONS, METRICS
from safer77.schema import FBI_CODE_CATEGORY, LOW_N_THRESHOLD, PRIMARY_TYPE_CATEGORY
from safer77.warehouse.synthetic import Provenance


def methodology_body() -> str:
    """Every definition, its SQL and its caveats, from the metric registry."""
    parts = [
        "<h1>Methodology</h1>",
        "<p class='lede'>How every figure on this site is computed. This page is generated from "
        "the same registry the statistics run from, so it cannot drift from them.</p>",
        "<h2>What “solved” means here</h2><dl class='defs'>",
    ]
    for name, text in DEFINITIONS.items():
        parts.append(f"<dt><code>{escape(name)}</code></dt><dd>{escape(text)}</dd>")
    parts.append(
        "</dl><p>Every figure on this site uses <code>arrest_rate_proxy</code>: the share of "
        "incidents whose Arrest flag is set in the open data. True UCR clearance needs case "
        "records and will appear beside it when the case service exports them.</p>"
        "<h2>Uncertainty and small numbers</h2><p>Rates carry a 95% Wilson score interval, "
        "computed over the incidents whose source records the Arrest flag. Cells with fewer "
        f"than {LOW_N_THRESHOLD} such incidents are marked <em>low n</em>: read them with care."
        "</p><p>The <a href='priority.html'>priority areas</a> (the city's rule, a composite "
        "index, its rank intervals under redrawn weights, phases) and the "
        "<a href='requests.html'>resource requests</a> define their figures on their own pages."
        "</p><h2 id='coverage'>Coverage: which months and places are published</h2>"
        + "".join(f"<p>{escape(rule)}</p>" for rule in COVERAGE_RULES)
        + "<h2>Crime categories</h2><table class='data'><caption>FBI codes and categories"
        "</caption><thead><tr><th scope='col'>FBI code</th><th scope='col'>Category</th>"
        "<th scope='col'>UCR Part I index</th></tr></thead><tbody>"
    )
    for code, (cat, index) in FBI_CODE_CATEGORY.items():
        parts.append(
            f"<tr><th scope='row'>{code}</th><td>{cat}</td><td>{'yes' if index else 'no'}</td></tr>"
        )
    rules = ", ".join(f"{escape(t)} → {c}" for t, c in PRIMARY_TYPE_CATEGORY.items())
    parts.append(
        "</tbody></table><p class='downloads'>Download this table: "
        "<a href='data/methodology/categories.csv'>CSV</a> · "
        "<a href='data/methodology/categories.json'>JSON</a></p>"
        "<p>Without an FBI code the primary type decides: "
        f"{rules}; assault and battery count as violent only when aggravated.</p>"
        "<h2>Metrics</h2>"
    )
    for m in METRICS.values():
        parts.append(
            f"<section class='metric' id='{m.name}'><h3>{escape(m.title)} "
            f"(<code>{m.name}</code>)</h3><p>{escape(m.description)}</p><ul>"
            f"<li>Unit: {escape(m.unit)}</li><li>Grain: {escape(m.grain)}</li>"
            f"<li>Definition: <code>{m.definition}</code></li></ul>"
        )
        if m.caveats:
            parts.append(
                "<p><strong>Caveats</strong></p><ul>"
                + "".join(f"<li>{escape(c)}</li>" for c in m.caveats)
                + "</ul>"
            )
        parts.append(
            f"<details><summary>SQL</summary><pre><code>{escape(m.sql().strip())}"
            "</code></pre></details></section>"
        )
    return "".join(parts)


_PORTAL = (
    "Incidents come from the City of Chicago's open data portal (“Crimes – 2001 to present”, "
    "one row per incident, updated daily by the Chicago Police Department), under the "
    "portal's terms of use."
)


def _source(origin: Provenance | None) -> str:
    """Where the incidents come from: the portal, or the synthetic generator (and the portal,
    when real files were loaded beside it)."""
    if origin is None or not origin.is_synthetic:
        return _PORTAL
    files = ", ".join(dict.fromkeys(escape(s.file) for s in origin.synthetic))
    text = (
        "<strong>The incidents on this site are synthetic: not real data.</strong> They were "
        f"made by the {escape(origin.label)} (files: {files}), which draws a city's incidents "
        "at random in the portal's format. Its community areas carry Chicago's names and "
        "shapes, but every incident is invented: no figure here describes real crime anywhere."
    )
    if origin.other_loads:
        text += (
            f" They are mixed with {origin.other_loads:,} load(s) of other files, such as the "
            "City of Chicago's open data portal; the figures count both together."
        )
    return text


def about_body(loads: list[dict[str, object]], origin: Provenance | None = None) -> str:
    """Provenance and the load log (file names and counts only); ``origin`` says whether the
    incidents are synthetic."""
    rows = "".join(
        f"<tr><th scope='row'>{escape(str(ld['file']))}</th><td>{escape(str(ld['kind']))}</td>"
        f"<td>{escape(str(ld['finished']))}</td><td>{ld['read']:,}</td><td>{ld['loaded']:,}</td>"
        f"<td>{ld['updated']:,}</td><td>{ld['duplicates']:,}</td><td>{ld['cross_source']:,}</td>"
        f"<td>{ld['quarantined']:,}</td>"
        "</tr>"
        for ld in loads
    )
    return (
        f"<h1>About the data</h1><p class='lede'>{_source(origin)} Addresses are published "
        "at block level and no names appear anywhere on this site: every figure is a count "
        "over an area and a month.</p><p>Every table on every page can be downloaded as CSV "
        "and JSON; all statistics are in one Parquet file; <a href='data.json'>data.json</a> "
        "lists every file.</p><h2>Loads</h2><table class='data'><caption>Files loaded into "
        "the warehouse behind this site</caption><thead><tr><th scope='col'>File</th>"
        "<th scope='col'>Kind</th><th scope='col'>Loaded at</th><th scope='col'>Rows read</th>"
        "<th scope='col'>New</th><th scope='col'>Updated</th><th scope='col'>Duplicates</th>"
        "<th scope='col'>Also in another file</th>"
        f"<th scope='col'>Quarantined</th></tr></thead><tbody>{rows}</tbody></table>"
        "<p class='downloads'>Download this table: <a href='data/about/loads.csv'>CSV</a> · "
        "<a href='data/about/loads.json'>JSON</a></p>"
        "<p>Rows read = new + updated + duplicates + also in another file + quarantined. "
        "Quarantined rows were not loaded because a value could not be read; each is kept "
        "with its file, line and reason. Rows also in another file are the same incident "
        "arriving from two files without a shared ID (matched on time to the minute, block, "
        "type and community area): it is counted once.</p>"
    )
