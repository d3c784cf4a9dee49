"""The Bachelier (normal) model for options on futures: prices, implied vols, Greeks.

Greeks are analytics, not money: everything here is ``float`` (``Decimal``
inputs are accepted and converted), unlike prices and P&L elsewhere.

Units and conventions:

- Prices, forward and strike are in points of the future (110.25, .9283016).
- ``vol`` is the normal volatility in points of the future per sqrt(year):
  the standard deviation of the future's price change over one year.
  Actant's IVs in the spot-risk files are in hundredths of this unit: on the
  samples, 100 x our vol matches IVBID to about 0.1%.
- ``years`` is time to expiry in years of 252 trading days
  (``vtexp_days_to_years``), as the vtexp feed counts trading days.
- Zero interest rate: prices are undiscounted, so put-call parity is
  C - P = F - K. (Over days to weeks the discount factor is within a few
  basis points of 1.)
- Greeks are per unit of the option (one contract in points; multiply by the
  point value, $1,000 for ZN, for dollars):
  delta: option points per point of the future (call in [0, 1], put in [-1, 0]);
  gamma: change of delta per point of the future;
  vega: option points per 1 point of normal vol (divide by 100 for one unit
  of Actant's IV);
  theta: the change in option points as one trading day (1/252 of a year)
  passes, at today's rate of decay: negative, as time value only decays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

TRADING_DAYS_PER_YEAR = 252
_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# The solver stops when the model price is this close (relative to the
# time value) or the vol bracket is this narrow; both far below a cabinet.
_PRICE_TOLERANCE = 1e-12
_MAX_ITERATIONS = 200

Number = float | Decimal


@dataclass(frozen=True, slots=True)
class Greeks:
    vol: float  # implied normal vol, points per sqrt(year)
    delta: float  # per point of the future
    gamma: float  # delta change per point of the future
    vega: float  # option points per 1 point of normal vol
    theta: float  # option points per trading day passing (negative: decay)


def vtexp_days_to_years(days: Number) -> float:
    """Trading days to expiry (the vtexp feed) as years of 252 trading days."""
    return float(days) / TRADING_DAYS_PER_YEAR


def normal_cdf(x: float) -> float:
    # erfc keeps the far tails accurate where 1 + erf(x) would cancel.
    return 0.5 * math.erfc(-x / _SQRT_2)


def normal_pdf(x: float) -> float:
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


def bachelier_price(
    *, forward: Number, strike: Number, vol: Number, years: Number, is_call: bool
) -> float:
    """Undiscounted Bachelier price of a call or put on a future, in points."""
    f, k, sigma, t = float(forward), float(strike), float(vol), float(years)
    if sigma < 0 or t < 0:
        raise ValueError("vol and years must not be negative")
    intrinsic = max(f - k, 0.0) if is_call else max(k - f, 0.0)
    return intrinsic + _time_value(moneyness=abs(f - k), spread=sigma * math.sqrt(t))


def _time_value(*, moneyness: float, spread: float) -> float:
    # Time value is the same for a call and a put of one strike (parity), and
    # written through |F - K| it avoids cancelling (F-K)N(d) against s*n(d).
    if spread <= 0:
        return 0.0
    x = moneyness / spread
    return spread * (normal_pdf(x) - x * normal_cdf(-x))


def implied_normal_vol(
    *, price: Number, forward: Number, strike: Number, years: Number, is_call: bool
) -> float | None:
    """The normal vol that reproduces ``price``; None when there is none to find.

    None for non-finite inputs, non-positive time, or a price at or below
    intrinsic (no time value: the vol is not identified). Never raises on bad
    market data.
    """
    values = _finite_floats(price, forward, strike, years)
    if values is None:
        return None
    p, f, k, t = values
    if t <= 0:
        return None
    intrinsic = max(f - k, 0.0) if is_call else max(k - f, 0.0)
    target = p - intrinsic
    if target <= 0:
        return None
    return _solve_vol(target=target, moneyness=abs(f - k), sqrt_t=math.sqrt(t))


# Choi, Kim and Kwak (2009), "Numerical approximation of the implied volatility
# under arithmetic Brownian motion": a rational function of eta that gives the
# normal vol to about 1e-9 relative across the chain (checked in the tests).
_CKK_NUMERATOR = (
    3.994961687345134e-1, 2.100960795068497e1, 4.980340217855084e1, 5.988761102690991e2,
    1.848489695437094e3, 6.106322407867059e3, 2.493415285349361e4, 1.266458051348246e4,
)  # fmt: skip
_CKK_DENOMINATOR = (
    1.0, 4.990534153589422e1, 3.093573936743112e1, 1.495105008310999e3, 1.323614537899738e3,
    1.598919697679745e4, 2.392008891720782e4, 3.608817108375034e3, -2.067719486400926e2,
    1.174240599306013e1,
)  # fmt: skip
_CKK_NUMERATOR_HORNER = _CKK_NUMERATOR[::-1]
_CKK_DENOMINATOR_HORNER = _CKK_DENOMINATOR[::-1]
_SQRT_HALF_PI = math.sqrt(math.pi / 2.0)
_POLISH_STEPS = 2


def _solve_vol(*, target: float, moneyness: float, sqrt_t: float) -> float | None:
    # The approximation and a Newton step or two reach the tolerance for
    # nearly every option at a fraction of the bracketed search's cost.
    # (It runs for every option of every file: _time_value and the vega are
    # written out here so that one density serves both.)
    vol = _ckk_vol(target=target, moneyness=moneyness, sqrt_t=sqrt_t)
    for _ in range(_POLISH_STEPS):
        spread = vol * sqrt_t
        if not spread > 0:
            break
        x = moneyness / spread
        density = _INV_SQRT_2PI * math.exp(-0.5 * x * x)
        error = spread * (density - x * 0.5 * math.erfc(x / _SQRT_2)) - target
        if abs(error) <= _PRICE_TOLERANCE * target:
            return vol
        vega = sqrt_t * density
        if not vega > 0:
            break
        vol -= error / vega
    return _solve_vol_bracketed(target=target, moneyness=moneyness, sqrt_t=sqrt_t)


def _ckk_vol(*, target: float, moneyness: float, sqrt_t: float) -> float:
    straddle = 2.0 * target + moneyness  # call + put of the strike
    v = moneyness / straddle
    eta = 1.0 if v < 1e-8 else v / math.atanh(v) if v < 1.0 else 0.0
    numerator = denominator = 0.0
    for a in _CKK_NUMERATOR_HORNER:
        numerator = numerator * eta + a
    for b in _CKK_DENOMINATOR_HORNER:
        denominator = denominator * eta + b
    return _SQRT_HALF_PI * straddle * math.sqrt(eta) * numerator / denominator / sqrt_t


def _solve_vol_bracketed(*, target: float, moneyness: float, sqrt_t: float) -> float | None:
    # Time value rises strictly with vol from 0 without bound, so a bracket
    # exists; Newton steps inside it converge fast, bisection keeps it safe.
    low, high = 0.0, _upper_bracket(target=target, moneyness=moneyness, sqrt_t=sqrt_t)
    if high is None:
        return None
    vol = min(target * math.sqrt(2.0 * math.pi) / sqrt_t, high)  # the ATM answer
    for _ in range(_MAX_ITERATIONS):
        spread = vol * sqrt_t
        error = _time_value(moneyness=moneyness, spread=spread) - target
        if abs(error) <= _PRICE_TOLERANCE * target or high - low <= 1e-15 * high:
            return vol
        low, high = (vol, high) if error < 0 else (low, vol)
        vega = sqrt_t * normal_pdf(moneyness / spread) if spread > 0 else 0.0
        step = vol - error / vega if vega > 0 else math.nan
        vol = step if low < step < high else 0.5 * (low + high)
    return vol


def _upper_bracket(*, target: float, moneyness: float, sqrt_t: float) -> float | None:
    # Time value grows like spread / sqrt(2 pi) once the spread dwarfs |F - K|,
    # so doubling from a small guess passes any finite target within ~100 steps.
    high = max(target, moneyness, 1e-8) / sqrt_t
    for _ in range(_MAX_ITERATIONS):
        if _time_value(moneyness=moneyness, spread=high * sqrt_t) >= target:
            return high
        high *= 2.0
    return None


def option_greeks(
    *, forward: Number, strike: Number, years: Number, price: Number | None, is_call: bool
) -> Greeks | None:
    """Implied vol and Greeks from an option's price; None when it has no usable price."""
    if price is None:
        return None
    values = _finite_floats(forward, strike, years, price)
    if values is None:
        return None
    f, k, t, p = values
    found = greeks_from_price(f, k, t, p, is_call)
    return None if found is None else Greeks(*found)


def greeks_from_price(
    forward: float, strike: float, years: float, price: float, is_call: bool, /
) -> tuple[float, float, float, float, float] | None:
    """(vol, delta, gamma, vega, theta) from an option's price, for finite floats.

    ``option_greeks`` with the checks and conversions done by the caller: the
    worker calls this for every option of every spot-risk file, so it works
    on plain floats and returns a tuple.
    """
    if not years > 0:
        return None
    intrinsic = forward - strike if is_call else strike - forward
    target = price - intrinsic if intrinsic > 0 else price
    if not target > 0:
        return None  # no time value: the vol is not identified
    sqrt_t = math.sqrt(years)
    vol = _solve_vol(target=target, moneyness=abs(forward - strike), sqrt_t=sqrt_t)
    if vol is None or not vol > 0:
        return None
    spread = vol * sqrt_t
    d = (forward - strike) / spread
    density = _INV_SQRT_2PI * math.exp(-0.5 * d * d)
    call_delta = 0.5 * math.erfc(-d / _SQRT_2)
    return (
        vol,
        call_delta if is_call else call_delta - 1.0,
        density / spread,
        sqrt_t * density,
        -vol * density / (2.0 * sqrt_t) / TRADING_DAYS_PER_YEAR,
    )


def greeks_at_vol(
    *, forward: Number, strike: Number, years: Number, vol: Number, is_call: bool
) -> Greeks:
    """Bachelier Greeks at a known vol (units in the module doc)."""
    f, k, t, sigma = float(forward), float(strike), float(years), float(vol)
    if t <= 0 or sigma <= 0:
        raise ValueError("years and vol must be positive")
    sqrt_t = math.sqrt(t)
    spread = sigma * sqrt_t
    d = (f - k) / spread
    density = normal_pdf(d)
    call_delta = normal_cdf(d)
    return Greeks(
        vol=sigma,
        delta=call_delta if is_call else call_delta - 1.0,
        gamma=density / spread,
        vega=sqrt_t * density,
        # dV/dt = -sigma n(d) / (2 sqrt t) per year of time passing; one trading day is 1/252.
        theta=-sigma * density / (2.0 * sqrt_t) / TRADING_DAYS_PER_YEAR,
    )


def _finite_floats(*values: Number) -> tuple[float, ...] | None:
    try:
        floats = tuple(map(float, values))
    except (TypeError, ValueError, ArithmeticError):
        return None
    return floats if all(map(math.isfinite, floats)) else None
