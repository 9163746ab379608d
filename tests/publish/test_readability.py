"""Long tables fold after 24 rows and scroll in their own box; numbers carry separators and
units; captions stand above their charts; an area's long monthly table comes last."""

from __future__ import annotations

import re
from pathlib import Path

from publish.support import html_tables
from safer77.publish.html import FOLD_AFTER, finish_tables


def table(n: int) -> str:
    rows = "".join(f"<tr><th scope='row'>{i}</th><td>{i * 10}</td></tr>" for i in range(n))
    return (
        "<p>before</p><table class='data' id='t'><caption>Things</caption><thead><tr>"
        f"<th scope='col'>n</th><th scope='col'>x</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def test_a_short_table_only_scrolls() -> None:
    html = finish_tables(table(FOLD_AFTER))
    assert html.count("<table") == 1 and "<details" not in html
    assert re.search(
        r'<div class="table-scroll" role="region" tabindex="0" aria-label="Things">'
        r"<table class='data' id='t'>",
        html,
    )


def test_a_long_table_folds_after_24_rows_and_keeps_every_row() -> None:
    html = finish_tables(table(30))
    tables, _ = html_tables(html)
    assert [r[0] for r in tables["t"][1:]] == [str(i) for i in range(30)]  # all rows, in order
    shown, folded = html.split("<details", 1)
    assert shown.count("<tr>") == 1 + FOLD_AFTER  # head and 24 rows before the fold
    assert "Show the other 6 rows" in folded and folded.count("<th scope='col'>n</th>") == 1


def test_area_pages_read_well(coordinated_site: Path) -> None:
    page = (coordinated_site / "areas" / "68-englewood.html").read_text()
    # numbers with separators and units, never a float's ".0"
    assert not re.search(r"\d\.0 (people|USD)", page)
    assert re.search(r"\d{1,3}(,\d{3})+ people", page)  # population, e.g. 30,654 people
    assert re.search(r"\$\d{1,3}(,\d{3})+", page)  # income
    # each caption stands before its chart inside its figure
    for fig in re.findall(r"<figure>(.*?)</figure>", page, re.S):
        assert fig.index("<figcaption>") < fig.index("<svg") if "<svg" in fig else True
    # the summary and the category and profile tables come before the long monthly table
    assert page.index("By category") < page.index("Community profile") < page.index("Every month")
    assert page.count("<table") >= 4
    # the monthly table (270 rows on 2001-2023 data: folded, see above) is the page's last
    assert page.rindex("<table") > page.index("Every month") > page.index("Unsolved: open")
