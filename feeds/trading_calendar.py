"""When ZN trades: CME Globex sessions for interest-rate products, early closes included.

Every session from the shipped data (``feeds/data/cme_fixed_income_sessions.json``,
generated offline by ``scripts/cme-calendar`` from a maintained calendar
library; a test keeps the two equal): its trading date, its open (17:00 Chicago
the evening before, as a rule) and its close (16:00, or 12:00 / 12:15 / 10:15
on CME's early-close days). A day with no session is an exchange holiday.
Outside the data's years the weekly rule applies (Sunday-Friday 17:00-16:00,
no holidays) and ``coverage`` says where that begins.

Pure reads of a file loaded once; the clock is passed in.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from feeds.feed_keys import CHICAGO

DATA = Path(__file__).with_name("data") / "cme_fixed_income_sessions.json"
REGULAR_OPEN = time(17, 0)  # the evening before the trading date
REGULAR_CLOSE = time(16, 0)


@dataclass(frozen=True, slots=True)
class Session:
    trading_date: date
    opens_at: datetime
    closes_at: datetime

    @property
    def early_close(self) -> bool:
        return self.closes_at.astimezone(CHICAGO).time() < REGULAR_CLOSE


@dataclass(frozen=True)
class _Calendar:
    first: date
    last: date
    sessions: tuple[Session, ...]
    opens: tuple[datetime, ...]
    by_date: dict[date, Session]


@cache
def _calendar() -> _Calendar:
    document = json.loads(DATA.read_text())
    sessions = tuple(
        Session(date.fromisoformat(day), datetime.fromisoformat(o), datetime.fromisoformat(c))
        for day, o, c in document["sessions"]
    )
    return _Calendar(
        first=date.fromisoformat(document["first"]),
        last=date.fromisoformat(document["last"]),
        sessions=sessions,
        opens=tuple(s.opens_at for s in sessions),
        by_date={s.trading_date: s for s in sessions},
    )


def coverage() -> tuple[date, date]:
    """The first and last trading dates the data describes."""
    calendar = _calendar()
    return calendar.first, calendar.last


def _regular(day: date) -> Session | None:
    if day.weekday() >= 5:
        return None
    return Session(
        day,
        # Monday's session opens on Sunday evening, like every other one the evening before
        datetime.combine(day - timedelta(days=1), REGULAR_OPEN, tzinfo=CHICAGO),
        datetime.combine(day, REGULAR_CLOSE, tzinfo=CHICAGO),
    )


def session_for(day: date) -> Session | None:
    """The session of trading date ``day``; None on a holiday or a weekend."""
    calendar = _calendar()
    if calendar.first <= day <= calendar.last:
        return calendar.by_date.get(day)
    return _regular(day)


def is_trading_day(day: date) -> bool:
    return session_for(day) is not None


def session_at(moment: datetime) -> Session | None:
    """The session trading at ``moment`` (aware); None while the market is closed."""
    local = moment.astimezone(CHICAGO)
    calendar = _calendar()
    index = bisect.bisect_right(calendar.opens, local) - 1
    if calendar.first <= local.date() <= calendar.last and index >= 0:
        session = calendar.sessions[index]
        return session if local < session.closes_at else None
    # Outside the data: the weekly rule, for the trading date this moment would belong to.
    day = local.date() + timedelta(days=1) if local.time() >= REGULAR_OPEN else local.date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    regular = _regular(day)
    if regular is not None and regular.opens_at <= local < regular.closes_at:
        return regular
    return None


def session_last_opened(moment: datetime) -> datetime:
    """When the session trading at ``moment`` opened, else the last open before it."""
    session = session_at(moment)
    if session is not None:
        return session.opens_at
    calendar = _calendar()
    index = bisect.bisect_right(calendar.opens, moment.astimezone(CHICAGO)) - 1
    if index >= 0 and calendar.first <= moment.astimezone(CHICAGO).date() <= calendar.last:
        return calendar.sessions[index].opens_at
    local = moment.astimezone(CHICAGO)
    opened = datetime.combine(local.date(), REGULAR_OPEN, tzinfo=CHICAGO)
    return opened if local >= opened else opened - timedelta(days=1)
