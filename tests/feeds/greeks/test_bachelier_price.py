"""Bachelier prices of options on futures (zero rate)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from feeds.greeks import bachelier_price, vtexp_days_to_years

CASES = [
    (110.0, 110.0, 5.0, 0.1),
    (111.1640625, 110.25, 4.7, 3.832639 / 252),
    (108.0, 112.25, 6.0, 0.5),
    (112.0, 100.0, 0.5, 0.01),  # deep in the money
    (100.0, 112.0, 0.5, 0.01),  # deep out of the money
]


@pytest.mark.parametrize(("forward", "strike", "vol", "years"), CASES)
def test_call_minus_put_is_forward_minus_strike(
    forward: float, strike: float, vol: float, years: float
) -> None:
    call = bachelier_price(forward=forward, strike=strike, vol=vol, years=years, is_call=True)
    put = bachelier_price(forward=forward, strike=strike, vol=vol, years=years, is_call=False)
    assert call - put == pytest.approx(forward - strike, abs=1e-12)


@pytest.mark.parametrize(("vol", "years"), [(5.0, 0.1), (4.7, 0.0152), (0.3, 2.0)])
def test_at_the_money_price_is_vol_times_root_t_over_2_pi(vol: float, years: float) -> None:
    price = bachelier_price(forward=110, strike=110, vol=vol, years=years, is_call=True)
    assert price == pytest.approx(vol * math.sqrt(years / (2 * math.pi)), rel=1e-14)


def test_near_the_money_price_follows_the_atm_approximation() -> None:
    # C ~ s/sqrt(2 pi) + (F - K)/2 for |F - K| much smaller than s = vol x sqrt(T)
    price = bachelier_price(forward=110.01, strike=110, vol=5.0, years=0.25, is_call=True)
    assert price == pytest.approx(2.5 / math.sqrt(2 * math.pi) + 0.005, abs=1e-5)


def test_with_no_time_or_vol_the_price_is_intrinsic() -> None:
    assert bachelier_price(forward=111, strike=110, vol=5, years=0, is_call=True) == 1.0
    assert bachelier_price(forward=111, strike=110, vol=0, years=1, is_call=False) == 0.0


def test_far_out_of_the_money_price_is_tiny_and_never_negative() -> None:
    price = bachelier_price(forward=100, strike=130, vol=1.0, years=0.01, is_call=True)
    assert 0.0 <= price < 1e-300


def test_it_takes_decimals_from_the_feeds() -> None:
    as_decimals = bachelier_price(
        forward=Decimal("110.5"), strike=Decimal("110"), vol=Decimal(5), years=0.1, is_call=True
    )
    assert as_decimals == bachelier_price(forward=110.5, strike=110, vol=5, years=0.1, is_call=True)


def test_negative_vol_or_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        bachelier_price(forward=110, strike=110, vol=-1, years=0.1, is_call=True)


def test_vtexp_days_are_years_of_252_trading_days() -> None:
    assert vtexp_days_to_years(Decimal("3.832639")) == pytest.approx(3.832639 / 252)
    assert vtexp_days_to_years(252) == 1.0
