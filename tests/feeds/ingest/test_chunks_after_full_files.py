"""A whole (16-column) spot-risk file stands for every row: an older chunk never beats it."""

from __future__ import annotations

from decimal import Decimal

from feeds.messages import feed_all_group_name
from lib.redis_clients import state_store
from tests.feeds.ingest.conftest import latest_rows, sample
from tests.feeds.ingest.test_chunk_positions import CALL, HEADER_9

DAY = "actant/spot-risk/2025-07-21/"
FULL_KEY = DAY + "bav_analysis_20250721_203020.csv"
OLDER_CHUNK_KEY = DAY + "bav_analysis_20250721_203010_chunk_01_of_02.csv"
NEWER_CHUNK_KEY = DAY + "bav_analysis_20250721_203030_chunk_01_of_02.csv"
FULL_BID = Decimal("0.296875")  # the call's bid in the sample


def _chunk(bid: str) -> bytes:
    return HEADER_9 + f"{CALL},{bid},.3281250,111,C,.3180913,414.7,448.0,431.4\n".encode()


def _spot_risk_store() -> tuple[dict, dict]:
    store = state_store()
    return store.hgetall("frgm:{spot-risk}:rows"), store.hgetall("frgm:{spot-risk}:seq")


def test_a_chunk_older_than_the_last_full_file_changes_no_row_and_pushes_nothing(
    feed_queue, channel_listener
):
    feed_queue.put(FULL_KEY, sample("actant/bav_analysis_20250721_203007.csv"))  # 20:30:20
    assert all(feed_queue.drain())
    before = _spot_risk_store()
    pushes = channel_listener(feed_all_group_name("spot-risk"))

    feed_queue.put(OLDER_CHUNK_KEY, _chunk(".1250000"))  # 20:30:10, arrives late
    assert all(feed_queue.drain())

    assert Decimal(latest_rows("spot-risk")[CALL]["bid"]) == FULL_BID
    assert _spot_risk_store() == before  # rows and each group's sequence as they were
    assert pushes() == []


def test_a_chunk_newer_than_the_last_full_file_still_applies(feed_queue, channel_listener):
    feed_queue.put(FULL_KEY, sample("actant/bav_analysis_20250721_203007.csv"))  # 20:30:20
    assert all(feed_queue.drain())
    pushes = channel_listener(feed_all_group_name("spot-risk"))

    feed_queue.put(NEWER_CHUNK_KEY, _chunk(".3125000"))  # 20:30:30
    assert all(feed_queue.drain())

    assert Decimal(latest_rows("spot-risk")[CALL]["bid"]) == Decimal("0.3125")
    [push] = pushes()
    assert (push["group"], list(push["changed"])) == ("AUG25", [CALL])
