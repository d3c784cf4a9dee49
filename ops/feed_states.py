"""Is a feed up, late, stalled, never seen, paused or closed? Pure; the clock is passed in.

A feed is judged only while its trading schedule is open: the ZN feeds follow
CME Globex's sessions for interest-rate products (``feeds.trading_calendar``:
exchange holidays, and early closes such as 12:00 on Thanksgiving, shipped as
data), and outside them a silent feed is "closed", not stalled, so nothing
pages anyone at the close. After the open, the time since the open
counts, not the night before. A feed on the "always" schedule never closes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from feeds.feed_keys import CHICAGO
from feeds.trading_calendar import REGULAR_OPEN, session_at, session_last_opened


class TradingSchedule(StrEnum):
    """When a feed is expected to send files; admins choose one per feed."""

    CME_GLOBEX = "cme-globex"  # CME's sessions: Sun-Fri 17:00-16:00 Chicago, holidays, early closes
    ALWAYS = "always"  # every day, all day


SCHEDULE_NAMES = {TradingSchedule.CME_GLOBEX: "CME Globex", TradingSchedule.ALWAYS: "always"}
SCHEDULE_CHOICES = [
    (TradingSchedule.CME_GLOBEX.value, "CME Globex: Sun-Fri 17:00-16:00 Chicago, break, holidays"),
    (TradingSchedule.ALWAYS.value, "Always: every day, all day"),
]


class FeedState(StrEnum):
    UP = "up"
    LATE = "late"
    STALLED = "stalled"
    NEVER_SEEN = "never seen"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class FeedExpectation:
    """How often a feed should send a file (None: not on a clock), and when."""

    interval_s: float | None
    grace_s: float
    schedule: TradingSchedule = TradingSchedule.CME_GLOBEX


# Spot risk and TT arrive every 1-2 s; vtexp a few times an hour, all with ZN's
# market; instrument files only when an instrument appears, on no schedule.
# Admins can override these (ops models).
DEFAULT_EXPECTATIONS: dict[str, FeedExpectation] = {
    "spot-risk": FeedExpectation(interval_s=5, grace_s=60),
    "tt-positions": FeedExpectation(interval_s=5, grace_s=60),
    "tt-orders": FeedExpectation(interval_s=5, grace_s=60),
    "vtexp": FeedExpectation(interval_s=30 * 60, grace_s=90 * 60),
    "tt-instruments": FeedExpectation(interval_s=None, grace_s=0, schedule=TradingSchedule.ALWAYS),
}


def trading_date(at: datetime) -> date:
    """CME's trading date: the session that opens at 17:00 belongs to the next day."""
    local = at.astimezone(CHICAGO)
    return local.date() + timedelta(days=1) if local.time() >= REGULAR_OPEN else local.date()


def globex_open(at: datetime, *, holidays: Collection[date] = ()) -> bool:
    """Whether ZN trades at ``at``: in one of CME's sessions (Sunday-Friday 17:00-16:00
    Chicago as a rule, less exchange holidays and the afternoons of early closes),
    and not on a session an admin marked as a holiday."""
    session = session_at(at)
    return session is not None and session.trading_date not in holidays


def session_opened_at(at: datetime) -> datetime:
    """When the session trading at ``at`` opened (else the last open before ``at``)."""
    return session_last_opened(at)


def schedule_open(
    schedule: TradingSchedule, at: datetime, *, holidays: Collection[date] = ()
) -> bool:
    if schedule is TradingSchedule.ALWAYS:
        return True
    return globex_open(at, holidays=holidays)


def schedule_opened_at(schedule: TradingSchedule, at: datetime) -> datetime | None:
    """When the schedule's current session opened; None for one that never closes."""
    return None if schedule is TradingSchedule.ALWAYS else session_opened_at(at)


def feed_silent_since(
    *, last_file_at: datetime, now: datetime, schedule: TradingSchedule
) -> datetime:
    """Since when a feed counts as silent: its last file, or this session's open if
    that came later (the night before does not count against it)."""
    opened = schedule_opened_at(schedule, now)
    return last_file_at if opened is None else max(last_file_at, opened)


def feed_state(
    *,
    last_file_at: datetime | None,
    now: datetime,
    expectation: FeedExpectation,
    holidays: Collection[date] = (),
    paused_until: datetime | None = None,
) -> FeedState:
    if paused_until is not None and now < paused_until:
        return FeedState.PAUSED
    if expectation.interval_s is None:
        return FeedState.UP if last_file_at is not None else FeedState.NEVER_SEEN
    if not schedule_open(expectation.schedule, now, holidays=holidays):
        return FeedState.CLOSED
    if last_file_at is None:
        return FeedState.NEVER_SEEN
    since = feed_silent_since(last_file_at=last_file_at, now=now, schedule=expectation.schedule)
    age_s = (now - since).total_seconds()
    if age_s <= expectation.interval_s:
        return FeedState.UP
    if age_s <= expectation.grace_s:
        return FeedState.LATE
    return FeedState.STALLED
