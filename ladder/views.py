"""The ladder and spot-risk pages: server-rendered first paint from ``ladder.selectors``.

Views parse the query, call one selector and render. Everything a cell shows
is formatted here, once, so the template stays dumb; each cell also carries
its exact value (``data-value``) for the live script and for tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import Role, role_required
from ladder.last_good import LastGood
from ladder.numbers import OUT_OF_RANGE_CSS, OUT_OF_RANGE_NOTE, SHOWN_MAX_ABS, decimal_is_shown
from ladder.prices import price_to_32nds, round_to_tick
from ladder.scenario import ZN_TICK_SIZE, LadderRow
from ladder.selectors import (
    GREEKS,
    MAX_TICKS,
    BookRow,
    FeedAge,
    LadderView,
    SpotRiskLine,
    SpotRiskView,
    Totals,
    UnknownInstrument,
    decimal_text,
    ladder_snapshot,
    spot_risk_snapshot,
)
from lib.redis_clients import StateStoreUnavailable

DEFAULT_TICKS = 40
DASH = "—"  # a missing value: never a zero
_GRID = Decimal(1) / 128  # the finest price 32nds can write
_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Cell:
    text: str
    value: str  # the exact value as a decimal string; "" when missing
    css: str = ""

    @property
    def note(self) -> str:
        """The tooltip of a cell whose stored value was out of range ("" otherwise)."""
        return OUT_OF_RANGE_NOTE if OUT_OF_RANGE_CSS in self.css.split() else ""


# A value the stored data held but the pages must not show (``ladder.numbers``): a
# dash like a missing value, with a class the page and live.js turn into a note.
OUT_OF_RANGE = Cell(DASH, "", f"muted {OUT_OF_RANGE_CSS}")


# --- formatting --------------------------------------------------------------------------
# Every formatter refuses a number out of range (``OUT_OF_RANGE``), computed ones too
# (a P&L of in-range inputs can still exceed what quantize's 28 digits can say).


def _unshown(value: Decimal | float) -> bool:
    if isinstance(value, float):  # a Greek: a tiny one is a zero to show, not damage
        return not math.isfinite(value) or abs(value) > SHOWN_MAX_ABS
    return not decimal_is_shown(value)


def money(value: Decimal | None) -> Cell:
    """Dollars with a sign, thousands separators and cents; green up, red down."""
    if value is None:
        return Cell(DASH, "", "muted")
    if _unshown(value):
        return OUT_OF_RANGE
    cents = value.quantize(_CENTS, rounding=ROUND_HALF_UP)  # as accountants round
    sign = "+" if cents > 0 else "-" if cents < 0 else ""
    return Cell(f"{sign}{abs(cents):,.2f}", decimal_text(value), _tone(cents))


def quantity(value: int | None, *, blank_zero: bool = False, signed: bool = False) -> Cell:
    if value is None:
        return Cell(DASH, "", "muted")
    if _unshown(Decimal(value)):
        return OUT_OF_RANGE
    if blank_zero and value == 0:
        return Cell("", "0")
    text = f"{value:+,}" if signed and value else f"{value:,}"
    return Cell(text, str(value), _tone(value) if signed else "")


def price(value: Decimal | None) -> Cell:
    """A price in TT 32nds; off the grid (options below a tick) as the decimal given."""
    if value is None:
        return Cell(DASH, "", "muted")
    if _unshown(value):
        return OUT_OF_RANGE
    return Cell(price_to_32nds(value), decimal_text(value))


def theo(value: Decimal | None) -> Cell:
    """A theoretical value: 32nds when on the grid, else the decimal with 32nds of a point
    to two places (``0'29.71``), so it reads against the bid and ask beside it."""
    cell = price(value)
    if value is None or cell is OUT_OF_RANGE or "'" in cell.text:
        return cell
    if not ZN_TICK_SIZE <= value < 1000:
        return cell  # on the grid, or below one tick (a cabinet value): as prices.py says
    whole = int(value)
    thirty_seconds = (value - whole) * 32
    return Cell(f"{whole}'{thirty_seconds:05.2f}", cell.value)


def price_near(value: Decimal | None) -> Cell:
    """A computed price (an average, a breakeven) rounded to the 32nds grid for reading."""
    if value is None:
        return Cell("", "")
    if _unshown(value):
        return OUT_OF_RANGE
    return Cell(price_to_32nds(round_to_tick(price=value, tick=_GRID)), decimal_text(value))


def plain(value: Decimal | float | None, places: int, *, tone: bool = True) -> Cell:
    if value is None:
        return Cell(DASH, "", "muted")
    if _unshown(value):
        return OUT_OF_RANGE
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    return Cell(f"{exact:,.{places}f}", decimal_text(exact), _tone(exact) if tone else "")


def _tone(value: Decimal | int) -> str:
    return "num-pos" if value > 0 else "num-neg" if value < 0 else ""


def age_text(age_s: float | None) -> str:
    if age_s is None:
        return "no file yet"
    if age_s < 120:
        return f"{age_s:.0f} s ago"
    if age_s < 7200:
        return f"{age_s / 60:.0f} min ago"
    return f"{age_s / 3600:.0f} h ago"


def feed_badges(feeds: tuple[FeedAge, ...]) -> list[dict[str, Any]]:
    return [
        {
            "feed": age.feed,
            "age_s": "" if age.age_s is None else f"{age.age_s:.1f}",
            "text": age_text(age.age_s),
            "file_time": age.last_file_time.isoformat() if age.last_file_time else "",
            "version": age.version or "",
        }
        for age in feeds
    ]


# --- the ladder --------------------------------------------------------------------------


def ladder_cells(row: LadderRow, book: BookRow | None = None) -> dict[str, Cell]:
    """A ladder row's cells; with ``book``, the whole book's three too (the page hides
    them when the trader chooses futures only)."""
    cells = {
        "buy_qty": quantity(row.buy_qty, blank_zero=True),
        "display": Cell(row.display, decimal_text(row.price)),
        "sell_qty": quantity(row.sell_qty, blank_zero=True),
        "position": quantity(row.position, signed=True),
        "pnl": money(row.pnl),
        "risk": money(row.risk),
        "breakeven": price_near(row.breakeven),
    }
    if book is not None:
        cells["options_pnl"] = money(book.options_pnl)
        cells["book_pnl"] = money(book.book_pnl)
        cells["book_delta"] = plain(book.book_delta, 2)
    return cells


def ladder_book_rows(view: LadderView) -> list[BookRow | None]:
    """One book row per ladder row (None each when the view has no book)."""
    if len(view.book_rows) == len(view.rows):
        return list(view.book_rows)
    return [None] * len(view.rows)


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


def ladder_header_cells(view: LadderView) -> dict[str, Cell]:
    """The header's cells (the page's and the live hub's); a field whose stored value
    was out of range is a dash with a note."""
    ladder = view.header
    assert ladder is not None
    cells = {
        "position": quantity(ladder.net_position, signed=True),
        "open_avg_price": price_near(ladder.open_avg_price),
        "tt_pnl": money(ladder.tt_pnl),
        "realized_pnl": money(ladder.realized_pnl),
        "sod_position": quantity(ladder.sod_net_position, signed=True),
        "spot": price(ladder.spot),
    }
    return {name: OUT_OF_RANGE if name in ladder.out_of_range else c for name, c in cells.items()}


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


# --- spot risk ---------------------------------------------------------------------------

SPOT_RISK_COLUMNS = (
    ("key", "Instrument", "text"),
    ("strike", "Strike", ""),
    ("itype", "Type", "text"),
    ("bid", "Bid", ""),
    ("ask", "Ask", ""),
    ("theo", "Theo", ""),
    ("iv_bid", "IV bid", ""),
    ("iv_ask", "IV ask", ""),
    ("iv_avg", "IV avg", ""),
    ("position", "Position", ""),
    ("delta", "Delta", ""),
    ("gamma", "Gamma", ""),
    ("vega", "Vega", ""),
    ("theta", "Theta", ""),
)
GREEK_PLACES = 4
IV_PLACES = 2


def spot_risk_cells(line: SpotRiskLine) -> dict[str, Cell]:
    """A line's cells (the page's and the live hub's); a field whose stored value was
    out of range is a dash with a note."""
    cells = _spot_risk_cells(line)
    for name in line.out_of_range & cells.keys():
        cells[name] = OUT_OF_RANGE
    return cells


def _spot_risk_cells(line: SpotRiskLine) -> dict[str, Cell]:
    greeks = line.greeks or {}
    cells = {
        "key": Cell(line.key, line.key),
        "strike": Cell("", "") if line.strike is None else plain(line.strike, 2, tone=False),
        "itype": Cell(line.itype, line.itype),
        "bid": price(line.bid),
        "ask": price(line.ask),
        "theo": theo(line.theo),
        "iv_bid": plain(line.iv_bid, IV_PLACES, tone=False),
        "iv_ask": plain(line.iv_ask, IV_PLACES, tone=False),
        "iv_avg": plain(line.iv_avg, IV_PLACES, tone=False),
        "position": quantity(line.position, signed=True),
    }
    for name in GREEKS:
        # per contract, a sign is the option's nature, not the book's risk: no colour
        cells[name] = plain(greeks.get(name), GREEK_PLACES, tone=False)
    return cells


def totals_cells(totals: Totals) -> dict[str, Cell]:
    return {name: plain(totals[name], GREEK_PLACES) for name in GREEKS}


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
