"""``releases/index.html`` (every release, with its headline figures and revisions) and the
Atom feed ``releases/feed.xml`` (one entry per release), from the releases' manifests."""

from __future__ import annotations

from html import escape
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from safer77.metrics.coverage import month_label
from safer77.release.archive import Layout, published, read_history, write_atomic
from safer77.release.manifest import read_manifest


def _entries(layout: Layout) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(month, manifest, {"published": first published, "build": build folder}), newest
    first."""
    hist = read_history(layout)
    return [
        (m, read_manifest(layout.release(m)), hist.get(m, {})) for m in reversed(published(layout))
    ]


def _headline(doc: dict[str, Any]) -> str:
    h = doc.get("headline", {})
    if not h:
        return "no citywide figures for the month"
    parts = [f"{int(h['incidents']):,} incidents"] if "incidents" in h else []
    if "arrests" in h:
        parts.append(f"{int(h['arrests']):,} arrests")
    if "arrest_rate" in h:
        parts.append(f"arrest rate (proxy) {float(h['arrest_rate']) * 100:.1f}%")
    return ", ".join(parts)


def _revisions(doc: dict[str, Any]) -> str:
    rev = doc.get("revisions", {})
    if not doc.get("previous"):
        return "first release"
    months = rev.get("months", [])
    span = (
        f" in {months[0]} to {months[-1]}"
        if len(months) > 1
        else (f" in {months[0]}" if months else "")
    )
    return (
        f"{rev.get('figures', 0):,} figures of the {doc['previous']} release revised{span}, "
        f"from {rev.get('records', 0):,} records received since"
    )


def write_index(layout: Layout) -> None:
    rows = "".join(
        f"<tr><th scope='row'><a href='{m}/index.html'>{escape(month_label(m))}</a></th>"
        f"<td>{escape(_headline(doc))}</td><td><a href='{m}/revisions.html'>"
        f"{escape(_revisions(doc))}</a></td><td>{escape(h.get('published', '')[:10])}</td>"
        f"<td><a href='{m}/manifest.json'>manifest</a></td></tr>"
        for m, doc, h in _entries(layout)
    )
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Releases · safer77</title><link rel='stylesheet' href='../current/static/site.css'>"
        "<link rel='alternate' type='application/atom+xml' href='feed.xml' title='Releases'>"
        "</head><body><main id='main'><h1>Releases</h1><p class='lede'>Every monthly release, "
        "as it was published. Each keeps its figures (<code>data/figures.csv</code>), what it "
        "revised (<code>data/revisions.csv</code>) and a manifest with every file's sha256. "
        "<a href='../current/index.html'>The current release</a> · "
        "<a href='feed.xml'>Atom feed</a></p><table class='data'><caption>Releases, newest "
        "first</caption><thead><tr><th scope='col'>Month</th><th scope='col'>Citywide</th>"
        "<th scope='col'>Revisions</th><th scope='col'>Published</th>"
        f"<th scope='col'>Files</th></tr></thead><tbody>{rows}</tbody></table></main>"
        "</body></html>\n"
    )
    write_atomic(layout.releases / "index.html", html)


def write_feed(layout: Layout, base_url: str = "") -> None:
    """The Atom feed; ``base_url`` (the public address of ``releases/``) makes ids and links
    absolute, else they are relative to the feed."""
    entries = _entries(layout)
    updated = max((h.get("published", "") for _, _, h in entries), default="")
    updated = updated or "1970-01-01T00:00:00Z"
    items = []
    for m, doc, h in entries:
        when = h.get("published", "1970-01-01T00:00:00Z")
        lines = [f"Citywide, {month_label(m)}: {_headline(doc)}.", f"Revisions: {_revisions(doc)}."]
        for r in doc.get("revisions", {}).get("city", [])[:20]:
            lines.append(
                f"{r['month']} {r['metric']}: {r['old'] or '–'} → {r['new'] or '–'} "
                f"({r['records_changed']} records changed)"
            )
        summary = "<br/>".join(escape(x) for x in lines)
        build = h.get("build", m)
        items.append(
            f"<entry><title>{xml_escape(f'Release {month_label(m)}')}</title>"
            f"<id>{_id(base_url, m, build)}</id><updated>{when}</updated>"
            f"<link rel='alternate' type='text/html' href='{xml_escape(base_url)}{m}/index.html'/>"
            f"<summary type='html'>{xml_escape(summary)}</summary></entry>"
        )
    xml = (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        "<feed xmlns='http://www.w3.org/2005/Atom'><title>safer77 releases</title>"
        f"<id>{xml_escape(base_url) or 'urn:safer77:'}releases</id><updated>{updated}</updated>"
        f"<link rel='self' href='{xml_escape(base_url)}feed.xml'/>"
        "<author><name>safer77</name></author>" + "".join(items) + "</feed>\n"
    )
    write_atomic(layout.releases / "feed.xml", xml)


def _id(base_url: str, month: str, build: str) -> str:
    """An entry's Atom id (an absolute IRI): the release's address, else a URN."""
    if base_url:
        return xml_escape(f"{base_url}{month}/#{build}")
    return f"urn:safer77:release:{month}:{build}"
