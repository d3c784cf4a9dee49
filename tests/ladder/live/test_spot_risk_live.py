"""Spot risk live: snapshot on connect, deltas from real ingests, snapshots on request."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from feeds.records import Feed
from feeds.selectors import latest_rows
from ladder.hub import row_frame_cells
from ladder.prices import price_to_32nds
from tests.feeds.ingest.conftest import SPOT_KEY, VTEXP_KEY, sample

from .conftest import SpotRiskReader, connect, frame, frames_for, shown

pytestmark = pytest.mark.django_db(transaction=True)

SPOT_SAMPLE = "actant/bav_analysis_20250721_203007.csv"
LATER_KEY = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203009.csv"
FUTURE = "XCME.ZN.SEP25"


def _moved_future(body: bytes) -> bytes:
    """The sample with the future's bid one tick higher."""
    old = b"XCME.ZN.SEP25,111.1562500,111.1718750"
    assert old in body
    return body.replace(old, b"XCME.ZN.SEP25,111.1640625,111.1718750")


async def _ingest(feed_queue, *files: tuple[str, bytes]) -> None:
    for key, body in files:
        await sync_to_async(feed_queue.put)(key, body)
    assert all(await sync_to_async(feed_queue.drain)())


async def _watching_the_sample(feed_queue, trader) -> tuple:
    """vtexp and the spot-risk sample ingested, a trader's socket open on its snapshot."""
    body = sample(SPOT_SAMPLE)
    await _ingest(
        feed_queue, (VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv")), (SPOT_KEY, body)
    )
    ws = await connect("/ws/spot-risk/", trader)
    return ws, body, await frame(ws)


async def _redis_rows() -> dict:
    return await sync_to_async(latest_rows)(feed=Feed.SPOT_RISK)


async def test_connect_gets_a_snapshot_of_the_state_with_its_seq(
    feed_queue, trader, live_settings
) -> None:
    await _ingest(
        feed_queue,
        (VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv")),
        (SPOT_KEY, sample(SPOT_SAMPLE)),
    )
    ws = await connect("/ws/spot-risk/", trader)
    snapshot = await frame(ws)
    assert snapshot["type"] == "snapshot"
    assert snapshot["view"] == "spot-risk"
    assert snapshot["seq"] == 0
    assert snapshot["version"]
    assert SPOT_KEY in snapshot["version"]
    redis_rows = await _redis_rows()
    by_key = SpotRiskReader().rows(snapshot)  # exact: every cell as the page renders it
    assert by_key == {k: row_frame_cells(v) for k, v in redis_rows.items()}
    # cells as the page shows them: [text, exact value, tone]
    assert by_key[FUTURE]["bid"] == [price_to_32nds(Decimal("111.15625")), "111.15625", ""]
    assert set(snapshot["data"]["totals"]) >= {"portfolio", "future", "AUG25"}
    assert snapshot["feeds"]["spot-risk"]["ingested_at"] > 0
    await ws.disconnect()


async def test_an_ingested_file_becomes_one_delta_with_the_next_seq_matching_redis(
    feed_queue, trader, live_settings
) -> None:
    ws, body, snapshot = await _watching_the_sample(feed_queue, trader)
    reader = SpotRiskReader()
    reader.rows(snapshot)

    await _ingest(feed_queue, (LATER_KEY, _moved_future(body)))
    delta = await frame(ws)
    assert delta["type"] == "delta"
    assert delta["seq"] == snapshot["seq"] + 1
    assert LATER_KEY in delta["version"]
    assert delta["s3_event_time"]
    assert delta["ingested_at"] > 0
    assert "spot-risk" in delta["feeds"]
    redis_rows = await _redis_rows()
    # only the changed cell of the future
    changed = reader.rows(delta)
    assert changed[FUTURE] == {"bid": [price_to_32nds(Decimal("111.1640625")), "111.1640625", ""]}
    for key, cells in changed.items():  # the forward moved: the options' Greeks with it
        full = shown(row_frame_cells(redis_rows[key]))
        assert cells == {col: full[col] for col in cells}
    assert await frames_for(ws, 0.3) == []  # one file, one frame

    # after a gap (or a resync, or a reconnect) the browser asks: a fresh snapshot
    await ws.send_json_to({"type": "snapshot"})
    fresh = await frame(ws)
    assert fresh["type"] == "snapshot"
    assert fresh["seq"] == delta["seq"]
    rows = SpotRiskReader().rows(fresh)
    assert rows[FUTURE]["bid"][1] == "111.1640625"
    assert rows == {k: row_frame_cells(v) for k, v in redis_rows.items()}
    await ws.disconnect()


async def test_a_removed_row_is_sent_as_null(feed_queue, trader, live_settings) -> None:
    ws, body, snapshot = await _watching_the_sample(feed_queue, trader)
    reader = SpotRiskReader()
    reader.rows(snapshot)
    gone = b"XCME.OZN.AUG25.110:25.C"
    without = b"\n".join(line for line in body.split(b"\n") if not line.startswith(gone))
    await _ingest(feed_queue, (LATER_KEY, without))
    delta = await frame(ws)
    assert reader.rows(delta)[gone.decode()] is None
    await ws.disconnect()


async def test_an_unknown_frame_gets_an_error_and_the_socket_stays(
    trader, stack, live_settings
) -> None:
    ws = await connect("/ws/spot-risk/", trader)
    await frame(ws)
    await ws.send_to(text_data="not json")
    error = await frame(ws)
    assert error["type"] == "error"
    assert error["code"] == "bad-request"
    await ws.send_json_to({"type": "shout"})
    assert (await frame(ws))["type"] == "error"
    await ws.send_json_to({"type": "snapshot"})
    assert (await frame(ws))["type"] == "snapshot"
    await ws.disconnect()
    await asyncio.sleep(0)


async def test_a_change_below_the_shown_places_sends_no_frame(
    feed_queue, trader, live_settings
) -> None:
    ws, body, _ = await _watching_the_sample(feed_queue, trader)
    # The theo's seventh decimal: its 32nds to two places, the vol and the Greeks
    # at four places all read the same.
    old = b"XCME.OZN.AUG25.110:25.C,.9218750,.9375000,110.2500000,C,.9283016,"
    assert old in body
    nudged = body.replace(old, old.replace(b".9283016", b".9283017"))
    await _ingest(feed_queue, (LATER_KEY, nudged))
    assert await frames_for(ws, 0.5) == []
    await ws.send_json_to({"type": "snapshot"})
    fresh = await frame(ws)
    theo = SpotRiskReader().rows(fresh)["XCME.OZN.AUG25.110:25.C"]["theo"]
    assert theo[1] == "0.9283017"  # a snapshot is exact
    await ws.disconnect()
