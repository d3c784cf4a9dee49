"""Counting and rounding to ticks exactly."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import pytest

from ladder.prices import round_to_tick, ticks_between

TICK = Decimal("0.015625")


def test_it_counts_whole_ticks_with_a_sign() -> None:
    assert ticks_between(start=Decimal("110.125"), end=Decimal("110.3125"), tick=TICK) == 12
    assert ticks_between(start=Decimal("110.3125"), end=Decimal("110.125"), tick=TICK) == -12
    assert ticks_between(start=Decimal("110"), end=Decimal("110"), tick=TICK) == 0


def test_it_refuses_a_distance_that_is_not_whole_ticks() -> None:
    with pytest.raises(ValueError, match="whole number"):
        ticks_between(start=Decimal("110"), end=Decimal("110.3671875"), tick=TICK)


def test_it_refuses_a_tick_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ticks_between(start=Decimal(0), end=Decimal(1), tick=Decimal(0))
    with pytest.raises(ValueError, match="positive"):
        round_to_tick(price=Decimal(1), tick=Decimal(-1))


def test_it_rounds_to_the_nearest_tick_and_half_ticks_up() -> None:
    spot = Decimal("110.3671875")  # TT's pnlPrice: 23.5 ticks above 110
    assert round_to_tick(price=spot, tick=TICK) == Decimal("110.375")
    assert round_to_tick(price=spot, tick=TICK, rounding=ROUND_FLOOR) == Decimal("110.359375")
    assert round_to_tick(price=Decimal("110.37"), tick=TICK) == Decimal("110.375")
    assert round_to_tick(price=Decimal("110.125"), tick=TICK) == Decimal("110.125")
