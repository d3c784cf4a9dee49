"""The desk's orders fill as the ladder page says they would, and TT's accounting adds up."""

from __future__ import annotations

import random
from decimal import Decimal

from feeds.simulator.desk import BUY, LIMIT, SELL, STOP_LIMIT, Desk, Position

TICK = Decimal(1) / 64
BID = Decimal("111.15625")
HALF = TICK / 2


def desk() -> Desk:
    made = Desk(rng=random.Random(1), bid=BID, now_ns=0)
    made.orders_refresh(bid=BID, ask=BID + TICK, now_ns=0)
    return made


def test_the_algo_lays_buys_under_the_market_with_doubling_sizes() -> None:
    buys = sorted((o for o in desk().orders if o.side == BUY), key=lambda o: -o.price)
    assert [o.qty for o in buys] == [10, 20, 40, 80, 160]
    assert [(BID - o.price) / TICK for o in buys] == [2, 5, 8, 11, 14]


def test_a_buy_limit_fills_at_its_price_once_the_mid_falls_below_it() -> None:
    d = desk()
    top = max((o for o in d.orders if o.side == BUY), key=lambda o: o.price)
    net = d.position.net
    d.market_moved(mid=top.price + HALF, now_ns=1)  # bid at the order: not crossed yet
    assert top in d.orders
    d.market_moved(mid=top.price - HALF, now_ns=2)
    assert top not in d.orders
    assert d.position.net == net + top.qty
    take_profit = [o for o in d.orders if o.side == SELL and o.price == top.price + 3 * TICK]
    assert [o.qty for o in take_profit] == [top.qty]


def test_a_sell_stop_limit_fills_at_its_stop_when_the_market_falls_through() -> None:
    d = desk()
    d.orders.clear()
    d._place(side=SELL, kind=STOP_LIMIT, price=BID - 10 * TICK, qty=1, now_ns=0)
    net = d.position.net
    d.market_moved(mid=BID - 9 * TICK - HALF, now_ns=1)
    assert d.position.net == net
    d.market_moved(mid=BID - 10 * TICK - HALF, now_ns=2)
    assert d.position.net == net - 1
    assert not d.orders


def test_refresh_replaces_filled_levels_and_cancels_orders_left_far_behind() -> None:
    d = desk()
    d.market_moved(mid=BID - 20 * TICK, now_ns=1)  # sweeps most of the buy ladder
    d.orders_refresh(bid=BID - 20 * TICK - HALF, ask=BID - 19 * TICK - HALF, now_ns=2)
    assert len([o for o in d.orders if o.side == BUY and o.order_type == LIMIT]) == 5
    d.orders_refresh(bid=BID + 40 * TICK, ask=BID + 41 * TICK, now_ns=3)  # market ran away
    mid = BID + 40 * TICK + HALF
    assert all(abs(o.price - mid) <= 30 * TICK for o in d.orders)


def test_average_cost_accounting_realizes_against_the_open_price() -> None:
    p = Position(sod_net=10, sod_price=Decimal(110))
    p.fill(side=BUY, qty=10, price=Decimal(111))
    assert p.open_avg == Decimal("110.5")
    assert p.net == 20
    p.fill(side=SELL, qty=5, price=Decimal(112))
    assert p.realized == Decimal("7.5")
    assert p.open_avg == Decimal("110.5")
    p.fill(side=SELL, qty=20, price=Decimal(113))  # through flat: 5 short opened at 113
    assert p.net == -5
    assert p.open_avg == Decimal(113)
    assert p.realized == Decimal("7.5") + 15 * Decimal("2.5")
    # day P&L: everything marked at 113 against the settle book
    assert p.day_pnl(mid=Decimal(113), point_value=1000) == (
        (113 * -5 - 110 * 10 - 111 * 10 + 112 * 5 + 113 * 20) * 1000
    )
