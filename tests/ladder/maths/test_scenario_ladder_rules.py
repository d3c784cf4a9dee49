"""The scenario ladder's rules, one at a time, on small hand-made books."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from feeds.records import OrderType, Side, TtOrder, TtPosition
from ladder.scenario import Ladder, LadderRow, scenario_ladder

MakePosition = Callable[..., TtPosition]
MakeOrder = Callable[..., TtOrder]
TICK = Decimal("0.015625")
BUY, SELL = Side.BUY, Side.SELL
LIMIT, STOP, STOP_LIMIT = OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT


def row_at(ladder: Ladder, price: str) -> LadderRow:
    (row,) = (row for row in ladder.rows if row.price == Decimal(price))
    return row


def test_without_orders_pnl_is_linear_in_price(make_position: MakePosition) -> None:
    spot = Decimal("110.3671875")  # between two ticks
    ladder = scenario_ladder(position=make_position(7), orders=[], spot=spot)
    for row in ladder.rows:
        assert row.position == 7
        assert row.pnl == 7 * (row.price - spot) * 1000
        assert row.risk == Decimal("109.375")
        assert row.breakeven == spot  # holding 7, the P&L is back to zero at the spot
        assert (row.buy_qty, row.sell_qty) == (0, 0)


def test_rising_fills_sell_limits_and_buy_stops(
    make_position: MakePosition, make_order: MakeOrder
) -> None:
    orders = [
        make_order(SELL, LIMIT, "110.03125", 5),  # 2 ticks up
        make_order(BUY, STOP, None, 3, stop_price="110.0625"),  # 4 ticks up
    ]
    ladder = scenario_ladder(position=make_position(-10), orders=orders, spot=Decimal(110))
    assert (row_at(ladder, "110.015625").position, row_at(ladder, "110.015625").pnl) == (
        -10,
        Decimal("-156.25"),
    )
    assert row_at(ladder, "110.03125").position == -15
    at_stop = row_at(ladder, "110.0625")
    assert (at_stop.position, at_stop.pnl) == (-12, Decimal("-781.25"))  # -312.5 - 468.75
    assert row_at(ladder, "110.09375").pnl == Decimal("-1156.25")  # then -12 x 2 ticks
    assert (at_stop.buy_qty, row_at(ladder, "110.03125").sell_qty) == (3, 5)
    assert all(row.position == -10 for row in ladder.rows if row.price <= 110)


def test_orders_on_the_wrong_side_never_fill(
    make_position: MakePosition, make_order: MakeOrder
) -> None:
    orders = [
        make_order(BUY, LIMIT, "110.5", 1),  # a buy limit above the market
        make_order(SELL, LIMIT, "109.5", 2),  # a sell limit below it
        make_order(BUY, STOP, None, 4, stop_price="109.5"),  # a buy stop below it
        make_order(SELL, STOP, None, 8, stop_price="110.5"),  # a sell stop above it
    ]
    ladder = scenario_ladder(position=make_position(1), orders=orders, spot=Decimal(110))
    assert {row.position for row in ladder.rows} == {1}
    assert row_at(ladder, "110.5").buy_qty == 1  # still shown where it rests
    assert row_at(ladder, "110.5").sell_qty == 8


def test_stops_fill_at_their_stop_price_not_their_limit(
    make_position: MakePosition, make_order: MakeOrder
) -> None:
    stop_limit = make_order(SELL, STOP_LIMIT, "109.875", 2, stop_price="109.90625")
    ladder = scenario_ladder(position=make_position(0), orders=[stop_limit], spot=Decimal(110))
    assert row_at(ladder, "109.921875").position == 0
    assert row_at(ladder, "109.90625").position == -2
    assert row_at(ladder, "109.90625").sell_qty == 2
    assert row_at(ladder, "109.875").sell_qty == 0
    assert row_at(ladder, "109.875").pnl == Decimal("62.5")  # short 2 for 2 ticks


def test_a_stop_without_a_stop_price_rests_at_its_price(
    make_position: MakePosition, make_order: MakeOrder
) -> None:
    stop = make_order(SELL, STOP, "109.90625", 2)
    ladder = scenario_ladder(position=make_position(0), orders=[stop], spot=Decimal(110))
    assert row_at(ladder, "109.90625").position == -2


def test_an_algo_parent_is_not_counted_with_its_children(
    make_position: MakePosition, make_order: MakeOrder
) -> None:
    # Even given a price and a quantity, a parent is never a resting order.
    parent = make_order(BUY, LIMIT, "109.9375", 50, order_id="parent-1", is_algo_parent=True)
    child = make_order(BUY, LIMIT, "109.9375", 50, parent_order_id="parent-1")
    ladder = scenario_ladder(position=make_position(0), orders=[parent, child], spot=Decimal(110))
    row = row_at(ladder, "109.9375")
    assert (row.position, row.buy_qty) == (50, 50)


def test_orders_that_cannot_fill_here_are_ignored(
    make_position: MakePosition, make_order: MakeOrder
) -> None:
    orders = [
        make_order(BUY, LIMIT, "109.9375", 5, instrument_id="another future"),
        make_order(BUY, OrderType.OTHER, "109.9375", 6),
        make_order(BUY, LIMIT, "109.9375", 0),
        make_order(BUY, LIMIT, "109.9375", None),
        make_order(BUY, LIMIT, None, 7),
    ]
    ladder = scenario_ladder(position=make_position(3), orders=orders, spot=Decimal(110))
    assert {row.position for row in ladder.rows} == {3}
    assert {(row.buy_qty, row.sell_qty) for row in ladder.rows} == {(0, 0)}


def test_orders_at_one_price_add_up(make_position: MakePosition, make_order: MakeOrder) -> None:
    orders = [make_order(BUY, LIMIT, "109.96875", 2), make_order(BUY, LIMIT, "109.96875", 3)]
    ladder = scenario_ladder(position=make_position(0), orders=orders, spot=Decimal(110))
    row = row_at(ladder, "109.96875")
    assert (row.buy_qty, row.position) == (5, 5)


def test_spot_on_a_tick_centres_there_and_orders_at_spot_do_not_fill(
    make_position: MakePosition, make_order: MakeOrder
) -> None:
    orders = [make_order(BUY, LIMIT, "110", 4), make_order(SELL, LIMIT, "110", 9)]
    ladder = scenario_ladder(position=make_position(2), orders=orders, spot=Decimal(110))
    assert ladder.centre == Decimal(110)
    at_spot = ladder.rows[40]
    assert (at_spot.price, at_spot.position, at_spot.pnl) == (Decimal(110), 2, Decimal(0))
    assert (at_spot.buy_qty, at_spot.sell_qty) == (4, 9)
    assert {row.position for row in ladder.rows} == {2}
    assert row_at(ladder, "110.015625").pnl == Decimal("31.25")


def test_zero_projected_position_has_no_breakeven(
    make_position: MakePosition, make_order: MakeOrder
) -> None:
    orders = [make_order(SELL, LIMIT, "110.03125", 5)]
    ladder = scenario_ladder(position=make_position(5), orders=orders, spot=Decimal(110))
    flat = row_at(ladder, "110.0625")
    assert (flat.position, flat.pnl, flat.risk) == (0, Decimal("156.25"), Decimal(0))
    assert flat.breakeven is None
    assert row_at(ladder, "110.015625").breakeven == Decimal(110)
    flat_book = scenario_ladder(position=make_position(0), orders=[], spot=Decimal(110))
    assert {(row.breakeven, row.pnl) for row in flat_book.rows} == {(None, Decimal(0))}


def test_a_losing_short_breaks_even_below_the_level(
    make_position: MakePosition, make_order: MakeOrder
) -> None:
    orders = [make_order(SELL, LIMIT, "110.5", 10)]
    ladder = scenario_ladder(
        position=make_position(-10), orders=orders, spot=Decimal(110), ticks_each_side=64
    )
    row = row_at(ladder, "111")
    assert (row.position, row.pnl) == (-20, Decimal("-15000"))  # -5000 then -10000
    assert row.breakeven == Decimal("110.25")  # the average short price
    assert row.risk == Decimal("-312.5")


def test_more_ticks_each_side_widen_the_ladder(make_position: MakePosition) -> None:
    ladder = scenario_ladder(
        position=make_position(1), orders=[], spot=Decimal(110), ticks_each_side=200
    )
    assert len(ladder.rows) == 401
    assert ladder.rows[0].price == Decimal(110) + 200 * TICK
    assert ladder.rows[-1].price == Decimal(110) - 200 * TICK
    assert ladder.rows[0].display == "113'040"
    assert ladder.rows[-1].pnl == Decimal("-3125")
    single = scenario_ladder(
        position=make_position(1), orders=[], spot=Decimal(110), ticks_each_side=0
    )
    assert [row.price for row in single.rows] == [Decimal(110)]


def test_a_given_centre_moves_the_rows_not_the_spot(make_position: MakePosition) -> None:
    ladder = scenario_ladder(
        position=make_position(1),
        orders=[],
        spot=Decimal(110),
        centre=Decimal(111),
        ticks_each_side=2,
    )
    assert [row.display for row in ladder.rows] == [
        "111'010",
        "111'005",
        "111'000",
        "110'315",
        "110'310",
    ]
    assert ladder.rows[2].pnl == Decimal(1000)


@pytest.mark.parametrize(
    "bad",
    [{"tick_size": Decimal(0)}, {"point_value": Decimal(-1)}, {"ticks_each_side": -1}],
)
def test_it_refuses_a_nonsense_grid(make_position: MakePosition, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="positive"):
        scenario_ladder(position=make_position(1), orders=[], spot=Decimal(110), **bad)
