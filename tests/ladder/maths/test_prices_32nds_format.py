"""Prices in TT's 32nds: whole points, ', two digits of 32nds, a quarter digit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ladder.prices import is_on_32nds_grid, price_to_32nds


@pytest.mark.parametrize(
    ("price", "shown"),
    [
        ("110.171875", "110'055"),  # FEEDS.md's examples
        ("110.3125", "110'100"),
        ("110.046875", "110'015"),
        ("110.125", "110'040"),
        ("110", "110'000"),
        ("110.000000", "110'000"),
        ("110.2578125", "110'082"),  # 8.25/32
        ("110.265625", "110'085"),  # 8.5/32
        ("110.2734375", "110'087"),  # 8.75/32
        ("110.984375", "110'315"),  # 31.5/32: the last tick below 111
        ("0.015625", "0'005"),  # one tick of an option
        ("0", "0'000"),
    ],
)
def test_it_writes_prices_on_the_grid_in_32nds(price: str, shown: str) -> None:
    assert price_to_32nds(Decimal(price)) == shown


def test_it_writes_negative_prices_as_sign_and_magnitude() -> None:
    assert price_to_32nds(Decimal("-0.046875")) == "-0'015"
    assert price_to_32nds(Decimal("-1.5")) == "-1'160"


@pytest.mark.parametrize(
    ("price", "shown"),
    [
        (".0069999", "0.0069999"),  # an Actant cabinet price below one tick
        ("110.20089285714286", "110.20089285714286"),  # TT's avgBuy
        ("0.0010", "0.001"),
        ("-0.003", "-0.003"),
    ],
)
def test_it_writes_prices_off_the_grid_as_plain_decimals(price: str, shown: str) -> None:
    assert price_to_32nds(Decimal(price)) == shown
    assert "'" not in shown  # no apostrophe is the marker of a non-32nds price


def test_it_does_not_round_a_cabinet_price_onto_the_grid() -> None:
    assert price_to_32nds(Decimal(".0069999")) != price_to_32nds(Decimal("0.0078125"))


def test_strict_mode_refuses_prices_off_the_grid() -> None:
    with pytest.raises(ValueError, match="1/128"):
        price_to_32nds(Decimal(".0069999"), strict=True)
    assert price_to_32nds(Decimal("110.125"), strict=True) == "110'040"


def test_a_tiny_distance_from_the_grid_is_not_lost_to_rounding() -> None:
    price = Decimal("110.0000000000000000000000000001")  # 31 digits: beyond the default 28
    assert not is_on_32nds_grid(price)
    assert price_to_32nds(price) == "110.0000000000000000000000000001"


@pytest.mark.parametrize("price", ["NaN", "Infinity", "-Infinity"])
def test_it_refuses_what_is_not_a_price(price: str) -> None:
    with pytest.raises(ValueError, match="not a price"):
        price_to_32nds(Decimal(price))
