"""Per-file end-to-end latency: S3 event to ingest finished, and to this browser."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ladder.analytics.layout import (
    BLUE,
    CHICAGO_AXIS,
    GREEN,
    ORANGE,
    PURPLE,
    RED,
    THEMES,
    Figure,
    axis,
    base_layout,
    chicago_label,
)

LATENCY_FEEDS: tuple[tuple[str, str], ...] = (
    ("spot-risk", BLUE),
    ("tt-positions", ORANGE),
    ("tt-orders", GREEN),
    ("vtexp", PURPLE),
)
BROWSER_TRACE = "browser (this tab)"


def latency_points(recent: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """S3 event to ingest finished, per file, oldest first; files without an event time skipped."""
    entries = sorted(
        (float(f["finished_at"]), float(f["latency_ms"]), str(f.get("key", "")))
        for f in recent
        if f.get("latency_ms") is not None and f.get("finished_at") is not None
    )
    return {
        "x": [chicago_label(datetime.fromtimestamp(t, UTC)) for t, _, _ in entries],
        "y": [ms for _, ms, _ in entries],
        "text": [key for _, _, key in entries],
    }


def latency_figure(recent_by_feed: Mapping[str, Iterable[Mapping[str, Any]]]) -> Figure:
    """Per-file latency by feed, plus an empty trace the browser fills with its own."""
    title = ""  # the page's card heading names the chart
    traces = []
    for feed, colour in LATENCY_FEEDS:
        points = latency_points(recent_by_feed.get(feed, ()))
        if points["x"]:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{feed}: S3 event → ingested",
                    "meta": {"feed": feed},
                    **points,
                    "hovertemplate": "%{text}<br>%{y:.0f} ms<extra></extra>",
                    "marker": {"color": colour, "size": 7},
                }
            )
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "spot-risk: S3 event → this browser",
            "meta": {"feed": "browser"},
            "x": [],
            "y": [],
            "marker": {"color": RED, "size": 7, "symbol": "x"},
        }
    )
    layout = base_layout(title)
    layout["xaxis"] = axis(CHICAGO_AXIS, THEMES["dark"], type="date")
    layout["yaxis"] = axis("Latency (ms)", THEMES["dark"], rangemode="tozero")
    if len(traces) == 1:
        layout["annotations"] = [
            {
                "text": "no files ingested recently",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "font": {"size": 16},
            }
        ]
    return {"data": traces, "layout": layout}
