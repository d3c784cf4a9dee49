"""The date folder is CME's trading date, which rolls at 17:00 Chicago."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.feed_keys import spot_risk_key, trading_date_for

CHICAGO = ZoneInfo("America/Chicago")


def chicago(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("moment", "trading_date"),
    [
        ("2025-07-21 08:00:00", "2025-07-21"),  # Monday morning
        ("2025-07-21 16:59:59", "2025-07-21"),  # the last second of Monday's session
        ("2025-07-21 17:00:00", "2025-07-22"),  # Globex reopens for Tuesday
        ("2025-07-21 23:59:59", "2025-07-22"),
        ("2025-07-25 16:00:00", "2025-07-25"),  # Friday
        ("2025-07-25 17:00:00", "2025-07-28"),  # Friday evening belongs to Monday
        ("2025-07-26 12:00:00", "2025-07-28"),  # Saturday
        ("2025-07-27 18:00:00", "2025-07-28"),  # Sunday's open
        ("2025-03-09 17:30:00", "2025-03-10"),  # the day clocks spring forward
        ("2025-11-02 17:30:00", "2025-11-03"),  # and fall back
    ],
)
def test_the_trading_date_rolls_at_17_00_chicago(moment: str, trading_date: str) -> None:
    assert trading_date_for(chicago(moment)).isoformat() == trading_date


def test_the_roll_follows_the_chicago_clock_whatever_zone_the_moment_is_in() -> None:
    # 22:00 UTC is 17:00 CDT in July, but 16:00 CST in January.
    assert trading_date_for(datetime(2025, 7, 21, 22, 0, tzinfo=UTC)).isoformat() == "2025-07-22"
    assert trading_date_for(datetime(2025, 1, 21, 22, 0, tzinfo=UTC)).isoformat() == "2025-01-21"


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        trading_date_for(datetime(2025, 7, 21, 17, 0))  # noqa: DTZ001 - the point of the test


def test_a_file_written_after_17_00_goes_under_the_next_days_folder() -> None:
    key = spot_risk_key(moment=chicago("2025-07-21 20:30:07"))
    assert key == "actant/spot-risk/2025-07-22/bav_analysis_20250721_203007.csv"


def test_the_simulator_moves_to_the_next_folder_at_17_00(simulate) -> None:
    _, files = simulate(6, start=chicago("2025-07-21 16:59:57"), spot_risk_rows=20, step=0.5)
    folders = {
        (moment >= chicago("2025-07-21 17:00:00"), f.key.split("/")[2]) for moment, f in files
    }
    folders.discard((False, "instrument_8092262517946017060.json"))
    assert folders == {(False, "2025-07-21"), (True, "2025-07-22")}


def test_a_new_trading_date_relists_the_options_and_rewrites_vtexp(simulate) -> None:
    simulator, files = simulate(6, start=chicago("2025-07-21 16:59:57"), spot_risk_rows=20)
    vtexp = [m for m, f in files if f.key.startswith("actant/vtexp/")]
    assert len(vtexp) == 2
    assert vtexp[1] >= chicago("2025-07-21 17:00:00")
    assert simulator.chain.expiries[0].token == "21JUL25"  # the one that expired today
    assert simulator.chain.expiries[1].token == "22JUL25"


def test_a_new_trading_date_carries_the_position_at_the_settle(simulate) -> None:
    simulator, _ = simulate(1, start=chicago("2025-07-21 16:59:59"), spot_risk_rows=20, step=1)
    position = simulator.desk.position
    assert (position.buy_qty, position.sell_qty, position.realized) == (0, 0, 0)
    assert position.sod_net == position.net
    assert position.sod_price == simulator.walk.bid
