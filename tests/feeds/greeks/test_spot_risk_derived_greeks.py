"""The worker's Greeks for a spot-risk file are the model's, row by row.

Deriving a file takes a faster path through the model (``greeks_from_price``:
floats, per-expiry years worked out once) than the model's own functions,
``implied_normal_vol`` then ``greeks_at_vol``; both must give the same numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeds.derive import MarketInputs, file_derive
from feeds.greeks import Greeks, greeks_at_vol, implied_normal_vol, vtexp_days_to_years
from feeds.parsers import file_parse

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "actant"
SPOT_RISK = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv"
VTEXP = "actant/vtexp/2025-07-21/vtexp_20250721_203256.csv"


@pytest.fixture(scope="module")
def derived_and_parsed():
    spot = file_parse(
        key=SPOT_RISK, data=(SAMPLES / "bav_analysis_20250721_203007.csv").read_bytes()
    )
    vtexp = file_parse(key=VTEXP, data=(SAMPLES / "vtexp_20250721_203256.csv").read_bytes())
    days = {row.expiry: row.days for row in vtexp.vtexp}
    return file_derive(spot, market=MarketInputs(vtexp_days=days)), spot, days


def test_every_option_with_a_theo_gets_the_models_greeks(derived_and_parsed):
    derived, spot, days = derived_and_parsed
    future = next(r for r in spot.spot_risk if r.itype == "F")
    compared = 0
    for row in spot.spot_risk:
        if row.itype not in ("C", "P"):
            continue
        shown = json.loads(derived.rows[row.key])["greeks"]
        model = _model(row, future.mid, days)
        if model is None:
            assert shown is None, row.key
            continue
        compared += 1
        for name in ("vol", "delta", "gamma", "vega", "theta"):
            assert shown[name] == pytest.approx(getattr(model, name), abs=1e-8), (row.key, name)
    assert compared > 50  # the sample's priced options, not a vacuous pass


def test_an_option_without_a_theo_has_no_greeks_rather_than_zeros(derived_and_parsed):
    derived, spot, _ = derived_and_parsed
    unpriced = [r.key for r in spot.spot_risk if r.itype in ("C", "P") and r.theo is None]
    assert unpriced
    assert all(json.loads(derived.rows[key])["greeks"] is None for key in unpriced)


def _model(row, forward, days) -> Greeks | None:
    if row.expiry not in days or row.theo is None:
        return None
    market = {
        "forward": forward,
        "strike": row.strike,
        "years": vtexp_days_to_years(days[row.expiry]),
        "is_call": row.itype == "C",
    }
    vol = implied_normal_vol(price=row.theo, **market)
    return None if vol is None else greeks_at_vol(vol=vol, **market)
