"""Bachelier Greeks: identities, finite differences and the desk's sample."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from feeds.greeks import (
    TRADING_DAYS_PER_YEAR,
    bachelier_price,
    greeks_at_vol,
    option_greeks,
    vtexp_days_to_years,
)

MARKETS = [(110.0, 110.0, 5.0, 0.1), (111.1640625, 110.25, 4.7, 0.0152), (108.0, 112.25, 6, 0.5)]


def price(forward: float, strike: float, vol: float, years: float, is_call: bool) -> float:
    return bachelier_price(forward=forward, strike=strike, vol=vol, years=years, is_call=is_call)


@pytest.mark.parametrize(("forward", "strike", "vol", "years"), MARKETS)
def test_call_delta_minus_put_delta_is_one(
    forward: float, strike: float, vol: float, years: float
) -> None:
    call = greeks_at_vol(forward=forward, strike=strike, years=years, vol=vol, is_call=True)
    put = greeks_at_vol(forward=forward, strike=strike, years=years, vol=vol, is_call=False)
    assert call.delta - put.delta == pytest.approx(1.0, abs=1e-15)
    assert 0 < call.delta < 1
    assert -1 < put.delta < 0
    # gamma, vega and theta do not depend on the side (parity is linear in F)
    assert (call.gamma, call.vega, call.theta) == pytest.approx((put.gamma, put.vega, put.theta))


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize(("forward", "strike", "vol", "years"), MARKETS)
def test_greeks_are_the_slopes_of_the_price(
    forward: float, strike: float, vol: float, years: float, is_call: bool
) -> None:
    g = greeks_at_vol(forward=forward, strike=strike, years=years, vol=vol, is_call=is_call)
    h, dv, day = 1e-4, 1e-5, 1 / TRADING_DAYS_PER_YEAR
    up, mid = (
        price(forward + h, strike, vol, years, is_call),
        price(forward, strike, vol, years, is_call),
    )
    down = price(forward - h, strike, vol, years, is_call)
    assert g.delta == pytest.approx((up - down) / (2 * h), rel=1e-6)
    assert g.gamma == pytest.approx((up - 2 * mid + down) / h**2, rel=1e-3)
    vega = (
        price(forward, strike, vol + dv, years, is_call)
        - price(forward, strike, vol - dv, years, is_call)
    ) / (2 * dv)
    assert g.vega == pytest.approx(vega, rel=1e-6)
    # theta is the price change over one trading day, as a rate at this instant
    decay = (price(forward, strike, vol, years - 1e-7, is_call) - mid) / 1e-7 * day
    assert g.theta == pytest.approx(decay, rel=1e-4)
    assert g.theta < 0


def test_at_the_money_greeks_have_their_closed_forms() -> None:
    g = greeks_at_vol(forward=110, strike=110, years=0.25, vol=5.0, is_call=True)
    assert g.delta == pytest.approx(0.5)
    assert g.vega == pytest.approx(math.sqrt(0.25 / (2 * math.pi)))
    assert g.gamma == pytest.approx(1 / (5.0 * 0.5 * math.sqrt(2 * math.pi)))
    assert g.theta == pytest.approx(-5.0 / (2 * 0.5 * math.sqrt(2 * math.pi)) / 252)


def test_the_sample_call_has_sensible_greeks() -> None:
    forward = (Decimal("111.1562500") + Decimal("111.1718750")) / 2
    g = option_greeks(
        forward=forward,
        strike=Decimal("110.25"),
        years=vtexp_days_to_years(Decimal("3.832639")),
        price=Decimal(".9283016"),
        is_call=True,
    )
    assert g is not None
    assert 4.6 < g.vol < 4.8
    assert 0.9 < g.delta < 1.0  # 29 ticks in the money, four trading days left
    assert g.gamma > 0
    assert g.vega > 0
    assert -0.02 < g.theta < 0  # loses under a third of a tick a day


def test_greeks_use_the_implied_vol_of_the_price() -> None:
    g = option_greeks(forward=110, strike=110, years=0.1, price=0.6, is_call=False)
    assert g is not None
    assert price(110, 110, g.vol, 0.1, False) == pytest.approx(0.6, rel=1e-12)


@pytest.mark.parametrize(
    "changes",
    [{"price": None}, {"price": 0.2}, {"years": 0.0}, {"price": math.nan}],  # 0.2 < intrinsic
)
def test_no_greeks_without_a_usable_price(changes: dict[str, Any]) -> None:
    inputs: dict[str, Any] = {
        "forward": 111.0,
        "strike": 110.75,
        "years": 0.1,
        "price": 0.4,
    }
    assert option_greeks(is_call=True, **(inputs | changes)) is None


def test_greeks_at_no_vol_or_time_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="positive"):
        greeks_at_vol(forward=110, strike=110, years=0.0, vol=5, is_call=True)
