"""Build the static site: pages, inline SVG charts and maps, open data files, a report.

The same warehouse and month give byte-identical files: every collection is sorted, numbers
are formatted explicitly, and nothing records the build time.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from safer77.geo.search import NEIGHBOURHOODS
from safer77.metrics.coverage import ALL_TYPES, cell_coverage, scope_label, shift_months
from safer77.publish.accountability import (
    accountability_body,
    accountability_data,
    force_rows,
    ledger_rows,
    overdue_rows,
)
from safer77.publish.accountability import district_rows as force_by_district
from safer77.publish.accountability import summary as accountability_summary
from safer77.publish.charts import Point, line_with_band, pair, ranked_bars, year_over_year
from safer77.publish.clearance import clearance_body, clearance_rows
from safer77.publish.data import Cell, Place, SiteData, load_site_data, zip_code_areas
from safer77.publish.dispatch import calibration_body, dispatch_body, dispatch_rows
from safer77.publish.district_plan import beat_rows, district_plan_body, read_plan
from safer77.publish.html import finish_tables
from safer77.publish.maps import Shape, choropleth
from safer77.publish.pages import about_body, methodology_body
from safer77.publish.priority import priority_body, priority_page
from safer77.publish.profile import load_profiles
from safer77.publish.requests import RequestTables, request_tables, requests_body
from safer77.publish.unsolved import unsolved_body, unsolved_rows
from safer77.schema import AGE_BUCKETS, FBI_CODE_CATEGORY
from safer77.warehouse.synthetic import Provenance, provenance

CATEGORIES = (
    ("violent", "Violent crime"),
    ("property", "Property crime"),
    ("index", "Index crimes (UCR Part I)"),
)
SECTION = {"community-area": "areas", "district": "districts"}


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote."""

    out: Path
    month: str
    pages: int
    files: int
    seconds: float


def _env() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(resources.files("safer77.publish").joinpath("templates")))
    return jinja2.Environment(
        loader=loader,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _month_label(month: str) -> str:
    names = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    return f"{names[int(month[5:]) - 1]} {month[:4]}"


class _Writer:
    """Writes pages and data files under ``out``, counting them."""

    def __init__(
        self, out: Path, env: jinja2.Environment, site: SiteData, site_url: str = ""
    ) -> None:
        self.out, self.env, self.site = out, env, site
        self.site_url = site_url.rstrip("/")
        self.pages = 0
        self.files: list[tuple[str, str]] = []  # (path, description) for data.json
        self.revised: dict[tuple[str, str], list[str]] = {}  # (level, key) -> months revised

    def page(self, path: str, template: str, *, root: str | None = None, **ctx: Any) -> None:
        """Render ``template`` to ``path``; ``root`` (default: relative) leads to the site's
        top, ``description`` (default: one naming the page, city and month) goes into the
        meta description and Open Graph tags, and a canonical URL is given when the site's
        address is set."""
        label = _month_label(self.site.month)
        ctx.setdefault(
            "description",
            f"{ctx.get('title', 'safer77')}: {self.env.globals['city']} public-safety "
            f"statistics for {label}, with 95% intervals and open data downloads.",
        )
        html = self.env.get_template(template).render(
            root="../" * path.count("/") if root is None else root,
            month=self.site.month,
            month_label=label,
            canonical=f"{self.site_url}/{path}" if self.site_url else "",
            **ctx,
        )
        self.write(path, finish_tables(html))
        self.pages += 1

    def table(self, base: str, rows: Sequence[dict[str, Any]], description: str) -> None:
        """``base``.csv and ``base``.json holding ``rows``."""
        buf = io.StringIO()
        if rows:
            w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        self.write(f"{base}.csv", buf.getvalue())
        self.write(f"{base}.json", json.dumps(rows, indent=1, sort_keys=False) + "\n")
        self.files += [(f"{base}.csv", description), (f"{base}.json", description)]

    def write(self, path: str, text: str) -> None:
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _cell_row(c: Cell) -> dict[str, Any]:
    return {
        "month": c.month,
        "incidents": c.incidents,
        "arrests": c.arrests,
        "arrest_rate": c.rate,
        "ci_low": c.low,
        "ci_high": c.high,
        "low_n": c.low_n,
        "definition": "arrest_rate_proxy",
    }


def _charts(
    site: SiteData, level: str, key: str, ctype: str, name: str, city: str | None = None
) -> tuple[str, str, str]:
    """Incidents and arrest rate (with band) for the 24 months to the build's month, and
    the last twelve months against the twelve before. Months that may not stand beside the
    build's month (not covered, another scope, the level not recorded) are gaps. ``city``
    names the city, whose arrest rate is drawn beside an area's."""
    slots = [shift_months(site.month, -k) for k in range(23, -1, -1)]
    window = site.window(level, key, ctype, slots)
    if all(c is None for c in window):  # nothing to draw: no empty axes
        return "", "", ""
    city_rate = (
        [None if c is None else c.rate for c in site.window("city", "city", ctype, slots)]
        if city
        else None
    )
    incidents = pair(
        lambda width: line_with_band(
            [
                Point(m, None if c is None else float(c.incidents))
                for m, c in zip(slots, window, strict=True)
            ],
            title=f"Incidents per month, {name}",
            width=width,
        )
    )
    rate = pair(
        lambda width: line_with_band(
            [
                Point(m, None) if c is None else Point(m, c.rate, c.low, c.high, c.low_n)
                for m, c in zip(slots, window, strict=True)
            ],
            title=f"Arrest rate (proxy) per month, {name}",
            percent=True,
            width=width,
            reference=city_rate,
            reference_label=f"{city} rate" if city else "",
            series_label="this district" if level == "district" else "this area",
        )
    )
    yoy = pair(
        lambda width: year_over_year(
            slots[12:],
            [None if c is None else float(c.incidents) for c in window[12:]],
            [None if c is None else float(c.incidents) for c in window[:12]],
            title=f"Incidents, this year and a year earlier, {name}",
            width=width,
        )
    )
    return incidents, rate, yoy


def _series(
    site: SiteData,
    level: str,
    key: str,
    ctype: str,
    name: str,
    data_base: str,
    city: str | None = None,
) -> dict[str, Any]:
    """What every statistics page shows about one series: the month's cell, its change on a
    year earlier, the monthly cells, the three charts, and where its tables are; ``city``
    (an area's page) names the city whose figures stand beside the area's."""
    incidents, rate, yoy = _charts(site, level, key, ctype, name, city)
    return {
        "cell": site.cell(level, key, ctype),
        "yoy": site.change(level, key, ctype),
        "cells": site.cells(level, key, ctype),
        "notice": site.level_reason(level, ctype),
        "scope_note": _scope_note(site, ctype),
        "incidents_chart": incidents,
        "rate_chart": rate,
        "yoy_chart": yoy,
        "data_base": data_base,
    }


def _scope_note(site: SiteData, ctype: str) -> str | None:
    """What the figures hold when not every crime type is covered."""
    scope = site.scope(ctype)
    if scope is None:
        return f"No figures: {site.coverage.uncovered_reason(ctype, site.month)}."
    if scope == ALL_TYPES:
        return None
    return f"The loaded files hold {scope_label(scope)} for {_month_label(site.month)}."


def _open_rows(site: SiteData, level: str, key: str) -> list[tuple[str, int]]:
    counts = site.open_age.get((level, key, "ALL"), {})
    return [(label, counts.get(label, 0)) for label, _, _ in AGE_BUCKETS]


def build_site(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    month: str | None = None,
    on_page: Callable[[int], None] | None = None,
    district_plan: Path | None = None,
    revised: Collection[tuple[str, str, str]] = (),
    methodology_extra: str = "",
    release_deadline: int = 30,
    site_url: str = "",
) -> BuildResult:
    """Build the whole site for ``month`` (default: the newest) into ``out`` (replaced);
    ``district_plan`` is a folder written by ``safer77 plan districts --out`` to publish;
    ``release_deadline`` is the use-of-force release deadline the accountability page counts
    against (30 days, or COPA's 60); ``site_url`` is the site's public address, for canonical
    links (none when empty).

    For ``safer77 release``: ``revised`` holds the (level, key, month) whose figures were
    revised since first published (their pages say so), ``methodology_extra`` is HTML added
    to the methodology page."""
    started = time.perf_counter()
    site = load_site_data(con, month)
    plan = read_plan(district_plan) if district_plan is not None else None
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    w = _Writer(out, _env(), site, site_url)
    w.env.globals["has_district_plan"] = plan is not None
    # Resource requests are in the menu once the service has exported some (the page, a
    # glossary until then, is still there)
    requests = request_tables(con, {int(p.key): p.name for p in site.places["community-area"]})
    w.env.globals["has_requests"] = bool(
        requests.by_department or requests.block_clubs or requests.town_halls
    )
    for lv, key, m in sorted(set(revised)):
        w.revised.setdefault((lv, key), []).append(m)
    # Synthetic incidents loaded (alone or mixed): every page says so, and names no real city.
    origin = w.env.globals["provenance"] = provenance(con)
    w.env.globals["city"] = "Synthetic city" if origin.is_synthetic else "Chicago"
    static = resources.files("safer77.publish").joinpath("static")
    for name in ("site.css", "site.js", "search.js"):
        w.write(f"static/{name}", static.joinpath(name).read_text("utf-8"))
    _search_index(w, site, zip_code_areas(con))
    _citywide(w, site)
    profiles = load_profiles(con, site.month, site.coverage)
    for level in ("community-area", "district"):
        _place_pages(w, site, level, on_page, profiles if level == "community-area" else {})
    for cat, title in CATEGORIES:
        _category_page(w, site, cat, title)
    _unsolved(w, site)
    _priority(w, con, site)
    _requests(w, site, requests)
    _dispatch(w, con)
    _homicides(w, con, site)
    accountability = _accountability(w, con, site, release_deadline)
    clearance = clearance_rows(con)
    w.table("data/clearance/by_year", clearance, "UCR clearance from case records, by year")
    w.page("clearance.html", "text.html", title="Clearance", body=clearance_body(clearance))
    if plan is not None:
        doc, svg = plan
        w.table("data/district_plan/comparison", doc["comparison"], "district plan vs. today")
        w.table("data/district_plan/beats", beat_rows(doc), "beat to proposed district")
        w.page(
            "district-plan.html",
            "text.html",
            title="District plan",
            body=district_plan_body(doc, svg),
        )
    _report(w, site, accountability)
    w.table(
        "data/methodology/categories",
        [
            {"fbi_code": code, "category": cat, "index_crime": index}
            for code, (cat, index) in FBI_CODE_CATEGORY.items()
        ],
        "FBI codes and the categories they count in",
    )
    body = methodology_body() + methodology_extra
    w.page("methodology.html", "text.html", title="Methodology", body=body)
    w.table("data/about/loads", site.loads, "files loaded into the warehouse behind this site")
    w.page("about.html", "text.html", title="About the data", body=about_body(site.loads, origin))
    _not_found(w)
    _monthly_facts(con, out, w, site)
    index = [{"path": p, "description": d} for p, d in sorted(w.files)]
    w.write(
        "data.json",
        json.dumps(
            {"month": site.month, "definition": "arrest_rate_proxy", "files": index}, indent=1
        )
        + "\n",
    )
    return BuildResult(out, site.month, w.pages, len(w.files) + 1, time.perf_counter() - started)


def _search_index(w: _Writer, site: SiteData, zips: dict[str, list[int]] | None) -> None:
    """What the search box knows (static/areas.js): the areas, the neighbourhoods in them
    (:data:`safer77.geo.search.NEIGHBOURHOODS`) and, when ZIP code boundaries are loaded,
    the areas each ZIP code overlaps (null otherwise)."""
    places = site.places["community-area"]
    entries = [{"name": p.name, "number": p.key, "href": f"areas/{p.slug}.html"} for p in places]
    numbers = {int(p.key) for p in places}
    index = {
        "areas": entries,
        "neighbourhoods": [
            {"name": name, "areas": [k for k in keys if k in numbers]}
            for name, keys in sorted(NEIGHBOURHOODS.items())
            if any(k in numbers for k in keys)
        ],
        "zips": zips,
    }
    w.write("static/areas.js", "window.SAFER77_SEARCH = " + json.dumps(index) + ";\n")
    w.files.append(
        ("static/areas.js", "search: community areas, neighbourhoods and ZIP codes in them")
    )


def _ranking(site: SiteData, level: str, ctype: str) -> list[tuple[Place, Cell]]:
    out = []
    for p in site.places[level]:
        c = site.cell(level, p.key, ctype)
        if c is not None:
            out.append((p, c))
    return sorted(out, key=lambda pc: (-pc[1].incidents, int(pc[0].key)))


def _shapes(site: SiteData, level: str, root: str) -> list[Shape]:
    return [dataclasses.replace(s, href=f"{root}{s.href}") for s in site.shapes[level]]


def _href(p: Place) -> str:
    return f"{SECTION[p.level]}/{p.slug}.html"


def _city(w: _Writer) -> str:
    """The city's name on the pages: "Chicago", or "Synthetic city" for synthetic data."""
    return str(w.env.globals["city"])


def _synthetic(w: _Writer) -> bool:
    """Whether the site is built from synthetic incidents (alone or mixed with real ones)."""
    origin = w.env.globals["provenance"]
    return isinstance(origin, Provenance) and origin.is_synthetic


def _citywide(w: _Writer, site: SiteData) -> None:
    city = _city(w)
    series = _series(site, "city", "city", "ALL", city, "data/city/")
    cells = series["cells"]
    ranking = _ranking(site, "community-area", "ALL")
    area_map = _area_map(w, site, "ALL", "", "data/city/map", "Incidents")
    w.table("data/city/monthly", [_cell_row(c) for c in cells], "citywide monthly statistics")
    cats = [(title, c) for cat, title in CATEGORIES if (c := site.cell("city", "city", cat))]
    w.table(
        "data/city/categories",
        [{"category": t, **_cell_row(c)} for t, c in cats],
        "citywide statistics by category for the month",
    )
    w.table(
        "data/city/open",
        [{"age_days": b, "open_incidents": n} for b, n in _open_rows(site, "city", "city")],
        "citywide open incidents by age",
    )
    w.table(
        "data/city/ranking",
        [{"community_area": p.key, "name": p.name, **_cell_row(c)} for p, c in ranking],
        "community areas ranked by incidents",
    )
    w.page(
        "index.html",
        "place.html",
        title=city,
        heading=f"{city}, citywide",
        lede=(
            "Incidents of a synthetic city made by safer77's generator, not real data"
            if _synthetic(w)
            else "Incidents reported to the Chicago Police Department"
        )
        + ", and how many led to an arrest, month by month.",
        **series,
        includes=site.includes(),
        categories=cats,
        open_age=_open_rows(site, "city", "city"),
        as_of=site.months[-1],
        **area_map,
        map_first=True,
        ranking_title=f"Community areas by incidents, {_month_label(site.month)}",
        ranking=pair(
            lambda width: ranked_bars(
                [(p.title, float(c.incidents)) for p, c in ranking],
                title="Community areas with the most incidents",
                width=width,
            )
        ),
        ranking_rows=[(_PlaceLink(p, _href(p)), c) for p, c in ranking],
    )


def _area_map(
    w: _Writer, site: SiteData, ctype: str, root: str, data: str, what: str
) -> dict[str, Any]:
    """The community areas shaded by ``what`` per 100,000 residents in the month (counts when
    no population is loaded, and the note says so), and its table as a download."""
    month = _month_label(site.month)
    rows = []
    for p in site.places["community-area"]:
        c = site.cell("community-area", p.key, ctype)
        rows.append(
            {
                "community_area": p.key,
                "name": p.name,
                "incidents": None if c is None else c.incidents,
                "population": site.population.get(p.key),
                "per_100k": None if (r := site.per_100k(p.key, ctype)) is None else round(r, 1),
            }
        )
    w.table(data, rows, f"{what} by community area, {month}: counts and per 100,000 residents")
    rates = any(r["per_100k"] is not None for r in rows)
    key = "per_100k" if rates else "incidents"
    values = {
        int(p.key): site.per_100k(p.key, ctype) if rates else _float(r["incidents"])
        for p, r in zip(site.places["community-area"], rows, strict=True)
    }
    city = site.city_per_100k(ctype)
    if rates:
        note = (
            f"{what} in {month} per 100,000 residents (population from the loaded "
            "indicators)"
            + (f"; the city as a whole: {city:,.1f}." if city is not None else ".")
            + " Choose an area for its page."
        )
    else:
        note = (
            f"Counts of {what.lower()} in {month}, not rates: no population figures are "
            "loaded (safer77 ingest indicators FILE --mapping population-2010), so areas of "
            "different sizes are not comparable on this map."
        )
    unit = "per 100,000" if rates else "incidents"
    return {
        "map_title": f"{what} {'per 100,000 residents' if rates else ''} by community area, "
        f"{month}".replace("  ", " "),
        "map_note": note,
        "map_kind": key,
        "map_data": data,
        "map_svg": choropleth(
            _shapes(site, "community-area", root),
            values,
            title=f"{what} {'per 100,000 residents' if rates else '(counts)'} by community area",
            fmt="{:,.0f}",
            unit=unit,
            legend=f"{what} per 100,000 residents" if rates else f"{what} (count)",
        ),
    }


def _float(v: object) -> float | None:
    return None if v is None else float(str(v))


@dataclass(frozen=True)
class _PlaceLink:
    place: Place
    href: str

    @property
    def title(self) -> str:
        return self.place.title


def _place_pages(
    w: _Writer,
    site: SiteData,
    level: str,
    on_page: Callable[[int], None] | None,
    profiles: dict[str, list[dict[str, Any]]],
) -> None:
    section = SECTION[level]
    noun = "Community area" if level == "community-area" else "Police district"
    rows = [(p, site.cell(level, p.key, "ALL")) for p in site.places[level]]
    w.table(
        f"data/{section}/list",
        [{"number": p.key, "name": p.name, **(_cell_row(c) if c else {})} for p, c in rows if c],
        f"{noun.lower()}s: statistics for the month",
    )
    w.page(
        f"{section}/index.html",
        "listing.html",
        title=f"{noun}s",
        heading=f"{noun}s",
        lede=f"Every {noun.lower()}, with its incidents and arrest rate for the month. "
        "Choose one for its page.",
        rows=rows,
        notice=site.level_reason(level, "ALL"),
        data_base=f"data/{section}/",
        map_svg=choropleth(
            _shapes(site, level, "../"),
            {int(p.key): float(c.incidents) for p, c in rows if c},
            title=f"Incidents by {noun.lower()}, {_month_label(site.month)}",
        ),
    )
    for p in site.places[level]:
        base = f"data/{section}/{p.key}/"
        series = _series(site, level, p.key, "ALL", p.title, base, _city(w))
        cells = series["cells"]
        w.table(base + "monthly", [_cell_row(c) for c in cells], f"{p.title}: monthly statistics")
        cats = [(t, c) for cat, t in CATEGORIES if (c := site.cell(level, p.key, cat))]
        w.table(
            base + "categories",
            [{"category": t, **_cell_row(c)} for t, c in cats],
            f"{p.title}: statistics by category for the month",
        )
        w.table(
            base + "open",
            [{"age_days": b, "open_incidents": n} for b, n in _open_rows(site, level, p.key)],
            f"{p.title}: open incidents by age",
        )
        profile = profiles.get(p.key, [])
        if profile:
            w.table(base + "profile", profile, f"{p.title}: violence and root causes, ranked")
        w.page(
            f"{section}/{p.slug}.html",
            "place.html",
            profile=profile,
            profile_base=base + "profile",
            title=p.title,
            heading=p.title,
            description=_describe(p.title, site.cell(level, p.key, "ALL"), site.month),
            lede=f"{noun} {p.key}: incidents reported and how many led to an arrest.",
            **series,
            city_cell=site.cell("city", "city", "ALL"),
            per_100k={"value": site.per_100k(p.key), "city": site.city_per_100k()}
            if level == "community-area"
            else None,
            categories=cats,
            open_age=_open_rows(site, level, p.key),
            as_of=site.months[-1],
            revised=w.revised.get((level, p.key), []),
        )
        if on_page:
            on_page(w.pages)


def _category_page(w: _Writer, site: SiteData, cat: str, title: str) -> None:
    base = f"data/categories/{cat}/"
    series = _series(site, "city", "city", cat, title.lower(), base)
    cells = series["cells"]
    ranking = _ranking(site, "community-area", cat)
    w.table(base + "monthly", [_cell_row(c) for c in cells], f"{title}: citywide monthly")
    w.table(
        base + "ranking",
        [{"community_area": p.key, "name": p.name, **_cell_row(c)} for p, c in ranking],
        f"{title}: community areas ranked",
    )
    area_map = _area_map(w, site, cat, "../", base + "map", title)
    w.page(
        f"categories/{cat}.html",
        "place.html",
        title=title,
        heading=title,
        lede=f"{title} in {'the synthetic city' if _synthetic(w) else 'Chicago'}. "
        "See the methodology for which offences count.",
        **series,
        categories=[],
        open_age=[],
        as_of=site.months[-1],
        **area_map,
        ranking_title=f"Community areas by {title.lower()}, {_month_label(site.month)}",
        ranking=pair(
            lambda width: ranked_bars(
                [(p.title, float(c.incidents)) for p, c in ranking],
                title=f"Community areas with the most {title.lower()}",
                width=width,
            )
        ),
        ranking_rows=[(_PlaceLink(p, _href(p)), c) for p, c in ranking],
    )


def _accountability(
    w: _Writer, con: duckdb.DuckDBPyConnection, site: SiteData, deadline: int
) -> dict[str, Any] | None:
    """The accountability page and its downloads; its headline figures for the report (None
    when the service has not exported)."""
    data = accountability_data(con, deadline)
    names = {int(p.key): p.known_as for p in site.places["district"]}
    links = {int(p.key): _href(p) for p in site.places["district"]}
    base = "data/accountability/"
    w.table(base + "ledger", ledger_rows(data), "use-of-force reports' release, by month")
    w.table(base + "overdue", overdue_rows(data), "release records overdue now, by days overdue")
    w.table(
        base + "by_district",
        force_by_district(data, names),
        "use-of-force reports by district, last twelve months and before",
    )
    w.table(
        base + "by_month_district",
        force_rows(data, names),
        "use-of-force reports by month and district",
    )
    alternative = 60 if deadline == 30 else 30
    w.page(
        "accountability.html",
        "text.html",
        title="Accountability",
        body=accountability_body(data, names, links, alternative),
    )
    return accountability_summary(data)


def _describe(title: str, cell: Cell | None, month: str) -> str:
    """A place page's meta description: its month in one sentence."""
    if cell is None:
        return f"{title}: incidents and arrests by month, with the city beside it."
    rate = "" if cell.rate is None else f", {cell.rate * 100:.1f}% with an arrest"
    return (
        f"{title}: {cell.incidents:,} incidents in {_month_label(month)}{rate}; every month "
        "since records began, set beside the city, with open data downloads."
    )


def _not_found(w: _Writer) -> None:
    """The page a host shows for an address that is not on the site (at any depth, so its
    links start at the site's top)."""
    w.page(
        "404.html",
        "text.html",
        root="/",
        title="Page not found",
        description="There is no page at this address on the site.",
        body="<h1>Page not found</h1><p class='lede'>There is no page at this address. "
        "It may have moved when the site was rebuilt for a new month.</p><ul>"
        "<li><a href='/index.html'>Citywide figures</a></li>"
        "<li><a href='/areas/index.html'>Every community area</a> (or search above by name, "
        "number or address)</li><li><a href='/districts/index.html'>Every police district"
        "</a></li><li><a href='/data.json'>Every data file</a></li></ul>",
    )


def _report(w: _Writer, site: SiteData, accountability: dict[str, Any] | None) -> None:
    """The printable monthly report: headline, categories, movers, districts, unsolved."""
    cats = [
        (title, c, site.change("city", "city", cat))
        for cat, title in CATEGORIES
        if (c := site.cell("city", "city", cat))
    ]
    movers = _movers(site)
    districts = [
        (p, c) for p in site.places["district"] if (c := site.cell("district", p.key, "ALL"))
    ]
    base = f"data/report/{site.month}/"
    w.table(
        base + "categories",
        [
            {
                "category": t,
                **_cell_row(c),
                "incidents_prev_year": y.get("incidents_prev_year"),
                "incidents_change_pct": y.get("incidents_change_pct"),
                "comparison": y["note"] or "comparable",
            }
            for t, c, y in cats
        ],
        "report: categories and change on a year earlier",
    )
    w.table(
        base + "movers",
        [
            {
                "community_area": pl.place.key,
                "name": pl.place.name,
                "incidents": y["incidents"],
                "incidents_prev_year": y["incidents_prev_year"],
                "incidents_change": y["incidents"] - y["incidents_prev_year"],
                "incidents_change_pct": y["incidents_change_pct"],
                "low_n": y["low_n"],
            }
            for pl, y in movers
        ],
        "report: community areas with the largest changes",
    )
    w.table(
        base + "districts",
        [{"district": p.key, **_cell_row(c)} for p, c in districts],
        "report: districts",
    )
    city = _city(w)
    series = _series(site, "city", "city", "ALL", city, base)
    w.page(
        f"report/{site.month}.html",
        "report.html",
        data_base=base,
        title=f"Report {site.month}",
        cell=series["cell"],
        yoy=series["yoy"],
        scope_note=series["scope_note"],
        includes=site.includes(),
        incidents_chart=series["incidents_chart"],
        rate_chart=series["rate_chart"],
        yoy_chart=series["yoy_chart"],
        categories=cats,
        movers=movers,
        movers_note=_movers_note(site, movers),
        districts=districts,
        districts_note=site.level_reason("district", "ALL"),
        open_age=_open_rows(site, "city", "city"),
        accountability=accountability,
    )


#: How many community areas the report's "largest changes" table lists.
MOVERS = 10


def _movers(site: SiteData) -> list[tuple[_PlaceLink, dict[str, Any]]]:
    """The community areas whose incidents changed most on the same month a year earlier,
    by the number of incidents (a percentage of a few incidents says little; such rows are
    marked low n), where the two months may be compared (:meth:`SiteData.change`)."""
    movers = []
    for p in site.places["community-area"]:
        y = site.change("community-area", p.key, "ALL")
        known = y["comparable"] and y.get("incidents_prev_year") is not None
        if known and (y["incidents"] or y["incidents_prev_year"]):
            movers.append((_PlaceLink(p, _href(p)), y))
    movers.sort(
        key=lambda py: (
            -abs(int(py[1]["incidents"]) - int(py[1]["incidents_prev_year"])),
            int(py[0].place.key),
        )
    )
    return movers[:MOVERS]


def _movers_note(site: SiteData, movers: Sequence[object]) -> str | None:
    """Why the report shows no community-area changes (None: it shows them)."""
    earlier = shift_months(site.month, -12)
    reason = site.coverage.comparable("ALL", site.month, earlier, "community-area")
    if reason is not None:
        return reason.removeprefix("not comparable: ")
    if not movers:
        return f"the data holds no community-area figures for {_month_label(earlier)}"
    return None


def _unsolved(w: _Writer, site: SiteData) -> None:
    labels = [label for label, _, _ in AGE_BUCKETS]
    rows = []
    for p in site.places["community-area"]:
        counts = site.open_age.get(("community-area", p.key, "ALL"), {})
        rows.append(
            {
                "community_area": p.key,
                "name": p.name,
                **{f"open_{b}_days": counts.get(b, 0) for b in labels},
            }
        )
    w.table("data/unsolved/by_area", rows, "open incidents by age and community area")
    city = _open_rows(site, "city", "city")
    head = "".join(f"<th scope='col'>{b} days</th>" for b in labels)
    body = "".join(
        f"<tr><th scope='row'><a href='areas/{p.slug}.html'>{p.title}</a></th>"
        + "".join(f"<td>{r[f'open_{b}_days']:,}</td>" for b in labels)
        + "</tr>"
        for p, r in zip(site.places["community-area"], rows, strict=True)
    )
    total = "".join(f"<td>{n:,}</td>" for _, n in city)
    html = (
        "<h1>Unsolved: open incidents by age</h1><p class='lede'>Incidents with no arrest "
        f"recorded, by days since they happened, counted at {site.months[-1]}. The open data "
        "cannot tell exceptionally cleared or unfounded cases from unsolved ones, so these "
        "counts overstate what is unsolved; they are kept visible so that no case is forgotten."
        f"</p><table class='data'><caption>Open incidents by age and community area</caption>"
        f"<thead><tr><th scope='col'>Area</th>{head}</tr></thead><tbody>"
        f"<tr><th scope='row'>{_city(w)}</th>{total}</tr>{body}</tbody></table>"
        "<p class='downloads'>Download this table: <a href='data/unsolved/by_area.csv'>CSV</a> · "
        "<a href='data/unsolved/by_area.json'>JSON</a></p>"
    )
    w.page("unsolved.html", "text.html", title="Unsolved", body=html)


def _priority(w: _Writer, con: duckdb.DuckDBPyConnection, site: SiteData) -> None:
    page = priority_page(con, site.month)
    w.table(
        "data/priority/city_rule",
        page.city_rule,
        f"priority areas by the city's rule, {page.window}",
    )
    w.table("data/priority/measures", page.measures, "the composite priority index's weights")
    w.table(
        "data/priority/composite",
        page.composite,
        f"community areas by the composite priority index, with rank intervals (seed {page.seed})",
    )
    w.page("priority.html", "text.html", title="Priority areas", body=priority_body(page))


def _homicides(w: _Writer, con: duckdb.DuckDBPyConnection, site: SiteData) -> None:
    areas = site.places["community-area"]
    rows = unsolved_rows(con, {int(p.key): p.name for p in areas})
    w.table("data/homicides/by_area", rows, "homicides cleared and unsolved by community area")
    body = unsolved_body(rows, {int(p.key): _href(p) for p in areas})
    w.page("homicides.html", "text.html", title="Unsolved homicides", body=body)


def _dispatch(w: _Writer, con: duckdb.DuckDBPyConnection) -> None:
    rows, how = dispatch_rows(con)
    w.table("data/dispatch/scenarios", rows, "simulated dispatch scenarios (plan simulate)")
    body = dispatch_body(rows, how) + calibration_body(con)
    w.page("dispatch.html", "text.html", title="Crisis response", body=body)


def _requests(w: _Writer, site: SiteData, tables: RequestTables) -> None:
    areas = site.places["community-area"]
    for name, description in (
        ("by_department", "resource requests by department"),
        ("by_area", "resource requests by community area"),
        ("by_department_area", "resource requests by department and community area"),
        ("block_clubs", "registered block clubs by community area (counts only)"),
        ("town_halls", "town-hall meetings and their follow-ups by police district"),
    ):
        w.table(f"data/requests/{name}", getattr(tables, name), description)
    body = requests_body(tables, {int(p.key): _href(p) for p in areas})
    w.page("requests.html", "text.html", title="Resource requests", body=body)


def _monthly_facts(con: duckdb.DuckDBPyConnection, out: Path, w: _Writer, site: SiteData) -> None:
    """The statistics as one Parquet file (sorted, so the bytes repeat): only the cells the
    loaded files cover, at levels they record, each with its scope."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cells = con.execute(
        "SELECT DISTINCT strftime(month, '%Y-%m'), level, crime_type FROM stats_arrest_rate_proxy"
    ).fetchall()
    scopes = [(m, lv, ct, cell_coverage(site.coverage, ct, m, lv)) for m, lv, ct in cells]
    kept = [row for row in scopes if not row[3].startswith("not ")]
    con.register(
        "_scopes",
        pa.table({k: [r[i] for r in kept] for i, k in enumerate(("m", "lv", "ct", "scope"))}),
    )
    try:
        table = con.sql(
            "SELECT strftime(s.month, '%Y-%m') AS month, level, area_key, crime_type, incidents, "
            "arrests, flagged, arrest_rate, ci_low, ci_high, low_n, c.scope AS coverage, "
            "'arrest_rate_proxy' AS definition FROM stats_arrest_rate_proxy s JOIN _scopes c "
            "ON c.m = strftime(s.month, '%Y-%m') AND c.lv = s.level AND c.ct = s.crime_type "
            "ORDER BY month, level, area_key, crime_type"
        ).to_arrow_table()
    finally:
        con.unregister("_scopes")
    target = out / "data" / "monthly_stats.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target, compression="zstd")
    w.files.append(("data/monthly_stats.parquet", "every monthly statistic (Parquet)"))
