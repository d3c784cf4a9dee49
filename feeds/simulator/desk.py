"""The desk's TT account: one future position and an algo working orders around the market.

The algo (a TT synthetic parent, like the sample's ``5MartingaleAPITEST``)
keeps a ladder of child buy limits under the market with doubling sizes and
a few sell limits above it, an occasional one-lot sell stop limit under the
ladder, and a take-profit order three ticks away for every fill. Orders fill
when the walk crosses them, using the same rule as the scenario ladder: a buy
limit or sell stop at P fills once the mid is below P, a sell limit or buy
stop once it is above P, each at its own price.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from feeds.simulator.market import TICK_DECIMAL

BUY, SELL = "1", "2"  # TT's side codes
LIMIT, STOP_LIMIT = "2", "4"  # TT's order types
_SPACING = 3  # ticks between ladder levels
_FIRST_LEVEL = 2  # ticks from the touch to the nearest new order
_BUY_LEVELS, _SELL_LEVELS = 5, 3
_MAX_PER_SIDE = 10  # the algo's own cap; keeps a response page-sized
_STALE_TICKS = 30  # orders this far from the market are cancelled and re-laid
_POSITION_LIMIT = 800  # no new orders that would add to a position this large
_EXEC_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@dataclass
class WorkingOrder:
    order_id: str
    side: str
    order_type: str
    price: Decimal  # also the stop price of a stop limit
    qty: int
    placed_ns: int
    exec_id: str
    terminator: int  # a TT user parameter the algo sets per child; shown as given
    filled: int = 0

    @property
    def leaves(self) -> int:
        return self.qty - self.filled

    def fills_at(self, mid: Decimal) -> bool:
        """Crossed by the market: the ladder's rule (module docstring)."""
        buys_below = (self.side == BUY) == (self.order_type == LIMIT)
        return mid < self.price if buys_below else mid > self.price


class Position:
    """TT's view of one instrument's position, average-cost accounting from the settle."""

    def __init__(self, *, sod_net: int, sod_price: Decimal) -> None:
        self.new_day(net=sod_net, settle=sod_price)

    def new_day(self, *, net: int, settle: Decimal) -> None:
        """Start a trading date: yesterday's position carried at the settle."""
        self.sod_net, self.sod_price, self.net = net, settle, net
        self.buy_qty = self.sell_qty = 0
        self.buy_value = self.sell_value = Decimal(0)
        self.open_avg = settle if net else Decimal(0)
        self.realized = Decimal(0)  # points x contracts

    def fill(self, *, side: str, qty: int, price: Decimal) -> None:
        signed = qty if side == BUY else -qty
        if side == BUY:
            self.buy_qty, self.buy_value = self.buy_qty + qty, self.buy_value + qty * price
        else:
            self.sell_qty, self.sell_value = self.sell_qty + qty, self.sell_value + qty * price
        if self.net == 0 or (self.net > 0) == (signed > 0):
            held = abs(self.net)
            self.open_avg = (self.open_avg * held + price * qty) / (held + qty)
        else:
            closing = min(qty, abs(self.net))
            self.realized += closing * (price - self.open_avg) * (1 if self.net > 0 else -1)
            if qty > closing:
                self.open_avg = price  # the rest opens a position the other way
        self.net += signed
        if self.net == 0:
            self.open_avg = Decimal(0)

    def day_pnl(self, *, mid: Decimal, point_value: int) -> Decimal:
        """Dollars made today: the book at ``mid`` less the settle book and cash spent."""
        points = mid * self.net - self.sod_price * self.sod_net - self.buy_value + self.sell_value
        return points * point_value


class Desk:
    """The account's position in the future and the algo's working orders."""

    def __init__(self, *, rng: random.Random, bid: Decimal, now_ns: int) -> None:
        self._rng = rng
        self.position = Position(sod_net=rng.randrange(100, 250), sod_price=bid)
        self.parent_id = self._new_id()
        self.parent_placed_ns = now_ns
        self.orders: list[WorkingOrder] = []
        for _ in range(3):  # a session already under way: some fills on the day
            ticks = rng.randrange(-8, 9)
            side = BUY if rng.random() < 0.6 else SELL
            self.position.fill(
                side=side, qty=rng.choice((5, 10, 20)), price=bid + ticks * TICK_DECIMAL
            )

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _exec_id(self) -> str:
        return "".join(self._rng.choice(_EXEC_ALPHABET) for _ in range(22))

    def _place(self, *, side: str, kind: str, price: Decimal, qty: int, now_ns: int) -> None:
        order = WorkingOrder(
            order_id=self._new_id(), side=side, order_type=kind, price=price, qty=qty,
            placed_ns=now_ns + self._rng.randrange(1_000_000), exec_id=self._exec_id(),
            terminator=self._rng.choice((50, 62, 236)),
        )  # fmt: skip
        self.orders.append(order)

    def market_moved(self, *, mid: Decimal, now_ns: int) -> None:
        """Fill every order the market crossed, then lay a take-profit for each fill."""
        for order in [o for o in self.orders if o.fills_at(mid)]:
            self.orders.remove(order)
            self.position.fill(side=order.side, qty=order.leaves, price=order.price)
            if order.order_type == LIMIT:
                step = _SPACING * TICK_DECIMAL
                side, price = (
                    (SELL, order.price + step) if order.side == BUY else (BUY, order.price - step)
                )
                if (price > mid) if side == SELL else (price < mid):  # not marketable
                    self._place(side=side, kind=LIMIT, price=price, qty=order.leaves, now_ns=now_ns)
        self._partial_fills(mid=mid, now_ns=now_ns)

    def _partial_fills(self, *, mid: Decimal, now_ns: int) -> None:
        """Orders at the touch trade a little now and then (TT status "2")."""
        half = TICK_DECIMAL / 2
        for order in self.orders:
            at_touch = order.order_type == LIMIT and abs(order.price - mid) == half
            if at_touch and order.leaves > 1 and self._rng.random() < 0.1:
                qty = self._rng.randrange(1, order.leaves)
                order.filled += qty
                order.placed_ns, order.exec_id = now_ns, self._exec_id()
                self.position.fill(side=order.side, qty=qty, price=order.price)

    def orders_refresh(self, *, bid: Decimal, ask: Decimal, now_ns: int) -> None:
        """Cancel stale and surplus orders, then top the ladders up (the algo's housekeeping)."""
        mid = (bid + ask) / 2
        self._cancel_far(mid=mid)
        for side, levels in ((BUY, _BUY_LEVELS), (SELL, _SELL_LEVELS)):
            while self._side_needs(side, levels):
                price = self._next_level(side=side, bid=bid, ask=ask)
                qty = self._size(price, bid, ask)
                self._place(side=side, kind=LIMIT, price=price, qty=qty, now_ns=now_ns)
        stops = [o for o in self.orders if o.order_type == STOP_LIMIT]
        buys = self._limits(BUY)
        if not stops and buys and self._rng.random() < 0.05:
            price = min(buys) - 2 * TICK_DECIMAL
            self._place(side=SELL, kind=STOP_LIMIT, price=price, qty=1, now_ns=now_ns)

    def _cancel_far(self, *, mid: Decimal) -> None:
        """Drop orders the market left behind, and the farthest beyond the per-side cap."""
        near = [o for o in self.orders if abs(o.price - mid) <= _STALE_TICKS * TICK_DECIMAL]
        near.sort(key=lambda o: abs(o.price - mid))
        kept: list[WorkingOrder] = []
        for side in (BUY, SELL):
            kept += [o for o in near if o.side == side][:_MAX_PER_SIDE]
        self.orders = [o for o in self.orders if o in kept]

    def new_day(self, *, settle: Decimal) -> None:
        """A new trading date: the position carries over at the settle, fills start again."""
        self.position.new_day(net=self.position.net, settle=settle)

    def _limits(self, side: str) -> list[Decimal]:
        return [o.price for o in self.orders if o.side == side and o.order_type == LIMIT]

    def _side_needs(self, side: str, levels: int) -> bool:
        count = len(self._limits(side))
        if count >= min(levels, _MAX_PER_SIDE):
            return False
        adds = self.position.net if side == BUY else -self.position.net
        return adds < _POSITION_LIMIT

    def _next_level(self, *, side: str, bid: Decimal, ask: Decimal) -> Decimal:
        step, first = _SPACING * TICK_DECIMAL, _FIRST_LEVEL * TICK_DECIMAL
        prices = self._limits(side)
        if side == BUY:
            if not prices or max(prices) < bid - first - step:
                return bid - first if not prices else max(prices) + step  # close the gap first
            return min(prices) - step
        if not prices or min(prices) > ask + first + step:
            return ask + first if not prices else min(prices) - step
        return max(prices) + step

    @staticmethod
    def _size(price: Decimal, bid: Decimal, ask: Decimal) -> int:
        """10 lots at the first level, doubling with each level away (up to 160)."""
        away = int(max(bid - price, price - ask) / TICK_DECIMAL)
        level = max(0, (away - _FIRST_LEVEL) // _SPACING)
        return 10 * 2 ** min(level, 4)
