"""Actant spot-risk CSVs, byte for byte in the samples' two layouts.

Numbers as Actant prints them: seven decimals, no leading zero below one
(``.9218750``), ``INVALID`` for a missing price, an empty field for a missing
theoretical value or vol, whole strikes without decimals (``111``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from feeds.simulator.book import BookLine
from feeds.simulator.market import OptionQuote

SINGLE_HEADER = (
    "Key,BID,ASK,STRIKE,ITYPE,ADJTHEOR,IVBID,IVASK,IVAVERAGE,POS.POSITION,"
    "POS.STARTOFDAYPOS,POS.PREMIUM,POS.PRICE,POS.MARKETVALUE,UTOTAL.PREMIUM,UTOTAL.YESTERDAYPL"
)
TYPE_ROW = (
    "Type,VAR_PRICE,VAR_PRICE,VAR_PRICE,VAR_STRING,VAR_DOUBLE,VAR_DOUBLE,VAR_DOUBLE,"
    "VAR_DOUBLE,VAR_INT32,VAR_INT32,VAR_DOUBLE,VAR_DOUBLE,VAR_DOUBLE,VAR_DOUBLE,VAR_DOUBLE"
)
CHUNK_HEADER = "Key,BID,ASK,STRIKE,ITYPE,ADJTHEOR,IVBID,IVASK,IVAVERAGE"
INVALID = "INVALID"
_FLAT = BookLine(0, 0)
_PRODUCT_CELLS = ("XCME.ZN", INVALID, INVALID, INVALID, "N", "", "", "", "")


@dataclass(frozen=True, slots=True)
class SpotRiskSnapshot:
    """One moment of Actant's view: the future's market and every listed option."""

    moment: datetime
    future_key: str  # XCME.ZN.SEP25
    future_bid: Decimal
    future_ask: Decimal
    options: tuple[OptionQuote, ...]
    book: Mapping[str, BookLine] = field(default_factory=dict)  # by key; absent = flat


def _position_cells(line: BookLine) -> tuple[str, ...]:
    """POS.POSITION, POS.STARTOFDAYPOS, then premium and P&L as the samples write them."""
    return (str(line.position), str(line.sod_position), "0", "", "", "0", "0")


def actant_number(value: float | Decimal | None, *, missing: str = "") -> str:
    """``.9218750``, ``111.1562500``, ``417.3747239``; ``missing`` for None."""
    if value is None:
        return missing
    text = f"{value:.7f}"
    if text.startswith(("0.", "-0.")):
        text = text.replace("0.", ".", 1)
    return text


def strike_text(strike: Decimal) -> str:
    """``111`` for a whole strike, ``110.2500000`` otherwise (the STRIKE column)."""
    if strike == strike.to_integral_value():
        return str(int(strike))
    return actant_number(strike)


def _option_cells(quote: OptionQuote) -> tuple[str, ...]:
    return (
        quote.key,
        actant_number(quote.bid, missing=INVALID),
        actant_number(quote.ask, missing=INVALID),
        strike_text(quote.strike),
        quote.itype,
        actant_number(quote.theo),
        actant_number(quote.iv_bid),
        actant_number(quote.iv_ask),
        actant_number(quote.iv_avg),
    )


def _future_cells(snapshot: SpotRiskSnapshot) -> tuple[str, ...]:
    bid, ask = actant_number(snapshot.future_bid), actant_number(snapshot.future_ask)
    return (snapshot.future_key, bid, ask, INVALID, "F", "", "", "", "")


def _lines(rows: list[tuple[str, ...]]) -> bytes:
    return "".join(",".join(row) + "\n" for row in rows).encode("ascii")


def spot_risk_single(snapshot: SpotRiskSnapshot) -> bytes:
    """The 16-column file with its Type row; the future and product rows last, as Actant writes."""
    rows = [_option_cells(q) for q in snapshot.options]
    rows += [_future_cells(snapshot), _PRODUCT_CELLS]
    body = [(SINGLE_HEADER,), (TYPE_ROW,)] + [
        row + _position_cells(snapshot.book.get(row[0], _FLAT)) for row in rows
    ]
    return _lines(body)


def spot_risk_chunks(snapshot: SpotRiskSnapshot, *, chunks: int) -> list[bytes]:
    """The 9-column batch: every row once, split in order over ``chunks`` files.

    The future leads the first chunk (as in the sample). With fewer rows than
    chunks the batch is smaller: the feed server never writes an empty chunk.
    """
    rows = [_future_cells(snapshot)] + [_option_cells(q) for q in snapshot.options]
    rows.append(_PRODUCT_CELLS)
    count = max(1, min(chunks, len(rows)))
    size, extra = divmod(len(rows), count)
    parts, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        parts.append(_lines([(CHUNK_HEADER,), *rows[start:end]]))
        start = end
    return parts
