"""feeds.feed_keys owns the S3 key layout: every key it builds is read back by the
parsers' registry as the same feed, moment, trading date and chunk."""

from __future__ import annotations

from datetime import datetime

import pytest

from feeds.feed_keys import (
    CHICAGO,
    instrument_key,
    orders_key,
    positions_key,
    spot_risk_key,
    stamp_time,
    trading_date_for,
    vtexp_key,
)
from feeds.parsers import feed_key_parse
from feeds.records import Feed

# Friday evening after the roll: the file belongs to Monday's trading date.
MOMENT = datetime(2025, 7, 25, 18, 4, 9, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("key", "feed"),
    [
        (spot_risk_key(moment=MOMENT), Feed.SPOT_RISK),
        (vtexp_key(moment=MOMENT), Feed.VTEXP),
        (positions_key(moment=MOMENT), Feed.TT_POSITIONS),
        (orders_key(moment=MOMENT), Feed.TT_ORDERS),
    ],
)
def test_a_built_key_reads_back_as_its_feed_moment_and_trading_date(key: str, feed: Feed) -> None:
    source = feed_key_parse(key)
    assert source is not None
    assert source.feed is feed
    assert source.file_time == MOMENT
    assert source.trading_date == trading_date_for(MOMENT)
    assert str(source.trading_date) == "2025-07-28"
    assert (source.chunk, source.chunks) == (None, None)


def test_a_built_chunk_key_reads_back_as_its_chunk_of_its_batch() -> None:
    source = feed_key_parse(spot_risk_key(moment=MOMENT, chunk=3, chunks=16))
    assert source is not None
    assert (source.feed, source.chunk, source.chunks) == (Feed.SPOT_RISK, 3, 16)
    assert source.file_time == MOMENT


def test_an_instrument_key_reads_back_as_its_instrument() -> None:
    source = feed_key_parse(instrument_key(instrument_id="4417005968061224234"))
    assert source is not None
    assert (source.feed, source.instrument_id) == (Feed.TT_INSTRUMENTS, "4417005968061224234")


def test_a_stamp_is_a_chicago_moment_and_a_bad_one_no_feed_file() -> None:
    assert stamp_time("20250725_180409") == MOMENT
    assert feed_key_parse("actant/vtexp/2025-07-28/vtexp_20250725_256409.csv") is None
