"""The simulated market: the ZN future's random walk and the option chain priced off it.

The future's bid walks on the 1/64 grid with the offer one tick above, so its
mid is always half a tick off the grid, as on the real screen. A weak pull
back toward the opening price keeps a long run inside the listed strikes.
Options are priced from the future's mid with a normal-vol smile, so calls,
puts and the future stay consistent (call - put = F - K).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from feeds.simulator.calendar import Expiry, expiries_listed, expiry_previous, vtexp_days
from feeds.simulator.pricing import (
    IV_SCALE,
    TRADING_DAYS_PER_YEAR,
    Quote,
    bachelier,
    implied_vol,
    quote_prices,
    smile_vol,
)

TICK_DECIMAL = Decimal(1) / Decimal(64)
_TICK = 1 / 64
STRIKE_STEP = Decimal("0.25")
_PULL_TICKS = 64  # a point away from the anchor the walk leans back by half
_ATM_VOL = 4.4  # points a year (Actant IV ~440, as in the samples)


class FutureWalk:
    """The future's best bid and offer, one tick apart, moving one tick at a time."""

    def __init__(self, *, rng: random.Random, start: Decimal, move_probability: float) -> None:
        self._rng = rng
        self.bid = (start / TICK_DECIMAL).to_integral_value() * TICK_DECIMAL
        self._anchor = self.bid
        self._move_probability = move_probability

    @property
    def ask(self) -> Decimal:
        return self.bid + TICK_DECIMAL

    @property
    def mid(self) -> Decimal:
        return self.bid + TICK_DECIMAL / 2

    def step(self) -> None:
        """One second of market: maybe a tick up or down (rarely two)."""
        drift = float((self.bid - self._anchor) / TICK_DECIMAL) / _PULL_TICKS
        lean = max(-0.4, min(0.4, -0.5 * drift))
        draw = self._rng.random()
        half = self._move_probability / 2
        if draw < half * (1 + lean):
            ticks = 1
        elif draw < self._move_probability:
            ticks = -1
        else:
            return
        if self._rng.random() < 0.05:
            ticks *= 2  # the odd sweep of the book
        self.bid += ticks * TICK_DECIMAL


@dataclass(frozen=True, slots=True)
class OptionQuote:
    key: str  # XCME.OZN.AUG25.110:25.C
    product: str
    expiry: Expiry
    strike: Decimal
    itype: str  # C or P
    bid: float | None
    ask: float | None
    theo: float | None
    iv_bid: float | None  # Actant units (points a year x 100)
    iv_ask: float | None
    iv_avg: float | None


def strike_token(strike: Decimal) -> str:
    """``110:25`` for 110.25, ``111:5`` for 111.5, ``110`` for 110 (Actant's key form)."""
    whole, fraction = divmod(strike, 1)
    if fraction == 0:
        return str(int(whole))
    return f"{int(whole)}:{str(fraction.normalize())[2:]}"


@dataclass(frozen=True, slots=True)
class _Series:
    expiry: Expiry
    atm_vol: float


class OptionChain:
    """The options listed on one trading date: fixed strikes, a stable row order."""

    def __init__(
        self,
        *,
        rng: random.Random,
        trading_date: date,
        center: Decimal,
        expiries: int,
        strikes_per_expiry: int,
    ) -> None:
        self._rng = rng
        listed = [expiry_previous(trading_date=trading_date)]
        listed += expiries_listed(trading_date=trading_date, count=expiries)
        # Each series has its own ATM level, a little above or below the desk's.
        self._series = [_Series(e, _ATM_VOL * rng.uniform(0.93, 1.08)) for e in listed]
        middle = (center / STRIKE_STEP).to_integral_value() * STRIKE_STEP
        low = middle - STRIKE_STEP * ((strikes_per_expiry - 1) // 2)
        self.strikes = [low + STRIKE_STEP * i for i in range(strikes_per_expiry)]
        rows = [(s, k, t) for s in self._series for k in self.strikes for t in "CP"]
        rng.shuffle(rows)  # Actant writes rows in its own stable, unsorted order
        self._rows = rows
        self._quotes: dict[str, Quote] = {}  # the market makers' last quote per option

    @property
    def expiries(self) -> list[Expiry]:
        return [s.expiry for s in self._series]

    def keys(self, *, near: Decimal | None = None, series: int | None = None) -> list[str]:
        """Option keys of the live series (the expired one left out); with ``near``, only
        strikes within a point of it in the first ``series`` expiries."""
        live = self._series[1:][:series] if series else self._series[1:]
        return [
            self._key(s.expiry, strike, itype)
            for s in live
            for strike in self.strikes
            if near is None or abs(strike - near) <= 1
            for itype in "CP"
        ]

    @staticmethod
    def _key(expiry: Expiry, strike: Decimal, itype: str) -> str:
        return f"XCME.{expiry.product}.{expiry.token}.{strike_token(strike)}.{itype}"

    def quotes(self, *, forward: float, now: datetime, vol_level: float) -> list[OptionQuote]:
        years = {
            s.expiry.token: vtexp_days(now=now, expires_at=s.expiry.expires_at)
            / TRADING_DAYS_PER_YEAR
            for s in self._series
        }
        return [
            self._quote(s, k, t, forward, years[s.expiry.token], s.atm_vol * vol_level)
            for s, k, t in self._rows
        ]

    def _quote(
        self, series: _Series, strike: Decimal, itype: str, forward: float, years: float, atm: float
    ) -> OptionQuote:
        expiry = series.expiry
        key = self._key(expiry, strike, itype)
        blank = OptionQuote(key, expiry.product, expiry, strike, itype, *(None,) * 6)
        if years <= 0:
            return blank  # expired: Actant prints every value INVALID or empty
        k = float(strike)
        vol = smile_vol(atm_vol=atm, forward=forward, strike=k, years=years)
        is_call = itype == "C"
        theo = bachelier(forward=forward, strike=k, vol=vol, years=years, is_call=is_call)
        quote = self._quote_for(key, theo)
        if quote.bid is None and quote.ask is None:
            return blank  # too far out of the money for anyone to show a price

        def iv(price: float | None) -> float | None:
            if price is None:
                return None
            found = implied_vol(
                price=price, forward=forward, strike=k, years=years, is_call=is_call, guess=vol
            )
            return None if found is None else found * IV_SCALE

        return OptionQuote(
            key, expiry.product, expiry, strike, itype,
            quote.bid, quote.ask, theo, iv(quote.bid), iv(quote.ask), vol * IV_SCALE,
        )  # fmt: skip

    def _quote_for(self, key: str, theo: float) -> Quote:
        """Quotes are sticky, as on a real screen: one stands while it still brackets the
        theo (above a tick; cabinets are redrawn), else a new one is drawn."""
        last = self._quotes.get(key)
        if (
            last is not None
            and last.bid is not None
            and last.ask is not None
            and _TICK <= last.bid <= theo <= last.ask
        ):
            return last
        quote = self._quotes[key] = quote_prices(theo=theo, rng=self._rng)
        return quote
