"""The volatility smile: Actant IV bid, ask and average against strike, per expiry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ladder.analytics.layout import (
    BLUE,
    GREEN,
    ORANGE,
    THEMES,
    Figure,
    axis,
    base_layout,
    empty_figure,
    number,
    to_float,
)

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_EXPIRY = re.compile(r"^(?P<day>\d{1,2})?(?P<mon>[A-Z]{3})(?P<yy>\d{2})$")
# (IV field, label, colour, line mode): the average joins its points; bid and ask are dots.
_SMILE_FIELDS = (
    ("iv_bid", "IV bid", BLUE, "markers"),
    ("iv_ask", "IV ask", ORANGE, "markers"),
    ("iv_avg", "IV avg", GREEN, "lines+markers"),
)
# Calls: filled circles, solid line. Puts: open diamonds, dashed line.
_OPTION_STYLE = {
    "C": ("Call", "circle", "solid"),
    "P": ("Put", "diamond-open", "dash"),
}


def expiry_sort_key(token: str) -> tuple[int, int, int, str]:
    """``21JUL25`` and ``AUG25`` in calendar order; a monthly sorts after its weeklies."""
    match = _EXPIRY.match(token)
    if match is None or match["mon"] not in _MONTHS:
        return (9999, 99, 99, token)
    day = int(match["day"]) if match["day"] else 99
    return (2000 + int(match["yy"]), _MONTHS.index(match["mon"]) + 1, day, token)


@dataclass(frozen=True)
class SmilePoint:
    strike: Decimal
    iv: Decimal
    key: str


def smile_expiries(rows: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """The expiries that have options, in calendar order: ``{"expiry", "label"}``."""
    products: dict[str, set[str]] = {}
    for row in rows.values():
        if row.get("itype") in _OPTION_STYLE and row.get("expiry"):
            products.setdefault(str(row["expiry"]), set()).add(str(row.get("product") or ""))
    return [
        {"expiry": expiry, "label": f"{expiry} ({', '.join(sorted(p for p in names if p))})"}
        for expiry, names in sorted(products.items(), key=lambda item: expiry_sort_key(item[0]))
    ]


def smile_points(
    rows: Mapping[str, Mapping[str, Any]], *, expiry: str, itype: str, field: str
) -> list[SmilePoint]:
    """One IV field of one option type of one expiry, by strike; missing IVs are left out."""
    points = []
    for row in rows.values():
        if row.get("expiry") != expiry or row.get("itype") != itype:
            continue
        strike, iv = number(row.get("strike")), number(row.get(field))
        if strike is not None and iv is not None:
            points.append(SmilePoint(strike=strike, iv=iv, key=str(row.get("key", ""))))
    return sorted(points, key=lambda p: (p.strike, p.key))


def smile_figure(rows: Mapping[str, Mapping[str, Any]], *, expiry: str) -> Figure:
    """IV bid, ask and average against strike for one expiry; calls and puts apart."""
    title = f"Expiry {expiry}"
    traces = []
    for itype, (kind, symbol, dash) in _OPTION_STYLE.items():
        for field, label, colour, mode in _SMILE_FIELDS:
            points = smile_points(rows, expiry=expiry, itype=itype, field=field)
            if not points:
                continue
            traces.append(
                {
                    "type": "scatter",
                    "mode": mode,
                    "name": f"{kind} {label}",
                    "legendgroup": kind,
                    "x": [to_float(p.strike) for p in points],
                    "y": [to_float(p.iv) for p in points],
                    "text": [p.key for p in points],
                    "hovertemplate": (
                        f"%{{text}}<br>strike %{{x}}<br>{label} %{{y:.2f}}<extra></extra>"
                    ),
                    "marker": {"color": colour, "symbol": symbol, "size": 8},
                    "line": {"color": colour, "dash": dash, "width": 1.5},
                }
            )
    if not traces:
        return empty_figure(title, f"no implied vols for {expiry} in the latest spot-risk file")
    layout = base_layout(title)
    layout["xaxis"] = axis("Strike", THEMES["dark"])
    layout["yaxis"] = axis("Implied vol (Actant)", THEMES["dark"])
    return {"data": traces, "layout": layout}


def smile_figures(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Figure]:
    """A smile per expiry that has options, keyed by the expiry token."""
    return {e["expiry"]: smile_figure(rows, expiry=e["expiry"]) for e in smile_expiries(rows)}


def smile_default(expiries: list[dict[str, str]], figures: Mapping[str, Figure]) -> str | None:
    """The nearest expiry that has implied vols (an expiring weekly often has none)."""
    for entry in expiries:
        if figures.get(entry["expiry"], {}).get("data"):
            return entry["expiry"]
    return expiries[0]["expiry"] if expiries else None
