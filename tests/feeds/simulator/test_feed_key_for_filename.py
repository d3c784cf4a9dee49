"""feed_key_for_filename: where the feed server would put a file with this name."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.feed_keys import feed_key_for_filename

CHICAGO = ZoneInfo("America/Chicago")
MORNING = datetime(2025, 7, 22, 10, 15, 30, tzinfo=CHICAGO)
EVENING = datetime(2025, 7, 22, 18, 5, 0, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        # written 20:30 Monday: Tuesday's trading date
        (
            "bav_analysis_20250721_203007.csv",
            "actant/spot-risk/2025-07-22/bav_analysis_20250721_203007.csv",
        ),
        (
            "bav_analysis_20250729_151211_chunk_01_of_16.csv",
            "actant/spot-risk/2025-07-29/bav_analysis_20250729_151211_chunk_01_of_16.csv",
        ),
        ("vtexp_20250721_203256.csv", "actant/vtexp/2025-07-22/vtexp_20250721_203256.csv"),
        # TT captures without a timestamp are named with the current Chicago time
        ("positions_response.json", "tt/positions/2025-07-22/positions_20250722_101530.json"),
        (
            "working_orders_response.json",
            "tt/orders/2025-07-22/working_orders_20250722_101530.json",
        ),
        (
            "positions_20250722_091500.json",
            "tt/positions/2025-07-22/positions_20250722_091500.json",
        ),
        (
            "instrument_8092262517946017060.json",
            "tt/instruments/instrument_8092262517946017060.json",
        ),
    ],
)
def test_each_sample_name_gets_the_feed_servers_key(name: str, key: str) -> None:
    assert feed_key_for_filename(name, now=MORNING) == key


def test_instrument_details_are_keyed_by_the_id_inside_the_file(sample) -> None:
    data = sample("instrument_details_zn_jun25.json")
    key = feed_key_for_filename("instrument_details_zn_jun25.json", now=MORNING, data=data)
    assert key == "tt/instruments/instrument_4877721789746411490.json"


def test_instrument_details_without_the_bytes_cannot_be_placed() -> None:
    with pytest.raises(ValueError, match="instrument id is inside the file"):
        feed_key_for_filename("instrument_details_zn_jun25.json", now=MORNING)


def test_an_untimestamped_capture_after_17_00_goes_to_the_next_trading_date() -> None:
    key = feed_key_for_filename("positions_response.json", now=EVENING)
    assert key == "tt/positions/2025-07-23/positions_20250722_180500.json"


def test_a_path_is_placed_by_its_base_name() -> None:
    key = feed_key_for_filename("drop/box/vtexp_20250721_103256.csv", now=MORNING)
    assert key == "actant/vtexp/2025-07-21/vtexp_20250721_103256.csv"


@pytest.mark.parametrize(
    "name",
    [
        "notes.txt",
        "bav_analysis.csv",
        "bav_analysis_20250721.csv",
        "bav_analysis_20251341_203007.csv",  # no such date
        "bav_analysis_20250721_203007_chunk_00_of_16.csv",
        "bav_analysis_20250721_203007_chunk_17_of_16.csv",
        "vtexp_20250721_203256.json",
        "positions_response.csv",
        "orders.json",
    ],
)
def test_a_name_no_feed_uses_is_refused_with_a_clear_message(name: str) -> None:
    with pytest.raises(ValueError, match=r"cannot place|not a valid|chunk"):
        feed_key_for_filename(name, now=MORNING)


def test_bad_instrument_json_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no instrument\[0\]\.id"):
        feed_key_for_filename("instrument_details_x.json", now=MORNING, data=b'{"instrument": []}')
