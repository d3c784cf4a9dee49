"""The vectorised grid (puts through parity on the sums, expiries as blocks, erf for the
normal CDF) gives what pricing each option on its own gives, to the cent: every level,
vol shift and expiry, with some options expiring within the days forward."""

from __future__ import annotations

import random

import pytest

from feeds.greeks import bachelier_price, greeks_at_vol
from ladder.book import POINT_VALUE, TRADING_DAYS_PER_YEAR, book_from_rows, book_slide

SPOT = 111.1640625
EXPIRY_DAYS = {"22JUL25": 0.728472, "24JUL25": 2.728472, "AUG25": 3.832639, "SEP25": 24.5}


def _rows(count: int) -> dict[str, dict]:
    rng = random.Random(11)
    rows = {}
    for i in range(count):
        expiry = rng.choice(list(EXPIRY_DAYS))
        strike = round((SPOT + rng.uniform(-3, 3)) * 4) / 4
        itype = rng.choice("CP")
        rows[str(i)] = {
            "key": f"XCME.OZN.{expiry}.{strike}.{itype}.{i}",
            "itype": itype,
            "strike": str(strike),
            "expiry": expiry,
            "position": rng.choice([-40, -7, 3, 25]),
            "greeks": {"vol": rng.uniform(4.0, 15.0)},
        }
    return rows


def _value(*, level: float, strike: float, vol: float, years: float, call: bool) -> float:
    if years <= 0:
        return max(level - strike, 0.0) if call else max(strike - level, 0.0)
    return bachelier_price(forward=level, strike=strike, vol=vol, years=years, is_call=call)


@pytest.mark.parametrize("days", [0.0, 1.5, 3.0])  # 1.5 and 3: one and two expiries past
def test_every_cell_is_the_sum_of_the_options_priced_one_by_one(days: float) -> None:
    book = book_from_rows(spot=SPOT, spot_rows=_rows(60), vtexp_days=EXPIRY_DAYS)
    levels = [SPOT + k / 64 for k in (-200, -64, -8, 0, 3, 64, 200)]
    shifts = [-0.5, 0.0, 0.3]
    slide = book_slide(book, levels=levels, vol_shifts=shifts, days_forward=days, by_expiry=True)
    options = list(
        zip(
            book.expiries,
            book.strike,
            book.is_call,
            book.position,
            book.vol,
            book.years,
            strict=True,
        )
    )
    for i, level in enumerate(levels):
        for j, shift in enumerate(shifts):
            by_expiry: dict[str, float] = {}
            delta = 0.0
            for expiry, k, call, pos, vol, years in options:
                later = max(years - days / TRADING_DAYS_PER_YEAR, 0.0)
                now = _value(level=SPOT, strike=k, vol=vol, years=years, call=bool(call))
                then = _value(
                    level=level, strike=k, vol=vol * (1 + shift), years=later, call=bool(call)
                )
                by_expiry[expiry] = by_expiry.get(expiry, 0.0) + pos * (then - now) * POINT_VALUE
                if later > 0:
                    delta += (
                        pos
                        * greeks_at_vol(
                            forward=level,
                            strike=k,
                            years=later,
                            vol=vol * (1 + shift),
                            is_call=bool(call),
                        ).delta
                    )
                else:
                    delta += pos * ((level > k) - (0 if call else 1))
            assert slide.pnl[i, j] == pytest.approx(sum(by_expiry.values()), abs=0.01)
            assert slide.delta[i, j] == pytest.approx(delta, abs=1e-9)
            for expiry, dollars in by_expiry.items():
                assert slide.pnl_by_expiry[expiry][i, j] == pytest.approx(dollars, abs=0.01)
