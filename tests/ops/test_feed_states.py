"""Feed health with a controlled clock: up -> late -> stalled -> up, and market hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from ops.feed_states import (
    CHICAGO,
    DEFAULT_EXPECTATIONS,
    FeedExpectation,
    FeedState,
    globex_open,
    trading_date,
)
from ops.feed_states import feed_state as state

SPOT = DEFAULT_EXPECTATIONS["spot-risk"]  # late after 5 s, stalled after 60 s
TUESDAY_10AM = datetime(2025, 7, 22, 10, 0, tzinfo=CHICAGO)


def _chicago(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=CHICAGO)


def _at(seconds: float) -> datetime:
    return TUESDAY_10AM + timedelta(seconds=seconds)


def test_a_feed_goes_up_late_stalled_and_back_up_as_the_clock_moves() -> None:
    last = _at(0)
    assert state(last_file_at=last, now=_at(5), expectation=SPOT) is FeedState.UP
    assert state(last_file_at=last, now=_at(5.001), expectation=SPOT) is FeedState.LATE
    assert state(last_file_at=last, now=_at(60), expectation=SPOT) is FeedState.LATE
    assert state(last_file_at=last, now=_at(60.001), expectation=SPOT) is FeedState.STALLED
    assert state(last_file_at=_at(61), now=_at(62), expectation=SPOT) is FeedState.UP


def test_a_feed_never_heard_from_is_never_seen() -> None:
    assert state(last_file_at=None, now=_at(0), expectation=SPOT) is FeedState.NEVER_SEEN


def test_a_paused_feed_is_paused_until_the_chosen_time_then_judged_again() -> None:
    last, until = _at(0), _at(600)
    assert (
        state(last_file_at=last, now=_at(300), expectation=SPOT, paused_until=until)
        is FeedState.PAUSED
    )
    assert (
        state(last_file_at=last, now=_at(601), expectation=SPOT, paused_until=until)
        is FeedState.STALLED
    )


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (_chicago(2025, 7, 20, 16, 59), False),  # Sunday before the open
        (_chicago(2025, 7, 20, 17, 0), True),  # Sunday open
        (_chicago(2025, 7, 22, 15, 59), True),  # Tuesday afternoon
        (_chicago(2025, 7, 22, 16, 0), False),  # daily break
        (_chicago(2025, 7, 22, 16, 59), False),
        (_chicago(2025, 7, 22, 17, 0), True),  # evening session
        (_chicago(2025, 7, 25, 15, 59), True),  # Friday before the close
        (_chicago(2025, 7, 25, 16, 0), False),  # Friday close: the weekend
        (_chicago(2025, 7, 25, 18, 0), False),  # no Friday evening session
        (_chicago(2025, 7, 26, 12, 0), False),  # Saturday
    ],
)
def test_globex_hours(moment: datetime, is_open: bool) -> None:
    assert globex_open(moment) is is_open


def test_a_silent_feed_after_the_close_is_closed_not_stalled() -> None:
    friday_close = datetime(2025, 7, 25, 15, 59, 58, tzinfo=CHICAGO)
    saturday = datetime(2025, 7, 26, 9, 0, tzinfo=CHICAGO)
    assert state(last_file_at=friday_close, now=saturday, expectation=SPOT) is FeedState.CLOSED


def test_after_the_open_the_grace_runs_from_the_open_not_from_last_night() -> None:
    last_before_break = datetime(2025, 7, 22, 15, 59, 59, tzinfo=CHICAGO)
    just_after_open = datetime(2025, 7, 22, 17, 0, 30, tzinfo=CHICAGO)
    assert (
        state(last_file_at=last_before_break, now=just_after_open, expectation=SPOT)
        is FeedState.LATE
    )
    two_minutes_in = datetime(2025, 7, 22, 17, 2, tzinfo=CHICAGO)
    assert (
        state(last_file_at=last_before_break, now=two_minutes_in, expectation=SPOT)
        is FeedState.STALLED
    )


def test_a_holiday_closes_its_whole_session() -> None:
    july_fourth = {date(2025, 7, 4)}
    evening_before = datetime(2025, 7, 3, 18, 0, tzinfo=CHICAGO)  # trades for the 4th
    assert trading_date(evening_before) == date(2025, 7, 4)
    assert not globex_open(evening_before, holidays=july_fourth)
    assert (
        state(last_file_at=None, now=evening_before, expectation=SPOT, holidays=july_fourth)
        is FeedState.CLOSED
    )


def test_a_feed_with_no_clock_is_up_once_seen_and_never_stalls() -> None:
    instruments = FeedExpectation(interval_s=None, grace_s=0)
    a_week_later = _at(7 * 24 * 3600)
    assert state(last_file_at=_at(0), now=a_week_later, expectation=instruments) is FeedState.UP
