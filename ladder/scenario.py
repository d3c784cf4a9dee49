"""The scenario ladder (FEEDS.md "The scenario ladder"): pure, exact arithmetic.

For each price level L on the tick grid around the spot S, the ladder says
what the position and P&L would be if the market moved from S to L and every
working order it crossed filled:

- falling (L < S): buy limits and sell stops priced in [L, S) fill;
- rising (L > S): sell limits and buy stops priced in (S, L] fill;
- each fill happens at the order's own price (a stop's stop price), and
  changes the position from that price on, so
  P&L(L) = sum over the legs of the path of position x price change x point value.

Conventions chosen here (the definition leaves them open):

- An order priced exactly at L fills when the market reaches L (closed end),
  so the row at L already shows it in Pos(L); it adds nothing to P&L(L) since
  it fills at L. An order priced exactly at S fills in neither direction
  (open end): the market is already there and it has not filled.
- Stops (``"3"``) and stop limits (``"4"``) fill at their stop price (a stop
  with no stop price falls back to its price); a stop limit is assumed to fill
  at its trigger, as the definition says, not to rest as a limit afterwards.
- Only child orders count: algo parents (``syntheticType "7"``) carry no price
  and their children are already in the list. Orders of another instrument,
  of an unknown type, or with no remaining quantity are ignored. Orders are
  not filtered by account: the caller passes the orders that belong to the
  position it shows.
- Limits on the "wrong" side (a buy limit above S, a sell stop above S) never
  fill in the scenario: the path from S never crosses them in their direction.
- Signs: positions are long-positive; P&L is dollars, positive when it makes
  money; risk(L) = Pos(L) x tick value is dollars per tick, positive when long.
- Breakeven(L) = L - P&L(L) / (Pos(L) x point value): the price at which the
  P&L would be back to zero holding Pos(L) from L. A long position that has
  lost money breaks even above L; a short one below. It is blank (``None``)
  when Pos(L) is 0, and is rounded to ``BREAKEVEN_PLACES`` decimal places
  because the division is generally not exact.
- The grid is centred on the tick nearest S (ties away from zero) unless ``centre``
  is given; the moves themselves start from the exact S, on the grid or not.
- Row quantities (``buy_qty``/``sell_qty``) show orders resting at exactly the
  row price: a limit at its price, a stop at its stop price.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from feeds.records import OrderType, Side, TtOrder, TtPosition
from ladder.prices import price_to_32nds, round_to_tick

ZN_TICK_SIZE = Decimal("0.015625")  # 1/64 of a point
ZN_POINT_VALUE = Decimal(1000)  # dollars per point per contract
# The ladder's tick limits, each side of the centre, defined once: the pages, the API,
# the websocket and the live hub import them.
DEFAULT_TICKS = 40  # unless the trader asks for more
MAX_TICKS = 400  # more is a different page, not a ladder
BREAKEVEN_PLACES = 10  # 1e-10 of a point: far below a tick, stable for display
_PRECISION = 60  # digits for the sums: every realistic input stays exact

_STOP_TYPES = (OrderType.STOP, OrderType.STOP_LIMIT)


@dataclass(frozen=True, slots=True)
class Fill:
    """A working order as the scenario sees it: where it fills and by how much."""

    price: Decimal  # the limit price, or a stop's stop price
    quantity: int  # signed: + buys, - sells
    is_stop: bool

    @property
    def side(self) -> Side:
        return Side.BUY if self.quantity > 0 else Side.SELL


@dataclass(frozen=True, slots=True)
class LadderRow:
    price: Decimal
    display: str  # TT 32nds, e.g. 110'040
    buy_qty: int  # child buy orders resting at this price
    sell_qty: int  # child sell orders resting at this price
    position: int  # projected Pos(L)
    pnl: Decimal  # projected P&L(L), dollars
    risk: Decimal  # Pos(L) x tick value, dollars per tick
    breakeven: Decimal | None  # None when Pos(L) is 0


@dataclass(frozen=True, slots=True)
class Ladder:
    instrument_id: str
    account_id: str
    net_position: int
    open_avg_price: Decimal | None
    tt_pnl: Decimal | None
    realized_pnl: Decimal | None
    sod_net_position: int
    spot: Decimal
    centre: Decimal
    tick_size: Decimal
    tick_value: Decimal
    point_value: Decimal
    rows: tuple[LadderRow, ...]  # one per tick, highest price first


def scenario_ladder(
    *,
    position: TtPosition,
    orders: Sequence[TtOrder],
    spot: Decimal,
    tick_size: Decimal = ZN_TICK_SIZE,
    point_value: Decimal = ZN_POINT_VALUE,
    ticks_each_side: int = DEFAULT_TICKS,
    centre: Decimal | None = None,
    rows_known: Mapping[Decimal, LadderRow] | None = None,
) -> Ladder:
    """The ladder for ``position``'s instrument around ``spot`` (see module doc).

    ``rows_known``: rows an earlier call computed for the same position, orders,
    spot, tick size and point value, by level; a level found there is not computed
    again (the live hub's ladder and risk slide of one update share most levels).
    """
    if tick_size <= 0 or point_value <= 0 or ticks_each_side < 0:
        raise ValueError("tick_size and point_value must be positive, ticks_each_side >= 0")
    fills = working_fills(orders=orders, instrument_id=position.instrument_id)
    middle = round_to_tick(price=spot, tick=tick_size) if centre is None else centre
    tick_value = tick_size * point_value
    levels = [middle + tick_size * k for k in range(ticks_each_side, -ticks_each_side - 1, -1)]
    known = rows_known or {}
    rows = tuple(
        known.get(level)
        or _row(
            level=level,
            fills=fills,
            net_position=position.net_position,
            spot=spot,
            point_value=point_value,
            tick_value=tick_value,
        )
        for level in levels
    )
    return _ladder(
        position=position,
        spot=spot,
        centre=middle,
        tick_size=tick_size,
        point_value=point_value,
        rows=rows,
    )


def _ladder(
    *,
    position: TtPosition,
    spot: Decimal,
    centre: Decimal,
    tick_size: Decimal,
    point_value: Decimal,
    rows: tuple[LadderRow, ...],
) -> Ladder:
    return Ladder(
        instrument_id=position.instrument_id,
        account_id=position.account_id,
        net_position=position.net_position,
        open_avg_price=position.open_avg_price,
        tt_pnl=position.pnl,
        realized_pnl=position.realized_pnl,
        sod_net_position=position.sod_net_position,
        spot=spot,
        centre=centre,
        tick_size=tick_size,
        tick_value=tick_size * point_value,
        point_value=point_value,
        rows=rows,
    )


def working_fills(*, orders: Iterable[TtOrder], instrument_id: str) -> tuple[Fill, ...]:
    """The resting child orders of ``instrument_id`` as fills (see module doc for the rules)."""
    fills = []
    for order in orders:
        if order.is_algo_parent or order.instrument_id != instrument_id:
            continue
        if order.order_type not in (OrderType.LIMIT, *_STOP_TYPES) or not order.leaves_qty:
            continue
        is_stop = order.order_type in _STOP_TYPES
        price = order.stop_price if is_stop and order.stop_price is not None else order.price
        if price is None or order.leaves_qty < 0:
            continue
        signed = order.leaves_qty if order.side is Side.BUY else -order.leaves_qty
        fills.append(Fill(price=price, quantity=signed, is_stop=is_stop))
    return tuple(fills)


def projected_position_and_pnl(
    *, fills: Iterable[Fill], net_position: int, spot: Decimal, level: Decimal, point_value: Decimal
) -> tuple[int, Decimal]:
    """Pos(L) and P&L(L): walk from ``spot`` to ``level``, filling the orders crossed."""
    crossed = sorted(
        (fill for fill in fills if _fills_on_the_way(fill=fill, spot=spot, level=level)),
        key=lambda fill: fill.price,
        reverse=level < spot,  # meet the fills in the order the market reaches them
    )
    held, pnl, at = net_position, Decimal(0), spot
    with localcontext(prec=_PRECISION):
        for fill in crossed:
            pnl += held * (fill.price - at) * point_value
            held, at = held + fill.quantity, fill.price
        pnl += held * (level - at) * point_value
    return held, pnl


def breakeven_price(
    *, level: Decimal, position: int, pnl: Decimal, point_value: Decimal
) -> Decimal | None:
    """B with pnl + position x (B - level) x point value = 0; None when flat."""
    if position == 0:
        return None
    with localcontext(prec=_PRECISION):
        exact = level - pnl / (position * point_value)
        return exact.quantize(Decimal(1).scaleb(-BREAKEVEN_PLACES), rounding=ROUND_HALF_EVEN)


def _fills_on_the_way(*, fill: Fill, spot: Decimal, level: Decimal) -> bool:
    if level < spot:  # falling: buy limits and sell stops in [L, S)
        wanted = fill.side is Side.SELL if fill.is_stop else fill.side is Side.BUY
        return wanted and level <= fill.price < spot
    if level > spot:  # rising: sell limits and buy stops in (S, L]
        wanted = fill.side is Side.BUY if fill.is_stop else fill.side is Side.SELL
        return wanted and spot < fill.price <= level
    return False


def _row(
    *,
    level: Decimal,
    fills: Sequence[Fill],
    net_position: int,
    spot: Decimal,
    point_value: Decimal,
    tick_value: Decimal,
) -> LadderRow:
    position, pnl = projected_position_and_pnl(
        fills=fills, net_position=net_position, spot=spot, level=level, point_value=point_value
    )
    return LadderRow(
        price=level,
        display=price_to_32nds(level),
        buy_qty=sum(f.quantity for f in fills if f.price == level and f.quantity > 0),
        sell_qty=sum(-f.quantity for f in fills if f.price == level and f.quantity < 0),
        position=position,
        pnl=pnl,
        risk=position * tick_value,
        breakeven=breakeven_price(level=level, position=position, pnl=pnl, point_value=point_value),
    )
