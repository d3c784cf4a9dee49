"""CME's early closes and holidays: a feed is judged until the early close and is
"closed" after it, so a real stall in the morning alarms and the afternoon does not."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from feeds.trading_calendar import coverage, is_trading_day, session_at, session_for
from ops.feed_states import CHICAGO, DEFAULT_EXPECTATIONS, FeedState, globex_open
from ops.feed_states import feed_state as state

SPOT = DEFAULT_EXPECTATIONS["spot-risk"]
ROOT = Path(__file__).resolve().parents[2]


def _chicago(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (_chicago(2025, 11, 27, 11, 59), True),  # Thanksgiving: open in the morning
        (_chicago(2025, 11, 27, 12, 0), False),  # ... closed from 12:00
        (_chicago(2025, 11, 27, 17, 0), True),  # the next session opens as usual
        (_chicago(2025, 11, 28, 12, 14), True),  # the day after: 12:15
        (_chicago(2025, 11, 28, 12, 15), False),
        (_chicago(2025, 12, 24, 12, 14), True),  # Christmas Eve: 12:15
        (_chicago(2025, 12, 24, 12, 15), False),
        (_chicago(2025, 12, 25, 10, 0), False),  # Christmas: no session at all
        (_chicago(2025, 12, 25, 17, 30), True),  # ... reopening that evening
        (_chicago(2026, 1, 19, 11, 0), True),  # MLK day
        (_chicago(2026, 1, 19, 13, 0), False),
        (_chicago(2026, 6, 19, 12, 30), False),  # Juneteenth
        (_chicago(2026, 7, 3, 12, 30), False),  # Independence Day observed
        (_chicago(2025, 7, 22, 15, 59), True),  # an ordinary Tuesday
        (_chicago(2025, 7, 22, 16, 30), False),  # the daily break
    ],
)
def test_early_closes_and_holidays_open_and_close_the_market(moment, is_open) -> None:
    assert globex_open(moment) is is_open


def test_a_morning_stall_on_an_early_close_day_alarms_and_the_afternoon_does_not() -> None:
    last_file = _chicago(2025, 11, 27, 9, 0)
    morning = state(last_file_at=last_file, now=_chicago(2025, 11, 27, 10, 0), expectation=SPOT)
    afternoon = state(last_file_at=last_file, now=_chicago(2025, 11, 27, 14, 0), expectation=SPOT)
    assert morning is FeedState.STALLED
    assert afternoon is FeedState.CLOSED


def test_after_a_holiday_only_the_time_since_the_reopen_counts() -> None:
    reopen = _chicago(2025, 12, 25, 17, 0)
    last_file = _chicago(2025, 12, 24, 12, 0)
    now = reopen + timedelta(seconds=30)
    assert state(last_file_at=last_file, now=now, expectation=SPOT) is FeedState.LATE


def test_an_admin_holiday_still_closes_a_whole_session() -> None:
    tuesday = _chicago(2025, 7, 22, 10, 0)
    assert not globex_open(tuesday, holidays={date(2025, 7, 22)})


def test_sessions_carry_their_trading_date_and_early_close() -> None:
    thanksgiving = session_for(date(2025, 11, 27))
    assert thanksgiving is not None
    assert thanksgiving.early_close
    assert thanksgiving.opens_at == _chicago(2025, 11, 26, 17, 0)
    assert not is_trading_day(date(2025, 12, 25))
    assert not is_trading_day(date(2026, 1, 1))
    assert session_at(_chicago(2025, 11, 26, 18, 0)) == thanksgiving


def test_beyond_the_data_the_weekly_rule_applies() -> None:
    _, last = coverage()
    later = last + timedelta(days=400)
    monday = later + timedelta(days=(7 - later.weekday()) % 7)
    assert globex_open(
        datetime.combine(monday, datetime.min.time(), tzinfo=CHICAGO).replace(hour=9)
    )
    sunday = monday - timedelta(days=1)
    sunday_noon = datetime.combine(sunday, datetime.min.time(), tzinfo=CHICAGO).replace(hour=12)
    assert not globex_open(sunday_noon)


def test_the_shipped_data_is_what_the_calendar_library_says() -> None:
    checked = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cme-calendar"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
