"""Implied normal vol: round trips, bad market data, and the desk's sample."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import Any

import pytest

from feeds.greeks import bachelier_price, implied_normal_vol, vtexp_days_to_years

# XCME.ZN.SEP25 bid/ask and the AUG25 options in bav_analysis_20250721_203007.csv
SEP25_MID = (Decimal("111.1562500") + Decimal("111.1718750")) / 2
AUG25_YEARS = vtexp_days_to_years(Decimal("3.832639"))


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize(
    ("forward", "strike", "vol", "years"),
    [
        (110.0, 110.0, 5.0, 0.1),
        (111.1640625, 110.25, 4.7, 3.832639 / 252),
        (108.0, 112.25, 6.0, 0.5),
        (110.5, 110.0, 0.3, 1.0),
        (110.0, 113.0, 30.0, 0.002),
    ],
)
def test_it_recovers_the_vol_that_made_the_price(
    forward: float, strike: float, vol: float, years: float, is_call: bool
) -> None:
    price = bachelier_price(forward=forward, strike=strike, vol=vol, years=years, is_call=is_call)
    solved = implied_normal_vol(
        price=price, forward=forward, strike=strike, years=years, is_call=is_call
    )
    assert solved == pytest.approx(vol, rel=1e-9)


def test_it_round_trips_over_a_wide_range_of_markets() -> None:
    rng = random.Random(20250721)
    for _ in range(2000):
        forward, years = 110 + rng.uniform(-4, 4), rng.uniform(0.001, 1.0)
        vol, is_call = rng.uniform(0.5, 15.0), rng.random() < 0.5
        price = bachelier_price(forward=forward, strike=110, vol=vol, years=years, is_call=is_call)
        intrinsic = max(forward - 110, 0) if is_call else max(110 - forward, 0)
        if price - intrinsic < 1e-9:  # no time value left to read a vol from
            continue
        solved = implied_normal_vol(
            price=price, forward=forward, strike=110, years=years, is_call=is_call
        )
        assert solved == pytest.approx(vol, rel=1e-6)


def test_the_sample_call_has_a_finite_positive_vol() -> None:
    vol = implied_normal_vol(
        price=Decimal(".9283016"),
        forward=SEP25_MID,
        strike=Decimal("110.25"),
        years=AUG25_YEARS,
        is_call=True,
    )
    assert vol is not None
    assert math.isfinite(vol)
    assert 4.6 < vol < 4.8  # points per sqrt(year): about 30 bp a day of yield


def test_the_sample_put_at_the_same_strike_has_the_same_vol() -> None:
    # Actant's theos obey zero-rate parity exactly: .9283016 - .0142391 = F - K.
    args: dict[str, Any] = {"forward": SEP25_MID, "strike": Decimal("110.25"), "years": AUG25_YEARS}
    call = implied_normal_vol(price=Decimal(".9283016"), is_call=True, **args)
    put = implied_normal_vol(price=Decimal(".0142391"), is_call=False, **args)
    assert call == pytest.approx(put, rel=1e-9)


@pytest.mark.parametrize(
    ("price", "is_call", "actant_iv"),
    [
        (".9218750", True, 417.3747239),  # IVBID of XCME.OZN.AUG25.110:25.C
        (".0069999", False, 409.1675508),  # IVBID of the put: a cabinet bid
    ],
)
def test_vols_are_one_hundredth_of_actants_ivs(price: str, is_call: bool, actant_iv: float) -> None:
    vol = implied_normal_vol(
        price=Decimal(price),
        forward=SEP25_MID,
        strike=Decimal("110.25"),
        years=AUG25_YEARS,
        is_call=is_call,
    )
    assert vol == pytest.approx(actant_iv / 100, rel=2e-3)


@pytest.mark.parametrize(
    ("price", "forward", "strike", "years", "is_call"),
    [
        (0.5, 111.0, 110.0, 0.1, True),  # below intrinsic (1.0)
        (1.0, 111.0, 110.0, 0.1, True),  # exactly intrinsic: no time value
        (0.0, 100.0, 110.0, 0.1, True),  # worthless: no vol to read
        (-0.1, 110.0, 110.0, 0.1, False),  # negative price
        (0.5, 110.0, 110.0, 0.0, True),  # expired
        (0.5, 110.0, 110.0, -0.01, True),  # past expiry
        (math.nan, 110.0, 110.0, 0.1, True),
        (0.5, math.inf, 110.0, 0.1, True),
        (0.5, 110.0, 110.0, math.nan, False),
        (Decimal("NaN"), 110.0, 110.0, 0.1, True),
    ],
)
def test_it_returns_none_instead_of_raising_on_bad_market_data(
    price: float, forward: float, strike: float, years: float, is_call: bool
) -> None:
    assert (
        implied_normal_vol(
            price=price, forward=forward, strike=strike, years=years, is_call=is_call
        )
        is None
    )


def test_a_huge_price_gives_a_huge_but_finite_vol() -> None:
    vol = implied_normal_vol(price=50.0, forward=110, strike=110, years=0.1, is_call=True)
    assert vol is not None
    assert bachelier_price(forward=110, strike=110, vol=vol, years=0.1, is_call=True) == (
        pytest.approx(50.0, rel=1e-10)
    )
