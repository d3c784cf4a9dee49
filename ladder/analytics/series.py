"""The day's time series from the history's metrics items: future mid, net
position, portfolio delta/gamma/vega and TT P&L, stacked on one time axis."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ladder.analytics.layout import (
    BLUE,
    CHICAGO_AXIS,
    GREEN,
    ORANGE,
    PURPLE,
    RED,
    TEAL,
    THEMES,
    Figure,
    axis,
    base_layout,
    chicago_label,
    empty_figure,
    number,
    to_float,
)
from ladder.prices import price_to_32nds


@dataclass(frozen=True)
class SeriesPanel:
    feed: str
    field: str
    label: str
    colour: str


SERIES_PANELS: tuple[SeriesPanel, ...] = (
    SeriesPanel("spot-risk", "future_mid", "Future mid", BLUE),
    SeriesPanel("tt-positions", "net_position", "Net position", ORANGE),
    SeriesPanel("spot-risk", "portfolio_delta", "Portfolio delta", GREEN),
    SeriesPanel("spot-risk", "portfolio_gamma", "Portfolio gamma", PURPLE),
    SeriesPanel("spot-risk", "portfolio_vega", "Portfolio vega", TEAL),
    SeriesPanel("tt-positions", "pnl", "TT P&L ($)", RED),
)
SERIES_FEEDS: tuple[str, ...] = ("spot-risk", "tt-positions")


def sort_key_time(sort_key: str) -> datetime | None:
    """The file time (UTC) at the front of a history sort key ``<time>#<object key>``."""
    stamp = sort_key.split("#", 1)[0]
    try:
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")  # noqa: DTZ007 - UTC next
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SeriesItem:
    """What the series need of one metrics item (feeds.selectors.HistoryItem)."""

    sk: str
    attributes: Mapping[str, Any]


def series_points(
    items_by_feed: Mapping[str, Iterable[SeriesItem]],
) -> dict[str, dict[str, list[Any]]]:
    """Per field, ``{"x": [Chicago time], "y": [Decimal]}`` sorted by file time.

    Items without the field (a chunk carries no portfolio totals) add no point.
    """
    points: dict[str, list[tuple[datetime, str, Decimal]]] = {p.field: [] for p in SERIES_PANELS}
    for panel in SERIES_PANELS:
        for item in items_by_feed.get(panel.feed, ()):
            moment, value = sort_key_time(item.sk), number(item.attributes.get(panel.field))
            if moment is not None and value is not None:
                points[panel.field].append((moment, item.sk, value))
    return {
        field: {
            "x": [chicago_label(m) for m, _, _ in sorted(entries)],
            "y": [v for _, _, v in sorted(entries)],
        }
        for field, entries in points.items()
    }


def series_json(points: Mapping[str, Mapping[str, list[Any]]]) -> dict[str, dict[str, list[Any]]]:
    """Series points ready for JSON: values become floats here, at the chart's edge."""
    return {
        field: {"x": list(p["x"]), "y": [to_float(Decimal(v)) for v in p["y"]]}
        for field, p in points.items()
    }


SERIES_GAP = timedelta(minutes=10)
MIN_TIME_SPAN = timedelta(minutes=10)
MIN_PRICE_SPAN = Decimal(8) / 128  # 2/32


def _with_gaps(points: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    """Break the line where files stopped for a while, so a quiet spell is not drawn
    as a flat price (a ``None`` between two points is a gap in Plotly)."""
    x: list[Any] = []
    y: list[Any] = []
    previous: datetime | None = None
    for label, value in zip(points["x"], points["y"], strict=True):
        moment = datetime.strptime(label, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 - labels are naive
        if previous is not None and moment - previous > SERIES_GAP:
            x.append((previous + (moment - previous) / 2).strftime("%Y-%m-%d %H:%M:%S"))
            y.append(None)
        x.append(label)
        y.append(value)
        previous = moment
    return {"x": x, "y": y}


def _price_ticks(values: list[Decimal], *, count: int = 6) -> dict[str, Any]:
    """Tick marks in 32nds for a price axis (traders never read raw decimals)."""
    if not values:
        return {}
    low, high = min(values), max(values)
    if high - low < MIN_PRICE_SPAN:  # one file, or a still market: show a few ticks around it
        low, high = low - MIN_PRICE_SPAN / 2, high + MIN_PRICE_SPAN / 2
    steps = [Decimal(1) / 128 * n for n in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)]
    step = next((s for s in steps if (high - low) / s <= count), steps[-1])
    first = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    ticks = []
    tick = first
    while tick <= high + step:
        ticks.append(tick)
        tick += step
    return {
        "tickvals": [to_float(t) for t in ticks],
        "ticktext": [price_to_32nds(t) for t in ticks],
        "range": [to_float(min(low, ticks[0])), to_float(max(high, ticks[-1]))],
    }


def _time_range(labels: list[str]) -> list[str] | None:
    """A window of at least ``MIN_TIME_SPAN`` around the points; None lets Plotly fit."""
    if not labels:
        return None
    first = datetime.strptime(labels[0], "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 - naive labels
    last = datetime.strptime(labels[-1], "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007
    if last - first >= MIN_TIME_SPAN:
        return None
    pad = (MIN_TIME_SPAN - (last - first)) / 2
    return [(first - pad).strftime("%Y-%m-%d %H:%M:%S"), (last + pad).strftime("%Y-%m-%d %H:%M:%S")]


def series_figure(points: Mapping[str, Mapping[str, list[Any]]], *, day: date) -> Figure:
    """Six stacked panels sharing one time axis; each trace names its field in ``meta``."""
    title = ""  # the page's card heading names the day
    if not any(points.get(p.field, {}).get("y") for p in SERIES_PANELS):
        return empty_figure(title, f"no history for {day.isoformat()}")
    theme = THEMES["dark"]
    plotted = series_json(points)
    gap = 0.03
    height = (1 - gap * (len(SERIES_PANELS) - 1)) / len(SERIES_PANELS)
    layout = base_layout(title, showlegend=False, hovermode="x unified")
    layout["margin"] = {"l": 80, "r": 20, "t": 12, "b": 40}
    traces = []
    for index, panel in enumerate(SERIES_PANELS, start=1):
        suffix = "" if index == 1 else str(index)
        top = 1 - (index - 1) * (height + gap)
        field_points = _with_gaps(plotted.get(panel.field, {"x": [], "y": []}))
        extra: dict[str, Any] = {"domain": [max(0.0, top - height), top]}
        if panel.field == "future_mid":
            raw = [Decimal(v) for v in points.get(panel.field, {}).get("y", [])]
            extra.update(_price_ticks(raw))
        layout[f"yaxis{suffix}"] = axis(panel.label, theme, **extra)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": panel.label,
                "meta": {"feed": panel.feed, "field": panel.field},
                "x": field_points["x"],
                "y": field_points["y"],
                "xaxis": "x",
                "yaxis": f"y{suffix}",
                "line": {"color": panel.colour, "width": 1.5, "shape": "hv"},
                "marker": {"color": panel.colour, "size": 4},
            }
        )
    layout["annotations"] = _all_zero_notes(points)
    layout["xaxis"] = axis(CHICAGO_AXIS, theme, anchor=f"y{len(SERIES_PANELS)}", type="date")
    times = sorted({x for p in plotted.values() for x in p["x"]})
    if window := _time_range(times):
        layout["xaxis"]["range"] = window
    return {"data": traces, "layout": layout}


def _all_zero_notes(points: Mapping[str, Mapping[str, list[Any]]]) -> list[dict[str, Any]]:
    """Say why a Greek panel is a flat zero, so nobody reads it as a broken chart."""
    notes = []
    for index, panel in enumerate(SERIES_PANELS, start=1):
        values = points.get(panel.field, {}).get("y", [])
        if panel.field.startswith("portfolio_") and values and not any(values):
            suffix = "" if index == 1 else str(index)
            notes.append(
                {
                    "text": "0 all day: no option positions in the spot-risk files",
                    "showarrow": False,
                    "xref": "paper",
                    "yref": f"y{suffix} domain",
                    "x": 0.5,
                    "y": 0.85,
                    "font": {"size": 12},
                }
            )
    return notes
