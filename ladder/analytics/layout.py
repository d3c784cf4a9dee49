"""What every analytics figure shares: colours, the two themes, axes, the empty state.

Figures are built with the dark desk theme; ``THEMES`` holds the axis and font
colours of the dark and the paper (light) variants so the browser can switch
for printing. Trace colours are mid-tones that read on both. Exact numbers
become floats only in ``to_float``, where a value goes into a figure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from feeds.feed_keys import CHICAGO
from ladder.numbers import OutOfRange, decimal_shown

# Mid-tone colours legible on #0e1116 and on white paper.
BLUE, ORANGE, GREEN, PURPLE, RED, TEAL = (
    "#3d8bfd",
    "#f08c00",
    "#2f9e44",
    "#ae3ec9",
    "#e03131",
    "#0c8599",
)
THEMES: dict[str, dict[str, str]] = {
    "dark": {"font": "#d8dee6", "grid": "#2a313c", "zero": "#4a5361", "legend_bg": "#161b22"},
    "paper": {"font": "#111111", "grid": "#d0d7de", "zero": "#8c959f", "legend_bg": "#ffffff"},
}
CHICAGO_AXIS = "Chicago time"

Figure = dict[str, Any]


def number(value: Any) -> Decimal | None:
    """A row or attribute value as a Decimal; None when missing or not a number."""
    try:
        return decimal_shown(value)  # never an Infinity for the chart's JSON, or 5,000 digits
    except OutOfRange:
        return None


def to_float(value: Decimal) -> float:
    """The one place an exact number becomes a chart's float."""
    return float(value)


def axis(title: str, theme: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 12}},
        "gridcolor": theme["grid"],
        "zerolinecolor": theme["zero"],
        "linecolor": theme["grid"],
        "automargin": True,
        **extra,
    }


def base_layout(title: str, theme_name: str = "dark", **extra: Any) -> dict[str, Any]:
    """The common layout; ``title`` is drawn small, top left (it also names a printout)."""
    theme = THEMES[theme_name]
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "y": 0.99, "font": {"size": 13}},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": theme["font"], "size": 12, "family": "system-ui, sans-serif"},
        "margin": {"l": 60, "r": 20, "t": 28 if title else 12, "b": 40},
        "hovermode": "closest",
        "legend": {"orientation": "h", "y": -0.18, "bgcolor": "rgba(0,0,0,0)"},
        **extra,
    }


def empty_figure(title: str, message: str, theme_name: str = "dark") -> Figure:
    """A figure that says why it has nothing to draw, in the middle of the plot."""
    layout = base_layout(title, theme_name)
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    layout["annotations"] = [
        {
            "text": message,
            "showarrow": False,
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "font": {"size": 16, "color": THEMES[theme_name]["font"]},
        }
    ]
    return {"data": [], "layout": layout}


def chicago_label(moment: datetime) -> str:
    """A moment as Plotly reads a date: naive text on the desk's clock."""
    return moment.astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M:%S")
