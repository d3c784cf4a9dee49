"""What the parsers produce: plain, immutable records with exact decimals.

These are the read-side vocabulary shared by feeds/, ladder/ and ops/.
Prices and money are ``Decimal`` (never float); a missing value (``INVALID``
or blank in Actant files, ``null`` in TT's) is ``None``, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class Feed(StrEnum):
    """Feed names: the S3 prefix they arrive under, and the key of their state."""

    SPOT_RISK = "spot-risk"  # actant/spot-risk/
    VTEXP = "vtexp"  # actant/vtexp/
    TT_POSITIONS = "tt-positions"  # tt/positions/
    TT_ORDERS = "tt-orders"  # tt/orders/
    TT_INSTRUMENTS = "tt-instruments"  # tt/instruments/


@dataclass(frozen=True, slots=True)
class SpotRiskRow:
    key: str  # e.g. XCME.OZN.AUG25.110:25.C
    itype: str  # C, P, F or N
    product: str  # OZN, VY3, ZN ...
    expiry: str | None  # the expiry token: AUG25, 21JUL25, SEP25; None for the N row
    strike: Decimal | None  # 110.25 for 110:25; None for futures and the N row
    bid: Decimal | None
    ask: Decimal | None
    theo: Decimal | None  # ADJTHEOR
    iv_bid: Decimal | None
    iv_ask: Decimal | None
    iv_avg: Decimal | None
    # 16-column layout only; None in 9-column chunks
    position: int | None = None
    sod_position: int | None = None
    premium: Decimal | None = None
    pos_price: Decimal | None = None
    market_value: Decimal | None = None
    total_premium: Decimal | None = None
    yesterday_pl: Decimal | None = None

    @property
    def is_option(self) -> bool:
        return self.itype in ("C", "P")

    @property
    def mid(self) -> Decimal | None:
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class VtexpRow:
    symbol: str  # XCME.ZN.N.G.22JUL25
    expiry: str  # 22JUL25: matches SpotRiskRow.expiry
    days: Decimal  # time to expiry in trading days (years = days / 252)


@dataclass(frozen=True, slots=True)
class TtPosition:
    instrument_id: str
    account_id: str
    net_position: int
    sod_net_position: int
    sod_price: Decimal | None
    avg_buy: Decimal | None
    avg_sell: Decimal | None
    open_avg_price: Decimal | None
    buy_fill_qty: int
    sell_fill_qty: int
    buy_working_qty: int
    sell_working_qty: int
    pnl: Decimal | None
    realized_pnl: Decimal | None
    pnl_price: Decimal | None
    pnl_price_type: str | None


class Side(StrEnum):
    BUY = "buy"  # TT side "1"
    SELL = "sell"  # TT side "2"


class OrderType(StrEnum):
    LIMIT = "limit"  # "2"
    STOP = "stop"  # "3"
    STOP_LIMIT = "stop_limit"  # "4"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class TtOrder:
    order_id: str
    parent_order_id: str | None
    instrument_id: str
    account_id: str
    side: Side
    order_type: OrderType
    price: Decimal | None
    stop_price: Decimal | None
    order_qty: int | None
    leaves_qty: int | None
    status: str  # "1" new, "2" partially filled
    is_algo_parent: bool  # syntheticType "7": not a resting order
    placed_at: datetime | None  # from dateTime (ns since the epoch), UTC


@dataclass(frozen=True, slots=True)
class TtInstrument:
    instrument_id: str
    alias: str  # ZN Jun25
    name: str  # ZNM5
    product_symbol: str  # ZN
    term: str  # Jun25
    tick_size: Decimal
    tick_value: Decimal
    point_value: Decimal
    expiration: datetime | None
    actant_future_key: str  # XCME.ZN.JUN25: the Actant key of the same future


@dataclass(frozen=True, slots=True)
class FeedKey:
    """What an S3 key says about its file (FEEDS.md "Where files land")."""

    feed: Feed
    key: str
    trading_date: date | None  # the date folder; None for instrument files
    file_time: datetime | None  # from the name, America/Chicago; None for instruments
    chunk: int | None = None  # NN of a chunked spot-risk file
    chunks: int | None = None  # MM of a chunked spot-risk file
    instrument_id: str | None = None  # for tt/instruments/instrument_<id>.json


@dataclass(frozen=True, slots=True)
class ParsedFile:
    feed: Feed
    source: FeedKey
    spot_risk: tuple[SpotRiskRow, ...] = ()
    vtexp: tuple[VtexpRow, ...] = ()
    positions: tuple[TtPosition, ...] = ()
    orders: tuple[TtOrder, ...] = ()
    instruments: tuple[TtInstrument, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # Spot risk in the 16-column layout carries Actant's positions; the 9-column one does not.
    spot_risk_positions: bool = False
