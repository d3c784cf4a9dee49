"""The ladder and spot-risk pages: server-rendered first paint from ``ladder.selectors``.

Views parse the query, call one selector and render. Every cell is formatted by
``ladder.formatting`` (as the live hub formats it), so the template stays dumb.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import Role, role_required
from feeds.selectors import StateStoreUnavailable
from ladder.formatting import (
    SPOT_RISK_COLUMNS,
    feed_badges,
    ladder_book_rows,
    ladder_cells,
    ladder_header_cells,
    spot_risk_cells,
    totals_cells,
)
from ladder.last_good import LastGood
from ladder.prices import round_to_tick
from ladder.selectors import (
    DEFAULT_TICKS,
    MAX_TICKS,
    LadderView,
    SpotRiskLine,
    SpotRiskView,
    UnknownInstrument,
    decimal_text,
    ladder_snapshot,
    spot_risk_snapshot,
)


def _ladder_rows(view: LadderView) -> list[dict[str, Any]]:
    assert view.header is not None
    spot_row = round_to_tick(price=view.header.spot, tick=view.header.tick_size)
    return [
        {
            "price": decimal_text(row.price),
            "is_spot": row.price == spot_row,
            "cells": ladder_cells(row, book),
        }
        for row, book in zip(view.rows, ladder_book_rows(view), strict=True)
    ]


def _read_at_text(read_at: float) -> str:
    return datetime.fromtimestamp(read_at, UTC).strftime("%H:%M:%S UTC")


def _ticks(request: HttpRequest) -> tuple[int, str | None]:
    raw = request.GET.get("ticks", "")
    if not raw:
        return DEFAULT_TICKS, None
    try:
        ticks = int(raw)
    except ValueError:
        return DEFAULT_TICKS, f"ticks must be a whole number, not {raw!r}: showing {DEFAULT_TICKS}"
    clamped = min(max(ticks, DEFAULT_TICKS), MAX_TICKS)
    note = None if clamped == ticks else f"ticks is between {DEFAULT_TICKS} and {MAX_TICKS}"
    return clamped, note


_LADDERS_READ: LastGood[LadderView] = LastGood()
_SPOT_RISK_READ: LastGood[SpotRiskView] = LastGood()


@role_required(Role.TRADER)
def ladder_page(request: HttpRequest) -> HttpResponse:
    ticks, note = _ticks(request)
    instrument = request.GET.get("instrument") or None
    context: dict[str, Any] = {"active": "ladder", "ticks": ticks, "note": note}
    try:
        try:
            view = ladder_snapshot(instrument_id=instrument, ticks=ticks)
        except UnknownInstrument as exc:
            view = ladder_snapshot(ticks=ticks)
            context["note"] = f"{exc}: showing the future with the largest position instead"
        _LADDERS_READ.remember((instrument, ticks), view)
    except StateStoreUnavailable:
        # The last ladder this process read, marked as such; the banner says why.
        context["state_store_down"] = True
        remembered = _LADDERS_READ.recall((instrument, ticks))
        if remembered is None:
            return render(request, "ladder/ladder.html", {**context, "unavailable": True})
        view = remembered.value
        context["read_at"] = _read_at_text(remembered.read_at)
    context.update(view=view, feeds=feed_badges(view.feeds))
    if view.header is not None:
        context.update(header=ladder_header_cells(view), rows=_ladder_rows(view))
    return render(request, "ladder/ladder.html", context)


def _groups(view: SpotRiskView) -> list[dict[str, Any]]:
    return [
        {
            "expiry": group.expiry,
            "label": group.label,
            "expires": group.expires,
            "totals": list(totals_cells(group.totals).items()),
            "missing": group.totals.missing,
            "priced": sum(
                1 for ln in group.lines if (ln.bid, ln.ask, ln.theo) != (None, None, None)
            ),
            "lines": [_line(line) for line in group.lines],
        }
        for group in view.groups
    ]


def _line(line: SpotRiskLine) -> dict[str, Any]:
    cells = spot_risk_cells(line)
    return {"key": line.key, "cells": [(col, cells[col], css) for col, _, css in SPOT_RISK_COLUMNS]}


@role_required(Role.TRADER)
def spot_risk_page(request: HttpRequest) -> HttpResponse:
    expiry = request.GET.get("expiry") or None
    context: dict[str, Any] = {"active": "spot_risk", "columns": SPOT_RISK_COLUMNS}
    try:
        try:
            view = spot_risk_snapshot(expiry=expiry)
        except ValueError as exc:
            view = spot_risk_snapshot()
            context["note"] = str(exc)
        _SPOT_RISK_READ.remember(expiry, view)
    except StateStoreUnavailable:
        context["state_store_down"] = True
        remembered = _SPOT_RISK_READ.recall(expiry)
        if remembered is None:
            context["unavailable"] = True
            return render(request, "ladder/spot_risk.html", context)
        view = remembered.value
        context["read_at"] = _read_at_text(remembered.read_at)
    context.update(
        view=view,
        feeds=feed_badges(view.feeds),
        groups=_groups(view),
        portfolio=totals_cells(view.totals),
        portfolio_cells=list(totals_cells(view.totals).items()),
    )
    return render(request, "ladder/spot_risk.html", context)
