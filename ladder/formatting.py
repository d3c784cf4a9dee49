"""How the pages and the live hub show numbers: 32nds, money, quantities, Greeks.

Every cell a ladder or spot-risk page shows is formatted here, once: the page
views render these cells and the live hub (``ladder.hub.cells``) sends the same
ones in its frames, so a number reads the same in the first paint and in every
update. Each cell also carries its exact value (``data-value``) for the live
script and for tests.
"""

from __future__ import annotations

import functools
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from ladder.numbers import OUT_OF_RANGE_CSS, OUT_OF_RANGE_NOTE, SHOWN_MAX_ABS, decimal_is_shown
from ladder.prices import price_to_32nds, round_to_tick
from ladder.scenario import ZN_TICK_SIZE, LadderRow
from ladder.selectors import (
    GREEKS,
    BookRow,
    FeedAge,
    LadderView,
    SpotRiskLine,
    Totals,
    decimal_text,
)
from ladder.selectors.slide import SlideView

DASH = "—"  # a missing value: never a zero
_GRID = Decimal(1) / 128  # the finest price 32nds can write
_CENTS = Decimal("0.01")


class Cell(NamedTuple):
    """One shown number. A named tuple, not a frozen dataclass: a grid of 1,800 cells
    is made on every update, and a tuple is made in half the time."""

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
MISSING = Cell(DASH, "", "muted")


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
        return MISSING
    if not decimal_is_shown(value):
        return OUT_OF_RANGE
    cents = value.quantize(_CENTS, rounding=ROUND_HALF_UP)  # as accountants round
    if cents > 0:
        return Cell(f"+{cents:,.2f}", decimal_text(value), "num-pos")
    if cents < 0:
        return Cell(f"{cents:,.2f}", decimal_text(value), "num-neg")
    return Cell("0.00", decimal_text(value))


def quantity(value: int | None, *, blank_zero: bool = False, signed: bool = False) -> Cell:
    if value is None:
        return MISSING
    if abs(value) > SHOWN_MAX_ABS:  # a whole number: neither too long nor too small
        return OUT_OF_RANGE
    if blank_zero and value == 0:
        return Cell("", "0")
    text = f"{value:+,}" if signed and value else f"{value:,}"
    return Cell(text, str(value), _tone(value) if signed else "")


def price(value: Decimal | None) -> Cell:
    """A price in TT 32nds; off the grid (options below a tick) as the decimal given."""
    if value is None:
        return MISSING
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
    return _price_near_cell(value)


@functools.lru_cache(maxsize=4096)
def _price_near_cell(value: Decimal) -> Cell:
    # A ladder's breakevens stay the same until its position or orders change, and
    # rounding one to the grid (a 120-digit division) costs ~25 us. Equal Decimals
    # (110.5, 110.50) share an entry: their cells are equal, the value text normalised.
    return Cell(price_to_32nds(round_to_tick(price=value, tick=_GRID)), decimal_text(value))


def level(price: Decimal, display: str) -> Cell:
    """A ladder level (a ladder's or a slide's row) with its 32nds as the scenario wrote
    them (``display``): ``price`` would write them again."""
    return Cell(display, decimal_text(price))


def plain(value: Decimal | float | None, places: int, *, tone: bool = True) -> Cell:
    if value is None:
        return MISSING
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
        "display": level(row.price, row.display),
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


# --- the risk slide ----------------------------------------------------------------------


def shift_label(shift: float) -> str:
    """A vol shift as the slide shows it: ``vol 0``, ``vol +2 %``."""
    return "vol 0" if shift == 0 else f"vol {shift * 100:+g} %"


def _closest_to_zero(shifts: tuple[float, ...]) -> int:
    return min(range(len(shifts)), key=lambda i: abs(shifts[i]))


def slide_cells(view: SlideView) -> dict[str, dict[str, Cell]]:
    """Each row's cells by column, rows keyed by their move in ticks (``data-move``):
    ``price``, ``delta`` (book delta at the vol shift nearest 0), ``pnl:<i>`` (book
    P&L at vol shift i) and, with the breakdown, ``x:<expiry>:<i>`` (options P&L)."""
    at = _closest_to_zero(view.vol_shifts) if view.vol_shifts else 0
    pnl_columns = [f"pnl:{i}" for i in range(len(view.vol_shifts))]
    expiry_columns = {e: [f"x:{e}:{i}" for i in range(len(view.vol_shifts))] for e in view.expiries}
    rows: dict[str, dict[str, Cell]] = {}
    for row in view.rows:
        cells = {
            "move_32nds": Cell(row.move_32nds, ""),
            "price": level(row.price, row.display),
            "delta": plain(row.delta[at], 2, tone=False) if row.delta else Cell("", ""),
        }
        cells.update(zip(pnl_columns, map(money, row.pnl), strict=True))
        for expiry, values in row.by_expiry.items():
            cells.update(zip(expiry_columns[expiry], map(money, values), strict=True))
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
        "shifts": [shift_label(s) for s in view.vol_shifts],
        "expiries": list(view.expiries),
        "not_priced": {
            "text": f"{len(unpriced)} option{'s' if len(unpriced) != 1 else ''} not priced",
            "keys": ", ".join(unpriced),
        },
    }
