"""Reading 32nds as TT and CME write them, back to exact decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ladder.prices import parse_32nds, price_to_32nds


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("110'085", "110.265625"),  # TT
        ("110-08.5", "110.265625"),  # CME with a decimal half
        ("110-085", "110.265625"),  # CME with a digit
        ("110-08+", "110.265625"),  # CME's + for a half
        ("110'082", "110.2578125"),
        ("110-08.25", "110.2578125"),
        ("110'087", "110.2734375"),
        ("110-08.75", "110.2734375"),
        ("110'08", "110.25"),
        ("110'080", "110.25"),
        ("110'000", "110"),
        ("  110'055 ", "110.171875"),
        ("-0'015", "-0.046875"),
    ],
)
def test_it_reads_32nds(text: str, price: str) -> None:
    assert parse_32nds(text) == Decimal(price)


@pytest.mark.parametrize("text", ["0.0069999", ".0069999", "110.265625", "110", "-0.5"])
def test_it_reads_plain_decimals_as_well(text: str) -> None:
    assert parse_32nds(text) == Decimal(text)


@pytest.mark.parametrize(
    "text", ["", "110'", "110'32", "110'083", "110'08.3", "110''08", "abc", "1e5", "110-8"]
)
def test_it_refuses_what_is_not_a_price(text: str) -> None:
    with pytest.raises(ValueError, match=r"32nds|price"):
        parse_32nds(text)


@pytest.mark.parametrize(
    "price", ["110.171875", "109.984375", "0.0069999", "-0.046875", "110.2578125", "0"]
)
def test_what_it_writes_it_reads_back_exactly(price: str) -> None:
    assert parse_32nds(price_to_32nds(Decimal(price))) == Decimal(price)


def test_every_128th_of_a_point_round_trips() -> None:
    for n in range(-256, 128 * 3):
        price = Decimal(110) + Decimal(n) / 128
        assert parse_32nds(price_to_32nds(price)) == price
