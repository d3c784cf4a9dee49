"""A chunk's updates say which chunk of its batch it is: the live hub never reads the key."""

from __future__ import annotations

from datetime import datetime

from feeds.feed_keys import CHICAGO, feed_key_for_filename
from feeds.messages import feed_all_group_name
from tests.feeds.ingest.conftest import SPOT_KEY, sample

CHUNK_NAME = "bav_analysis_20250729_151211_chunk_01_of_16.csv"


def test_a_chunk_s_updates_carry_its_chunk_numbers_and_batch_stamp(
    feed_queue, channel_listener
) -> None:
    updates = channel_listener(feed_all_group_name("spot-risk"))
    key = feed_key_for_filename(CHUNK_NAME, now=datetime.now(CHICAGO))
    feed_queue.put(key, sample(f"actant/{CHUNK_NAME}"))
    assert all(feed_queue.drain())

    received = updates()
    assert received
    assert {(u["chunk"], u["chunks"]) for u in received} == {(1, 16)}
    # the batch is the chunks' shared stamp, 20250729_151211 on the Chicago clock (CDT)
    assert {u["file_time"] for u in received} == {"2025-07-29T15:12:11-05:00"}


def test_a_whole_file_s_updates_carry_no_chunk_numbers(feed_queue, channel_listener) -> None:
    updates = channel_listener(feed_all_group_name("spot-risk"))
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    assert all(feed_queue.drain())

    received = updates()
    assert received
    assert not any("chunk" in u or "chunks" in u for u in received)
