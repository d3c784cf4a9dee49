"""Which ZN options and future are listed on a trading date, and time to expiry.

CME lists a weekly ZN option for every business day: Monday ``VYn``, Tuesday
``GYn``, Wednesday ``WYn``, Thursday ``HYn``, Friday ``ZNn``, where ``n`` is
the week of the month (``VY3`` = third Monday, key token ``21JUL25``). The
standard monthly option ``OZN`` (key token = contract month, ``AUG25``)
expires on the last Friday at least two business days before the end of the
month before its contract month; that Friday has no ``ZNn`` weekly. A
business day is one with a CME session (``feeds.trading_calendar``): no option
expires on an exchange holiday, and holidays do not count toward time to expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from feeds.feed_keys import CHICAGO
from feeds.trading_calendar import is_trading_day

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKLY_PREFIX = ("VY", "GY", "WY", "HY", "ZN")  # Monday .. Friday
# Expiry clock as Actant's vtexp shows it (samples: Friday expiries sit 2.5 h
# after the others), so simulated vtexp days have the same fractions.
_EXPIRY_TIME = time(14, 0)
_FRIDAY_EXPIRY_TIME = time(16, 30)
_SEARCH_DAYS = 120  # far enough ahead to find any realistic number of expiries


@dataclass(frozen=True, slots=True)
class Expiry:
    product: str  # VY3, GY4, ..., OZN
    token: str  # 21JUL25 for weeklies, AUG25 (the contract month) for OZN
    expires_at: datetime  # America/Chicago

    @property
    def vtexp_symbol(self) -> str:
        return f"XCME.ZN.N.G.{self.token}"


def month_token(year: int, month: int) -> str:
    """``AUG25`` for August 2025."""
    return f"{MONTHS[month - 1]}{year % 100:02d}"


def is_business_day(day: date) -> bool:
    return is_trading_day(day)


def business_days_back(day: date, count: int) -> date:
    while count > 0:
        day -= timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def last_business_day(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return business_days_back(first_next, 1)


def monthly_option_expiry(year: int, month: int) -> date:
    """Expiry date of the OZN option on contract month ``year``/``month``."""
    prior_year, prior_month = (year, month - 1) if month > 1 else (year - 1, 12)
    limit = business_days_back(last_business_day(prior_year, prior_month), 2)
    return limit - timedelta(days=(limit.weekday() - 4) % 7)  # the Friday on or before


def _contract_month_after(day: date) -> tuple[int, int]:
    return (day.year, day.month + 1) if day.month < 12 else (day.year + 1, 1)


def _expiry_on(day: date) -> Expiry | None:
    """The option expiring on ``day`` (a business day), weekly or monthly."""
    if not is_business_day(day):
        return None
    clock = _FRIDAY_EXPIRY_TIME if day.weekday() == 4 else _EXPIRY_TIME
    expires_at = datetime.combine(day, clock, tzinfo=CHICAGO)
    year, month = _contract_month_after(day)
    if monthly_option_expiry(year, month) == day:
        return Expiry("OZN", month_token(year, month), expires_at)
    week = (day.day - 1) // 7 + 1
    token = f"{day.day:02d}{month_token(day.year, day.month)}"
    return Expiry(f"{_WEEKLY_PREFIX[day.weekday()]}{week}", token, expires_at)


def expiries_listed(*, trading_date: date, count: int) -> list[Expiry]:
    """The next ``count`` expiries on or after ``trading_date``, soonest first."""
    found: list[Expiry] = []
    for offset in range(_SEARCH_DAYS):
        expiry = _expiry_on(trading_date + timedelta(days=offset))
        if expiry is not None:
            found.append(expiry)
            if len(found) == count:
                break
    return found


def expiry_previous(*, trading_date: date) -> Expiry:
    """The last expiry before ``trading_date``: still in Actant's file, all INVALID."""
    day = business_days_back(trading_date, 1)
    expiry = _expiry_on(day)
    assert expiry is not None  # every business day has an expiry
    return expiry


def vtexp_days(*, now: datetime, expires_at: datetime) -> float:
    """Time to expiry in trading days: wall-clock time, weekends left out."""
    start = now.astimezone(CHICAGO)
    end = expires_at.astimezone(CHICAGO)
    seconds = 0.0
    while start < end:
        midnight = datetime.combine(start.date() + timedelta(days=1), time(), tzinfo=CHICAGO)
        segment_end = min(midnight, end)
        if is_business_day(start.date()):
            seconds += (segment_end - start).total_seconds()
        start = segment_end
    return seconds / 86400


@dataclass(frozen=True, slots=True)
class FutureMonth:
    """A quarterly ZN future (Mar, Jun, Sep, Dec)."""

    year: int
    month: int

    @property
    def token(self) -> str:
        return month_token(self.year, self.month)  # SEP25

    @property
    def actant_key(self) -> str:
        return f"XCME.ZN.{self.token}"

    @property
    def term(self) -> str:
        return self.token.capitalize()  # Sep25, as TT writes it

    @property
    def code(self) -> str:
        return "HMUZ"[self.month // 3 - 1]

    @property
    def last_trade_date(self) -> date:
        # ZN: seventh business day before the last business day of the month.
        return business_days_back(last_business_day(self.year, self.month), 7)


def front_future(*, trading_date: date) -> FutureMonth:
    """The quarterly future the desk trades: the first one after this month.

    Desks roll before first notice day (end of the month before delivery), so
    in September the front is already December.
    """
    year, month = trading_date.year, trading_date.month + 1
    while month % 3:
        month += 1
    return FutureMonth(year + (month - 1) // 12, (month - 1) % 12 + 1)
