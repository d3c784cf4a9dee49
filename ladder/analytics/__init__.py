"""Plotly figures for the analytics page, as plain dicts. Pure: no I/O.

Inputs arrive as the feeds store them (decimal strings in spot-risk rows,
``Decimal`` in history attributes); they stay exact until a value is written
into a figure, where it becomes a float because that is what a chart plots.
Times are shown on the desk's clock (America/Chicago), labelled as such.
"""

from ladder.analytics.latency import BROWSER_TRACE, LATENCY_FEEDS, latency_figure, latency_points
from ladder.analytics.layout import THEMES, Figure, chicago_label, empty_figure
from ladder.analytics.series import (
    SERIES_FEEDS,
    SERIES_PANELS,
    SeriesItem,
    SeriesPanel,
    series_figure,
    series_json,
    series_points,
    sort_key_time,
)
from ladder.analytics.smile import (
    SmilePoint,
    expiry_sort_key,
    smile_default,
    smile_expiries,
    smile_figure,
    smile_figures,
    smile_points,
)

__all__ = [
    "BROWSER_TRACE",
    "LATENCY_FEEDS",
    "SERIES_FEEDS",
    "SERIES_PANELS",
    "THEMES",
    "Figure",
    "SeriesItem",
    "SeriesPanel",
    "SmilePoint",
    "chicago_label",
    "empty_figure",
    "expiry_sort_key",
    "latency_figure",
    "latency_points",
    "series_figure",
    "series_json",
    "series_points",
    "smile_default",
    "smile_expiries",
    "smile_figure",
    "smile_figures",
    "smile_points",
    "sort_key_time",
]
