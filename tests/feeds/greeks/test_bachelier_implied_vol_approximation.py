"""The implied-vol solver's fast start (Choi-Kim-Kwak) lands where the bracketed search does."""

from __future__ import annotations

import math

import pytest

from feeds.greeks import _ckk_vol, _solve_vol, _solve_vol_bracketed, _time_value


@pytest.mark.parametrize("years", [1 / 252, 5 / 252, 0.25, 1.0])
@pytest.mark.parametrize("vol", [0.5, 4.4, 12.0])
@pytest.mark.parametrize("standard_deviations", [0.0, 0.3, 1.0, 2.5, 5.0])
def test_the_approximation_is_close_and_the_solution_exact(
    years: float, vol: float, standard_deviations: float
) -> None:
    sqrt_t = math.sqrt(years)
    moneyness = standard_deviations * vol * sqrt_t
    target = _time_value(moneyness=moneyness, spread=vol * sqrt_t)
    assert _ckk_vol(target=target, moneyness=moneyness, sqrt_t=sqrt_t) == pytest.approx(
        vol, rel=1e-8
    )
    solved = _solve_vol(target=target, moneyness=moneyness, sqrt_t=sqrt_t)
    assert solved == pytest.approx(vol, rel=1e-10)
    bracketed = _solve_vol_bracketed(target=target, moneyness=moneyness, sqrt_t=sqrt_t)
    assert solved == pytest.approx(bracketed, rel=1e-10)


def test_far_out_of_the_money_it_falls_back_to_the_bracketed_search() -> None:
    # 9 standard deviations out: a time value of ~1e-20 of the spread, where the
    # approximation alone is not good to 1e-12; the answer must still be right.
    sqrt_t, vol = math.sqrt(0.1), 4.0
    moneyness = 9 * vol * sqrt_t
    target = _time_value(moneyness=moneyness, spread=vol * sqrt_t)
    assert target > 0
    assert _solve_vol(target=target, moneyness=moneyness, sqrt_t=sqrt_t) == pytest.approx(
        vol, rel=1e-9
    )
