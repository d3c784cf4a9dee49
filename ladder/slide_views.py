"""The risk slide page (``/ladder/slide/``): the grid server-rendered, refreshed by slide.js.

Thin: the query is checked as ``/api/slide/`` checks it (a bad value is said on
the page and the defaults shown), the numbers come from ``slide_snapshot``.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.roles import Role, role_required
from ladder.api import BadParameter, slide_query
from ladder.plotly_finder import PLOTLY_STYLE_HASHES
from ladder.selectors import UnknownInstrument
from ladder.selectors.slide import DEFAULT_MOVES, DEFAULT_STEP, SlideView, slide_snapshot
from ladder.views import feed_badges, money, plain, price
from lib.redis_clients import StateStoreUnavailable


def _shift_label(shift: float) -> str:
    return "vol 0" if shift == 0 else f"vol {shift * 100:+g} %"


def _closest_to_zero(shifts: tuple[float, ...]) -> int:
    return min(range(len(shifts)), key=lambda i: abs(shifts[i]))


def slide_rows(view: SlideView) -> list[dict[str, Any]]:
    at = _closest_to_zero(view.vol_shifts) if view.vol_shifts else 0
    return [
        {
            "move": row.move,
            "move_32nds": row.move_32nds,
            "price": price(row.price),
            "delta": plain(row.delta[at], 2, tone=False) if row.delta else None,
            "cells": [money(v) for v in row.pnl],
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
        "api_url": reverse("api:slide"),
    }
    try:
        try:
            view = slide_snapshot(**query)
        except UnknownInstrument as exc:
            view = slide_snapshot(**{**query, "instrument_id": None})
            context["note"] = f"{exc}: showing the future with the largest position instead"
    except StateStoreUnavailable:
        context["state_store_down"] = True
        return render(request, "ladder/slide.html", {**context, "unavailable": True})
    context.update(
        view=view,
        feeds=feed_badges(view.ladder.feeds),
        shifts=[_shift_label(s) for s in view.vol_shifts],
        rows=slide_rows(view),
        chart=slide_chart(view),
    )
    return render(request, "ladder/slide.html", context)
