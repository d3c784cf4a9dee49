"""The risk slide page (``/ladder/slide/``): the grid server-rendered, then kept live
over the ``slide`` websocket view (``ladder.hub.slide_view``; live.js and slide.js).

Thin: the query is checked as ``/api/slide/`` checks it (a bad value is said on
the page and the defaults shown), the numbers come from ``slide_snapshot``, and
the cells are formatted here once for the page and the live frames alike
(``slide_cells``, ``slide_header``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import Role, role_required
from ladder.api import BadParameter, slide_query
from ladder.plotly_finder import PLOTLY_STYLE_HASHES
from ladder.selectors import UnknownInstrument, decimal_text
from ladder.selectors.slide import DEFAULT_MOVES, DEFAULT_STEP, SlideView, slide_snapshot
from ladder.views import Cell, feed_badges, money, plain, price
from lib.redis_clients import StateStoreUnavailable


def _shift_label(shift: float) -> str:
    return "vol 0" if shift == 0 else f"vol {shift * 100:+g} %"


def _closest_to_zero(shifts: tuple[float, ...]) -> int:
    return min(range(len(shifts)), key=lambda i: abs(shifts[i]))


def slide_cells(view: SlideView) -> dict[str, dict[str, Cell]]:
    """Each row's cells by column, rows keyed by their move in ticks (``data-move``):
    ``price``, ``delta`` (book delta at the vol shift nearest 0), ``pnl:<i>`` (book
    P&L at vol shift i) and, with the breakdown, ``x:<expiry>:<i>`` (options P&L)."""
    at = _closest_to_zero(view.vol_shifts) if view.vol_shifts else 0
    rows: dict[str, dict[str, Cell]] = {}
    for row in view.rows:
        cells = {
            "move_32nds": Cell(row.move_32nds, ""),
            "price": price(row.price),
            "delta": plain(row.delta[at], 2, tone=False) if row.delta else Cell("", ""),
        }
        cells.update({f"pnl:{i}": money(v) for i, v in enumerate(row.pnl)})
        for expiry, values in row.by_expiry.items():
            cells.update({f"x:{expiry}:{i}": money(v) for i, v in enumerate(values)})
        rows[str(row.move)] = cells
    return rows


def slide_header(view: SlideView) -> dict[str, Any]:
    """What the page shows above the grid, as the live frames carry it."""
    ladder = view.ladder
    unpriced = view.options_not_priced
    return {
        "instrument_label": ladder.instrument_label,
        "message": ladder.message,
        "spot": decimal_text(ladder.spot) if ladder.spot is not None else None,
        "spot_source": ladder.spot_source,
        "centre": decimal_text(ladder.header.centre) if ladder.header else None,
        "days": f"{view.days:g}",
        "as_of": ladder.as_of.isoformat() if ladder.as_of else None,
        "shifts": [_shift_label(s) for s in view.vol_shifts],
        "expiries": list(view.expiries),
        "not_priced": {
            "text": f"{len(unpriced)} option{'s' if len(unpriced) != 1 else ''} not priced",
            "keys": ", ".join(unpriced),
        },
    }


def slide_rows(view: SlideView) -> list[dict[str, Any]]:
    """The rows as the template walks them."""
    cells = slide_cells(view)
    return [
        {
            "move": row.move,
            "move_32nds": row.move_32nds,
            "price": cells[str(row.move)]["price"],
            "delta": cells[str(row.move)]["delta"],
            "cells": [cells[str(row.move)][f"pnl:{i}"] for i in range(len(row.pnl))],
            "by_expiry": [
                (e, [cells[str(row.move)][f"x:{e}:{i}"] for i in range(len(row.pnl))])
                for e in view.expiries
            ],
        }
        for row in view.rows
    ]


def slide_chart(view: SlideView) -> dict[str, Any]:
    """What slide.js draws: P&L against price, one line per vol shift."""
    return {
        "prices": [float(row.price) for row in view.rows],
        "labels": [row.display for row in view.rows],
        "series": [
            {"name": _shift_label(s), "pnl": [float(row.pnl[i]) for row in view.rows]}
            for i, s in enumerate(view.vol_shifts)
        ],
    }


def _live_query(query: dict[str, Any]) -> str:
    """The page's checked parameters as the query of its socket (``/ws/slide/?...``)."""
    moves = query["moves"]
    step = moves[0] - moves[1] if len(moves) > 1 else 1
    fields = {
        "moves": str(max(moves, default=0)),
        "step": str(step),
        "vol_shifts": ",".join(repr(float(s)) for s in query["vol_shifts"]),
        "days": repr(float(query["days"])),
        "by_expiry": "1" if query["by_expiry"] else "0",
    }
    if query["instrument_id"]:
        fields["instrument"] = query["instrument_id"]
    return urlencode(fields, safe=",")


@csp_update({"style-src": PLOTLY_STYLE_HASHES})  # plotly's own styles, as on analytics
@role_required(Role.TRADER)
def slide_page(request: HttpRequest) -> HttpResponse:
    note = None
    try:
        query = slide_query(request)
    except BadParameter as exc:
        note = f"{exc}: showing the defaults"
        query = slide_query(HttpRequest())
    context: dict[str, Any] = {
        "active": "slide",
        "note": note,
        "query": query,
        "form": {
            "moves": request.GET.get("moves") or DEFAULT_MOVES,
            "step": request.GET.get("step") or DEFAULT_STEP,
            "days": request.GET.get("days") or "0",
            "vol_shifts": ",".join(f"{s:g}" for s in query["vol_shifts"]),
        },
        "live_query": _live_query(query),
    }
    try:
        try:
            view = slide_snapshot(**query)
        except UnknownInstrument as exc:
            view = slide_snapshot(**{**query, "instrument_id": None})
            context["note"] = f"{exc}: showing the future with the largest position instead"
            context["live_query"] = _live_query({**query, "instrument_id": None})
    except StateStoreUnavailable:
        context["state_store_down"] = True
        return render(request, "ladder/slide.html", {**context, "unavailable": True})
    context.update(
        view=view,
        feeds=feed_badges(view.ladder.feeds),
        shifts=[_shift_label(s) for s in view.vol_shifts],
        rows=slide_rows(view),
        header=slide_header(view),
        chart=slide_chart(view),
    )
    return render(request, "ladder/slide.html", context)
