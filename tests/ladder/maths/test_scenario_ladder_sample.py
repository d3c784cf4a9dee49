"""The scenario ladder on TT's sample position and working orders (FEEDS.md).

Position 219 long at spot 110.3671875 (TT's pnlPrice); child buy limits of
10 @ 110'100, 20 @ 110'085, 40 @ 110'070, 80 @ 110'055 and 160 @ 110'040; a
sell stop limit of 1 with stop 110'015; and the algo parent, which rests
nowhere.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest

from feeds.records import TtOrder, TtPosition
from ladder.scenario import Ladder, LadderRow, scenario_ladder

SPOT = Decimal("110.3671875")


@pytest.fixture
def ladder(tt_sample_position: TtPosition, tt_sample_orders: tuple[TtOrder, ...]) -> Ladder:
    assert tt_sample_position.pnl_price == SPOT
    return scenario_ladder(position=tt_sample_position, orders=tt_sample_orders, spot=SPOT)


def row_at(ladder: Ladder, price: str) -> LadderRow:
    (row,) = (row for row in ladder.rows if row.price == Decimal(price))
    return row


def test_at_110_040_all_five_buy_limits_have_filled(ladder: Ladder) -> None:
    row = row_at(ladder, "110.125")
    assert row.display == "110'040"
    assert row.position == 529  # 219 + 10 + 20 + 40 + 80 + 160
    assert row.pnl == Decimal("-65226.5625")
    assert row.risk == Decimal("8265.625")
    assert row.buy_qty == 160
    assert row.sell_qty == 0


def test_at_110_015_the_sell_stop_limit_has_triggered(ladder: Ladder) -> None:
    row = row_at(ladder, "110.046875")
    assert row.display == "110'015"
    assert row.position == 528
    assert row.pnl == Decimal("-106554.6875")  # -65226.5625 + 529 x -0.078125 x 1000
    assert row.risk == Decimal("8250")
    assert row.sell_qty == 1  # the stop rests at its stop price


def test_the_first_buy_limit_fills_at_its_own_price(ladder: Ladder) -> None:
    row = row_at(ladder, "110.3125")
    assert (row.position, row.pnl) == (229, Decimal("-11976.5625"))  # 219 x -0.0546875 x 1000
    above = row_at(ladder, "110.328125")
    assert (above.position, above.pnl) == (219, Decimal("-8554.6875"))


def test_above_spot_nothing_fills_and_pnl_is_linear(ladder: Ladder) -> None:
    row = row_at(ladder, "110.375")
    assert (row.position, row.pnl) == (219, Decimal("1710.9375"))  # 219 x half a tick
    top = ladder.rows[0]
    assert top.position == 219
    assert top.pnl == 219 * (top.price - SPOT) * 1000


def test_the_algo_parent_adds_no_quantity(ladder: Ladder) -> None:
    assert sum(row.buy_qty for row in ladder.rows) == 310
    assert sum(row.sell_qty for row in ladder.rows) == 1
    assert ladder.rows[-1].position == 528


def test_breakeven_holding_the_projected_position(ladder: Ladder) -> None:
    row = row_at(ladder, "110.125")
    assert row.breakeven is not None
    # Holding 529 from 110.125, the -65226.5625 is made back 65226.5625/529000 higher.
    assert abs(row.breakeven - (Decimal("110.125") + Decimal("65226.5625") / 529000)) < Decimal(
        "1e-10"
    )
    assert row_at(ladder, "110.5").breakeven == SPOT  # no fills: back at the spot


def test_it_has_one_row_per_tick_centred_on_the_nearest_tick(ladder: Ladder) -> None:
    assert len(ladder.rows) == 81
    assert ladder.centre == Decimal("110.375")  # spot is 23.5 ticks above 110: half up
    assert ladder.rows[40].price == ladder.centre
    prices = [row.price for row in ladder.rows]
    assert all(high - low == Decimal("0.015625") for high, low in pairwise(prices))


def test_the_header_carries_tt_figures(ladder: Ladder, tt_sample_position: TtPosition) -> None:
    assert ladder.net_position == 219
    assert ladder.sod_net_position == 169
    assert ladder.open_avg_price == tt_sample_position.open_avg_price
    assert ladder.tt_pnl == tt_sample_position.pnl
    assert ladder.realized_pnl == tt_sample_position.realized_pnl
    assert ladder.spot == SPOT
    assert ladder.tick_value == Decimal("15.625")
