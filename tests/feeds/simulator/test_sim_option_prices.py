"""Option prices sit on the 1/64 grid and agree with the future they are priced off."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from feeds.simulator.pricing import CABINET, TICK, bachelier, implied_vol, quote_prices

Rows = Callable[[bytes], list[list[str]]]
GRID = Decimal(64)


def price(cell: str) -> Decimal | None:
    return None if cell in ("", "INVALID") else Decimal(cell)


def on_grid_or_cabinet(value: Decimal) -> bool:
    return value == Decimal(".0069999") or (value * GRID) == (value * GRID).to_integral_value()


@pytest.fixture
def snapshots(run, rows_of: Rows) -> list[list[list[str]]]:
    _, files = run(120, layout="single")
    return [rows_of(f.body)[2:] for _, f in files if "spot-risk" in f.key]


def test_bids_and_offers_are_on_the_tick_grid_or_the_cabinet(snapshots) -> None:
    for rows in snapshots:
        for row in rows:
            for cell in row[1:3]:
                value = price(cell)
                assert value is None or on_grid_or_cabinet(value), row


def test_the_bid_is_below_the_offer_and_the_theo_between_them(snapshots) -> None:
    for rows in snapshots:
        for row in rows:
            bid, ask, theo = price(row[1]), price(row[2]), price(row[5])
            if bid is not None and ask is not None:
                assert bid < ask, row
            if theo is not None:
                assert bid is None or bid <= theo + Decimal("1e-7"), row
                assert ask is None or theo <= ask + Decimal("1e-7"), row


def test_the_future_is_quoted_one_tick_wide_on_the_grid(snapshots) -> None:
    for rows in snapshots:
        future = next(r for r in rows if r[4] == "F")
        bid, ask = Decimal(future[1]), Decimal(future[2])
        assert ask - bid == Decimal(1) / GRID
        assert on_grid_or_cabinet(bid)


def test_call_minus_put_is_the_future_minus_the_strike(snapshots) -> None:
    rows = snapshots[-1]
    future = next(r for r in rows if r[4] == "F")
    forward = (Decimal(future[1]) + Decimal(future[2])) / 2
    by_key = {r[0]: r for r in rows}
    checked = 0
    for key, call in by_key.items():
        put = by_key.get(key[:-1] + "P")
        if not key.endswith(".C") or put is None:
            continue
        if None in (price(call[1]), price(call[2]), price(put[1]), price(put[2])):
            continue
        if Decimal(".0069999") in (price(call[1]), price(put[1])):
            continue  # a cabinet bid is not a tradable price
        parity = forward - Decimal(call[3])
        call_mid = (Decimal(call[1]) + Decimal(call[2])) / 2
        put_mid = (Decimal(put[1]) + Decimal(put[2])) / 2
        assert abs(call_mid - put_mid - parity) <= 2 * Decimal(1) / GRID, key
        assert abs(Decimal(call[5]) - Decimal(put[5]) - parity) < Decimal("1e-6"), key
        checked += 1
    assert checked >= 20


def test_implied_vols_are_in_actants_units(snapshots) -> None:
    rows = snapshots[0]
    future = next(r for r in rows if r[4] == "F")
    forward = (Decimal(future[1]) + Decimal(future[2])) / 2
    near = [
        r for r in rows if r[4] in "CP" and r[8] and abs(Decimal(r[3]) - forward) < Decimal("0.3")
    ]
    assert near
    for row in near:
        assert 300 < float(row[8]) < 700, row  # ATM normal vol x 100, like the samples' 431-480


def test_a_bid_below_intrinsic_has_no_implied_vol(snapshots) -> None:
    rows = snapshots[0]
    future = next(r for r in rows if r[4] == "F")
    forward = (Decimal(future[1]) + Decimal(future[2])) / 2
    for row in rows:
        if row[4] not in "CP" or price(row[1]) is None:
            continue
        strike = Decimal(row[3])
        intrinsic = max(forward - strike if row[4] == "C" else strike - forward, Decimal(0))
        if Decimal(row[1]) <= intrinsic:
            assert row[6] == "", row


def test_the_bachelier_price_matches_the_samples_quote() -> None:
    # OZN AUG25 111 C in the sample: future 111.1640625, 3.83 days, IV 431.45 -> .2969/.3125
    value = bachelier(forward=111.1640625, strike=111, vol=4.3145, years=3.8326 / 252, is_call=True)
    assert 0.2969 < value < 0.3125


def test_implied_vol_inverts_the_price() -> None:
    value = bachelier(forward=111.2, strike=112.5, vol=5.5, years=5 / 252, is_call=False)
    found = implied_vol(price=value, forward=111.2, strike=112.5, years=5 / 252, is_call=False)
    assert found == pytest.approx(5.5, rel=1e-9)


@pytest.mark.parametrize("theo", [0.0001, 0.002, 0.009, 0.0117, 0.05, 0.9283016, 1.7])
def test_quotes_bracket_the_theo(theo: float) -> None:
    import random

    rng = random.Random(1)
    for _ in range(50):
        quote = quote_prices(theo=theo, rng=rng)
        if quote.bid is not None:
            assert quote.bid <= theo
            assert quote.bid == CABINET or (quote.bid / TICK).is_integer()
        if quote.ask is not None:
            assert quote.ask >= theo
            assert quote.ask == CABINET or (quote.ask / TICK).is_integer()


def test_quotes_stand_while_the_future_stands(run, rows_of) -> None:
    # A quiet market for ten seconds: the screen barely changes, as a real one would.
    _, files = run(10, step=1.0, layout="single", move_probability=0.0)
    singles = [f for _, f in files if "spot-risk" in f.key]
    first, last = (
        {row[0]: row[1:3] for row in rows_of(body.body)[2:] if row[4] in "CP"}
        for body in (singles[0], singles[-1])
    )
    priced = [key for key, (bid, ask) in first.items() if bid != "INVALID" and ask != "INVALID"]
    unchanged = sum(first[key] == last[key] for key in priced)
    assert len(singles) >= 5
    assert unchanged >= 0.9 * len(priced)
