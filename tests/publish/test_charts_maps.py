"""SVG charts and maps: well-formed, accessible, and drawing what they are given."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import shapely
from shapely.geometry import box

from safer77.publish.charts import FONT, NARROW, WIDTH, Point, line_with_band, pair, ranked_bars
from safer77.publish.maps import PALETTE, Shape, choropleth, classes

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_line_with_band_draws_points_band_and_gaps() -> None:
    pts = [Point("2024-01", 0.2, 0.1, 0.3), Point("2024-02", None), Point("2024-03", 0.5, 0.4, 0.6)]
    root = parse(line_with_band(pts, title="Arrest rate", percent=True))
    assert root.find(f"{SVG}title").text == "Arrest rate"
    assert "95% interval" in root.find(f"{SVG}desc").text
    circles = root.findall(f"{SVG}circle")
    assert [c.find(f"{SVG}title").text for c in circles] == [
        "2024-01: 20.0% (95% interval 10.0%–30.0%)",
        "2024-03: 50.0% (95% interval 40.0%–60.0%)",
    ]
    assert len(root.findall(f"{SVG}polyline")) == 2  # the unknown month breaks the line
    assert len(root.findall(f"{SVG}polygon")) == 1
    # higher values are drawn higher (smaller y)
    assert float(circles[1].get("cy")) < float(circles[0].get("cy"))


def test_counts_axis_covers_the_largest_value() -> None:
    root = parse(line_with_band([Point("a", 10_001.0), Point("b", 3.0)], title="n"))
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert "12,000" in labels and "10,001" not in labels  # four round steps just above
    tops = [float(c.get("cy")) for c in root.findall(f"{SVG}circle")]
    assert min(tops) >= 16  # inside the frame


def test_ranked_bars_largest_first_and_limited() -> None:
    items = [(f"Area {i}", float(i)) for i in range(30)]
    root = parse(ranked_bars(items, title="Most", limit=5))
    names = [r.find(f"{SVG}title").text for r in root.findall(f"{SVG}rect")]
    assert names == ["Area 29: 29", "Area 28: 28", "Area 27: 27", "Area 26: 26", "Area 25: 25"]


def test_quantile_classes() -> None:
    assert classes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5) == [2, 4, 6, 8, 10]
    assert classes([], 5) == []


def test_choropleth_colours_links_and_no_data() -> None:
    shapes = [
        Shape(i, f"Area {i}", box(i, 0, i + 1, 1), href=f"areas/{i}.html") for i in range(1, 11)
    ]
    values = {i: float(i) for i in range(1, 10)}  # 10 has no data
    root = parse(choropleth(shapes, values, title="Incidents"))
    paths = {p.get("data-key"): p for p in root.iter(f"{SVG}path")}
    assert len(paths) == 10
    assert paths["9"].get("fill") == PALETTE[-1] and paths["1"].get("fill") == PALETTE[0]
    assert paths["10"].find(f"{SVG}title").text == "Area 10: no data"
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert links == [f"areas/{i}.html" for i in range(1, 11)]
    # area 1 is drawn left of area 2 (west is left)
    x1 = float(paths["1"].get("d")[1:].split(",")[0])
    x2 = float(paths["2"].get("d")[1:].split(",")[0])
    assert x1 < x2
    assert shapely.is_valid(shapes[0].geometry)


def test_a_small_rate_is_drawn_on_an_axis_scaled_to_it() -> None:
    # a 10% series with one wide low-n interval: the axis ends at a round number just above
    # the values and the other intervals, not at 100% and not at the low-n month's 90%
    pts = [Point(f"2024-{m:02d}", 0.1, 0.08, 0.12) for m in range(1, 12)]
    pts.append(Point("2024-12", 0.1, 0.01, 0.9, low_n=True))
    root = parse(line_with_band(pts, title="rate", percent=True))
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert "12%" in labels and "100%" not in labels and "90%" not in labels  # top: 12%
    hollow = [c for c in root.findall(f"{SVG}circle") if c.get("fill") == "#fff"]
    assert len(hollow) == 1 and "low n" in hollow[0].find(f"{SVG}title").text
    assert "cut at its top" in root.find(f"{SVG}desc").text


def test_month_labels_stay_inside_the_frame_at_both_widths() -> None:
    pts = [Point(f"{2022 + m // 12}-{m % 12 + 1:02d}", float(m)) for m in range(24)]
    for width in (WIDTH, NARROW):
        root = parse(line_with_band(pts, title="n", width=width))
        assert root.get("viewBox") == f"0 0 {width} 260"
        months = [t for t in root.findall(f"{SVG}text") if t.text and t.text[:2] == "20"]
        assert months[-1].text == "2023-12"  # the last month is always labelled
        for t in months:  # 7 characters at 0.6 em of 12 units, centred
            half = 7 * 0.6 * FONT / 2
            assert float(t.get("x")) - half >= 0 and float(t.get("x")) + half <= width
        assert int(root.get("font-size")) * NARROW / 358 <= FONT * 1.01  # drawn about 1:1


def test_a_chart_pair_holds_a_wide_and_a_narrow_drawing() -> None:
    html = pair(lambda w: line_with_band([Point("2024-01", 1.0)], title="t", width=w))
    assert f'viewBox="0 0 {WIDTH} 260"' in html and f'viewBox="0 0 {NARROW} 260"' in html
    assert html.index("chart-wide") < html.index("chart-narrow")
