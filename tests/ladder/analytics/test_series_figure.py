"""The day's series: exact until plotted, sorted by file time, on Chicago's clock."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from ladder.analytics import SeriesItem, series_figure, series_json, series_points

LATE = SeriesItem(
    sk="2025-07-22T01:35:00Z#actant/spot-risk/2025-07-21/bav_analysis_20250721_203500.csv",
    attributes={"future_mid": Decimal("110.3671875"), "portfolio_delta": Decimal("12.5")},
)
EARLY = SeriesItem(
    sk="2025-07-22T01:30:07Z#actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
    attributes={"future_mid": Decimal("110.34375"), "portfolio_delta": Decimal("-3")},
)
CHUNK = SeriesItem(  # a chunk: no portfolio totals, and no future in it
    sk="2025-07-22T01:32:00Z#actant/spot-risk/2025-07-21/bav_analysis_20250721_203200_chunk_01_of_16.csv",
    attributes={"future_mid": None, "rows": Decimal(40)},
)
POSITIONS = SeriesItem(
    sk="2025-07-22T01:30:08Z#tt/positions/2025-07-21/positions_20250721_203008.json",
    attributes={"net_position": Decimal(529), "pnl": Decimal("-65226.5625")},
)
ITEMS = {"spot-risk": [LATE, CHUNK, EARLY], "tt-positions": [POSITIONS]}


def test_series_are_sorted_by_file_time_in_chicago() -> None:
    points = series_points(ITEMS)
    assert points["future_mid"]["x"] == ["2025-07-21 20:30:07", "2025-07-21 20:35:00"]
    assert points["portfolio_delta"]["y"] == [Decimal(-3), Decimal("12.5")]


def test_values_stay_decimal_until_the_chart_edge() -> None:
    points = series_points(ITEMS)
    assert points["pnl"]["y"] == [Decimal("-65226.5625")]
    assert all(isinstance(v, Decimal) for p in points.values() for v in p["y"])
    plotted = series_json(points)
    assert plotted["pnl"]["y"] == [-65226.5625]
    assert plotted["future_mid"]["y"] == [110.34375, 110.3671875]
    json.dumps(plotted)


def test_items_without_a_field_add_no_point() -> None:
    points = series_points(ITEMS)
    assert len(points["future_mid"]["y"]) == 2  # the chunk's missing mid is not a zero
    assert points["portfolio_gamma"] == {"x": [], "y": []}


def test_the_figure_has_a_panel_per_series_and_names_each_field() -> None:
    figure = series_figure(series_points(ITEMS), day=date(2025, 7, 21))
    fields = [t["meta"]["field"] for t in figure["data"]]
    assert fields == [
        "future_mid",
        "net_position",
        "portfolio_delta",
        "portfolio_gamma",
        "portfolio_vega",
        "pnl",
    ]
    assert {t["yaxis"] for t in figure["data"]} == {"y", "y2", "y3", "y4", "y5", "y6"}
    assert all(t["xaxis"] == "x" for t in figure["data"])
    json.dumps(figure)


def test_the_future_mid_axis_speaks_32nds() -> None:
    figure = series_figure(series_points(ITEMS), day=date(2025, 7, 21))
    ticks = figure["layout"]["yaxis"]["ticktext"]
    assert ticks
    assert all("'" in t for t in ticks)
    assert "110'110" in ticks  # 110.34375 = 110 and 11/32


def test_an_empty_day_says_no_history_for_it() -> None:
    figure = series_figure(series_points({}), day=date(2025, 7, 20))
    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == "no history for 2025-07-20"


def test_a_quiet_spell_breaks_the_line_instead_of_drawing_it_flat() -> None:
    quiet = SeriesItem(
        sk="2025-07-22T02:30:00Z#actant/spot-risk/2025-07-21/bav_analysis_20250721_213000.csv",
        attributes={"future_mid": Decimal("110.375")},
    )
    items = {"spot-risk": [EARLY, LATE, quiet]}
    figure = series_figure(series_points(items), day=date(2025, 7, 21))
    mid = figure["data"][0]
    assert mid["y"] == [110.34375, 110.3671875, None, 110.375]
    assert mid["x"][2] == "2025-07-21 21:02:30"  # the gap sits between the two files


def test_a_single_file_gets_a_readable_window_not_a_millisecond_axis() -> None:
    figure = series_figure(series_points({"spot-risk": [EARLY]}), day=date(2025, 7, 21))
    assert figure["layout"]["xaxis"]["range"] == ["2025-07-21 20:25:07", "2025-07-21 20:35:07"]
    yaxis = figure["layout"]["yaxis"]
    low, high = yaxis["range"]
    assert high - low >= 2 / 32  # a few 32nds around the one price, not one tick label on another
    assert len(set(yaxis["ticktext"])) == len(yaxis["ticktext"]) >= 3


def test_a_long_day_lets_plotly_fit_the_time_axis() -> None:
    later = SeriesItem(
        sk="2025-07-22T02:30:00Z#actant/spot-risk/2025-07-21/bav_analysis_20250721_213000.csv",
        attributes={"future_mid": Decimal("110.375")},
    )
    figure = series_figure(series_points({"spot-risk": [EARLY, later]}), day=date(2025, 7, 21))
    assert "range" not in figure["layout"]["xaxis"]  # an hour of files: Plotly fits it


def test_a_greek_that_is_zero_all_day_is_explained() -> None:
    flat = SeriesItem(sk=EARLY.sk, attributes={"portfolio_gamma": Decimal(0)})
    figure = series_figure(series_points({"spot-risk": [flat]}), day=date(2025, 7, 21))
    notes = figure["layout"]["annotations"]
    assert [n["yref"] for n in notes] == ["y4 domain"]  # the gamma panel only
    assert "no option positions" in notes[0]["text"]
