"""Option prices and quotes: Bachelier (normal) model on the ZN future.

Actant's implied volatilities are normal vols in price points per year times
100 (an at-the-money ZN vol of 4.4 points a year prints as 440), with years =
vtexp trading days / 252. Calibrated against the samples: OZN AUG25 111 C with
the future at 111.164, 3.83 days and IV 431.45 is worth .3047, as quoted.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

TICK = 0.015625  # 1/64 of a point
CABINET = 0.0069999  # Actant's price for a bid or offer below one tick
IV_SCALE = 100.0  # Actant IV units per point of normal vol a year
TRADING_DAYS_PER_YEAR = 252.0
# Below these theoretical values nobody quotes a tick: see quote_prices.
_NO_MARKET = 0.0005
_CABINET_ONLY = 0.004
_MAX_SMILE = 3.6  # wing vol / ATM vol, at most
_MAX_VOL = 200.0  # points a year; far above any ZN vol, bounds the IV search


def _pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def bachelier(*, forward: float, strike: float, vol: float, years: float, is_call: bool) -> float:
    """Undiscounted normal-model price; ``vol`` in points a year."""
    intrinsic = forward - strike if is_call else strike - forward
    spread = vol * math.sqrt(max(years, 0.0))
    if spread <= 0:
        return max(intrinsic, 0.0)
    d = intrinsic / spread
    return intrinsic * _cdf(d) + spread * _pdf(d)


def implied_vol(
    *, price: float, forward: float, strike: float, years: float, is_call: bool, guess: float = 5.0
) -> float | None:
    """The vol (points a year) that prices ``price``; None below intrinsic (Actant: blank)."""
    intrinsic = max(forward - strike if is_call else strike - forward, 0.0)
    if years <= 0 or price <= intrinsic + 1e-9:
        return None

    def at(vol: float) -> float:
        return bachelier(forward=forward, strike=strike, vol=vol, years=years, is_call=is_call)

    if price >= at(_MAX_VOL):
        return None
    # Newton on vega, kept inside a shrinking bracket (price is monotonic in
    # vol), so far wings where vega vanishes fall back to bisection.
    low, high, vol = 0.0, _MAX_VOL, guess
    root_t = math.sqrt(years)
    for _ in range(100):
        error = at(vol) - price
        if abs(error) < 1e-12:
            break
        if error < 0:
            low = vol
        else:
            high = vol
        intrinsic_signed = forward - strike if is_call else strike - forward
        vega = root_t * _pdf(intrinsic_signed / (vol * root_t))
        step = vol - error / vega if vega > 1e-12 else -1.0
        vol = step if low < step < high else (low + high) / 2
        if high - low < 1e-12:
            break
    return vol


def smile_vol(*, atm_vol: float, forward: float, strike: float, years: float) -> float:
    """Normal vol at ``strike``: wings rise with moneyness in standard deviations.

    Shape fitted by eye to the samples: a weekly 6.6 sd out of the money is
    ~3x the ATM vol, a monthly 3.5 sd out ~1.8x; downside a little flatter.
    Capped at the samples' steepest wing (~3.6x), or hours before expiry the
    far strikes would carry absurd vols and time value.
    """
    spread = atm_vol * math.sqrt(max(years, 1e-6))
    sds = (strike - forward) / spread
    return atm_vol * min(_MAX_SMILE, 1 + 0.12 * abs(sds) + 0.02 * sds * sds + 0.04 * sds)


@dataclass(frozen=True, slots=True)
class Quote:
    bid: float | None  # None prints as INVALID
    ask: float | None


def quote_prices(*, theo: float, rng: random.Random) -> Quote:
    """A bid/offer on the 1/64 grid around ``theo``, with Actant's cabinet below a tick.

    The bid never exceeds and the offer never undercuts ``theo``. Very cheap
    options have only a cabinet (or one-tick) offer and no bid, as in the samples.
    """
    if theo < _NO_MARKET:
        return Quote(None, None)
    if theo < _CABINET_ONLY:
        return Quote(None, CABINET)
    if theo < TICK:
        bid = CABINET if theo > CABINET and rng.random() < 0.5 else None
        return Quote(bid, TICK)
    floor_ticks = math.floor(theo / TICK)
    spread_ticks = rng.choice((1, 1, 2))  # samples: mostly one tick, sometimes two
    bid_ticks = floor_ticks - rng.randrange(spread_ticks)  # theo anywhere inside
    if math.isclose(floor_ticks * TICK, theo):
        bid_ticks = floor_ticks  # on the grid: keep bid == theo, offer above
    bid = bid_ticks * TICK if bid_ticks > 0 else CABINET
    return Quote(bid, (bid_ticks + spread_ticks) * TICK)


def on_tick_grid(price: float) -> bool:
    ticks = price / TICK
    return math.isclose(ticks, round(ticks), abs_tol=1e-9)
