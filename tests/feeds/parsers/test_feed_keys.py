"""The S3 key layout (FEEDS.md "Where files land"): what each key form says,
and which keys are not feed files at all."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.parsers import ParseError, UnknownKey, feed_key_parse, file_parse, parser_for
from feeds.records import Feed, FeedKey

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("key", "feed", "trading_date", "file_time"),
    [
        (
            "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
            Feed.SPOT_RISK,
            date(2025, 7, 21),
            datetime(2025, 7, 21, 20, 30, 7, tzinfo=CHICAGO),
        ),
        (
            "actant/vtexp/2025-07-21/vtexp_20250721_203256.csv",
            Feed.VTEXP,
            date(2025, 7, 21),
            datetime(2025, 7, 21, 20, 32, 56, tzinfo=CHICAGO),
        ),
        (
            "tt/positions/2025-07-22/positions_20250721_190000.json",
            Feed.TT_POSITIONS,
            date(2025, 7, 22),  # the evening session trades for the next day
            datetime(2025, 7, 21, 19, 0, 0, tzinfo=CHICAGO),
        ),
        (
            "tt/orders/2025-07-21/working_orders_20250721_083001.json",
            Feed.TT_ORDERS,
            date(2025, 7, 21),
            datetime(2025, 7, 21, 8, 30, 1, tzinfo=CHICAGO),
        ),
    ],
)
def test_it_reads_feed_date_and_chicago_time_from_a_dated_key(key, feed, trading_date, file_time):
    found = feed_key_parse(key)
    assert found == FeedKey(feed=feed, key=key, trading_date=trading_date, file_time=file_time)
    assert found is not None
    assert found.file_time is not None
    assert found.file_time.tzinfo == CHICAGO


def test_it_reads_chunk_and_chunk_count_from_a_chunked_spot_risk_key():
    key = "actant/spot-risk/2025-07-29/bav_analysis_20250729_151211_chunk_01_of_16.csv"
    assert feed_key_parse(key) == FeedKey(
        feed=Feed.SPOT_RISK,
        key=key,
        trading_date=date(2025, 7, 29),
        file_time=datetime(2025, 7, 29, 15, 12, 11, tzinfo=CHICAGO),
        chunk=1,
        chunks=16,
    )


def test_it_reads_the_last_chunk_of_a_batch():
    found = feed_key_parse(
        "actant/spot-risk/2025-07-29/bav_analysis_20250729_151211_chunk_16_of_16.csv"
    )
    assert found is not None
    assert (found.chunk, found.chunks) == (16, 16)


def test_it_reads_the_instrument_id_from_an_instrument_key():
    key = "tt/instruments/instrument_4877721789746411490.json"
    assert feed_key_parse(key) == FeedKey(
        feed=Feed.TT_INSTRUMENTS,
        key=key,
        trading_date=None,
        file_time=None,
        instrument_id="4877721789746411490",
    )


def test_it_gives_the_utc_instant_of_a_winter_file_time():
    found = feed_key_parse("actant/vtexp/2025-01-15/vtexp_20250115_083000.csv")
    assert found is not None
    assert found.file_time is not None
    assert found.file_time.utcoffset().total_seconds() == -6 * 3600  # CST, not CDT


@pytest.mark.parametrize(
    "key",
    [
        "",
        "actant/spot-risk/2025-07-21/",  # a folder marker
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv.tmp",
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.json",
        "actant/spot-risk/bav_analysis_20250721_203007.csv",  # no date folder
        "actant/spot-risk/2025-07-21/old/bav_analysis_20250721_203007.csv",
        "/actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
        "archive/actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
        "actant/spot-risk/20250721/bav_analysis_20250721_203007.csv",
        "actant/spot-risk/2025-07-21/bav_analysis_2025072_203007.csv",
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007_chunk_1_of_16.csv",
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007_chunk_00_of_16.csv",
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007_chunk_17_of_16.csv",
        "actant/spot-risk/2025-13-40/bav_analysis_20250721_203007.csv",  # no such date
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_253007.csv",  # no such time
        "actant/vtexp/2025-07-21/vtexp_20250721_203256.json",
        "actant/vtexp/2025-07-21/bav_analysis_20250721_203007.csv",
        "tt/positions/2025-07-21/working_orders_20250721_203007.json",
        "tt/orders/2025-07-21/orders_20250721_203007.json",
        "tt/instruments/instrument_details_zn_jun25.json",
        "tt/instruments/instrument_.json",
        "tt/instruments/2025-07-21/instrument_4877721789746411490.json",
        "Actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
        "README.md",
    ],
)
def test_it_does_not_take_other_keys_for_feed_files(key):
    assert feed_key_parse(key) is None


def test_file_parse_refuses_a_key_that_is_not_a_feed_file_as_unknown_not_bad():
    with pytest.raises(UnknownKey) as raised:
        file_parse(key="README.md", data=b"# hello")
    assert not isinstance(raised.value, ParseError)
    assert raised.value.key == "README.md"


@pytest.mark.parametrize("feed", list(Feed))
def test_every_feed_has_a_parser_that_owns_its_keys(feed):
    parser = parser_for(feed)
    assert parser.feed is feed
    assert parser.key_pattern.pattern
