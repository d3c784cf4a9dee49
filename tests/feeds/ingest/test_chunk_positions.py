"""A 9-column chunk carries no positions: the position the book last showed stands."""

from __future__ import annotations

from decimal import Decimal

from tests.feeds.ingest.conftest import SPOT_KEY, latest_rows, sample

CALL = "XCME.OZN.AUG25.111.C"
SAMPLE_CALL = b"XCME.OZN.AUG25.111.C,.2968750,.3125000,111,C,.3080913,414.7899485,448.0562477,431.4538723,0,0,"  # noqa: E501
HEADER_9 = b"Key,BID,ASK,STRIKE,ITYPE,ADJTHEOR,IVBID,IVASK,IVAVERAGE\n"
CHUNK_KEY = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203012_chunk_01_of_02.csv"
LATER_KEY = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203015.csv"


def _single(position: int) -> bytes:
    row = SAMPLE_CALL.replace(b",0,0,", f",{position},{position},".encode())
    return sample("actant/bav_analysis_20250721_203007.csv").replace(SAMPLE_CALL, row)


def _chunk(bid: str) -> bytes:
    return HEADER_9 + f"{CALL},{bid},.3281250,111,C,.3180913,414.7,448.0,431.4\n".encode()


def test_a_chunk_keeps_the_position_of_the_last_full_file(feed_queue) -> None:
    feed_queue.put(SPOT_KEY, _single(25))
    assert all(feed_queue.drain())
    assert latest_rows("spot-risk")[CALL]["position"] == 25

    feed_queue.put(CHUNK_KEY, _chunk(".3125000"))
    assert all(feed_queue.drain())
    call = latest_rows("spot-risk")[CALL]
    assert Decimal(call["bid"]) == Decimal("0.3125")  # the chunk's price ...
    assert call["position"] == 25  # ... and the book's position
    assert call["position_carried"] is True


def test_a_newer_full_file_sets_the_position_again(feed_queue) -> None:
    feed_queue.put(SPOT_KEY, _single(25))
    feed_queue.put(CHUNK_KEY, _chunk(".3125000"))
    assert all(feed_queue.drain())
    feed_queue.put(LATER_KEY, _single(-10))
    assert all(feed_queue.drain())
    call = latest_rows("spot-risk")[CALL]
    assert call["position"] == -10
    assert call["position_carried"] is False


def test_a_chunk_before_any_full_file_shows_no_position(feed_queue) -> None:
    feed_queue.put(CHUNK_KEY, _chunk(".3125000"))
    assert all(feed_queue.drain())
    call = latest_rows("spot-risk")[CALL]
    assert call["position"] is None  # unknown, not zero
    assert call["position_carried"] is False
