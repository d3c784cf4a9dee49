"""The hub's promises: slow clients resync alone, updates coalesce, gaps heal, sockets checked."""

from __future__ import annotations

import asyncio

import pytest
from django.test import override_settings

from accounts.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from feeds.publish import updates_publish
from ladder.frames import CLOSE_IDLE
from ladder.hub import Subscriber, live_hub

from .conftest import SpotRiskReader, connect, frame, frames_for, shown, spot_row, spot_update

pytestmark = pytest.mark.django_db(transaction=True)


async def _publish(*updates) -> None:
    await asyncio.to_thread(updates_publish, list(updates))


async def _never_closed(code: int) -> None:  # pragma: no cover - not expected
    raise AssertionError(f"closed with {code}")


async def test_a_slow_client_gets_one_resync_while_a_fast_one_gets_every_delta(
    stack, trader, live_settings
) -> None:
    fast = await connect("/ws/spot-risk/", trader)
    reader = SpotRiskReader()
    first = await frame(fast)
    assert first["seq"] == 0
    reader.rows(first)
    slow = Subscriber(close=_never_closed, queue_size=3)  # nobody ever reads its queue
    await live_hub().subscribe("spot-risk", slow)

    for seq in range(1, 11):  # ten files, one at a time: ten frames
        await _publish(spot_update(seq, {f"K{seq}": spot_row(f"K{seq}", f"1.{seq}")}))
        delta = await frame(fast)
        assert delta["seq"] == seq
        assert reader.rows(delta) == {f"K{seq}": shown(spot_row_cells(f"K{seq}", f"1.{seq}"))}
        [packed] = delta["data"]["rows"].values()
        assert isinstance(packed, list)  # a new row: all its cells

    queued = _view_frames(slow)
    assert len(queued) == 1
    assert '"type":"resync"' in queued[0]
    assert slow.behind
    assert slow.resyncs == 1

    # the slow one asks again: a snapshot with everything, and deltas from there on
    await live_hub().snapshot(slow)
    [snapshot] = _view_frames(slow)
    assert '"type":"snapshot"' in snapshot
    assert '"seq":10' in snapshot
    await _publish(spot_update(11, {"K1": spot_row("K1", "2.0")}))
    assert (await frame(fast))["seq"] == 11
    [later] = _view_frames(slow)
    assert '"seq":11' in later
    await fast.disconnect()


def _view_frames(subscriber: Subscriber) -> list[str]:
    """What the subscriber's socket would be sent, less health frames."""
    queued = [subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())]
    return [text for text in queued if not text.startswith('{"type":"health"')]


def spot_row_cells(key: str, bid: str) -> dict:
    from ladder.hub import row_frame_cells

    return row_frame_cells(spot_row(key, bid))


async def test_updates_within_the_window_become_one_frame(stack, trader) -> None:
    with override_settings(FRGM_LIVE_SETTLE_S=0.2, FRGM_LIVE_INTERVAL_S=0.6):
        ws = await connect("/ws/spot-risk/", trader)
        reader = SpotRiskReader()
        reader.rows(await frame(ws))
        await _publish(
            *[spot_update(n, {f"K{n}": spot_row(f"K{n}", "1")}, group=f"G{n}") for n in range(1, 6)]
        )
        first = await frame(ws)
        assert first["seq"] == 1
        assert sorted(reader.rows(first)) == ["K1", "K2", "K3", "K4", "K5"]
        # the newest update's times ride along, for the browser's latency figure
        assert first["s3_event_time"]
        assert first["ingested_at"]

        # two more right after the frame: held back to one frame per interval
        await _publish(spot_update(2, {"K1": spot_row("K1", "2")}, group="G1"))
        await _publish(spot_update(2, {"K2": spot_row("K2", "2")}, group="G2"))
        second = await frame(ws)
        assert second["seq"] == 2
        assert sorted(reader.rows(second)) == ["K1", "K2"]
        assert second["server_time"] - first["server_time"] >= 0.55
        assert await frames_for(ws, 0.8) == []
        await ws.disconnect()


async def test_an_update_that_changes_nothing_sends_nothing(stack, trader, live_settings) -> None:
    ws = await connect("/ws/spot-risk/", trader)
    await frame(ws)
    await _publish(spot_update(1, {"K1": spot_row("K1", "1")}))
    assert (await frame(ws))["seq"] == 1
    await _publish(spot_update(2, {"K1": spot_row("K1", "1")}))  # a redelivery, same rows
    assert await frames_for(ws, 0.4) == []
    await ws.disconnect()


async def test_a_gap_in_the_feed_sequence_reloads_the_view_from_the_state_store(
    stack, trader, live_settings
) -> None:
    import json

    from lib.redis_clients import state_store

    ws = await connect("/ws/spot-risk/", trader)
    reader = SpotRiskReader()
    reader.rows(await frame(ws))
    await _publish(spot_update(1, {"K1": spot_row("K1", "1")}))
    assert reader.rows(await frame(ws))["K1"]["bid"][1] == "1"
    # update 2 is lost on the way; the state store has its row
    await asyncio.to_thread(
        state_store().hset, "frgm:{spot-risk}:rows", "K2", json.dumps(spot_row("K2", "7"))
    )
    await _publish(spot_update(3, {"K3": spot_row("K3", "3")}))
    delta = await frame(ws)
    assert delta["seq"] == 2
    rows = reader.rows(delta)
    assert rows["K2"]["bid"][1] == "7"  # healed from the state store
    assert rows["K1"] is None  # K1 is not in the state store
    await ws.disconnect()


@pytest.mark.parametrize("path", ["/ws/ladder/", "/ws/spot-risk/"])
async def test_oncall_is_refused_the_trader_views_with_4403(stack, oncall, path) -> None:
    ws = await connect(path, oncall)
    assert await ws.receive_output() == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


@pytest.mark.parametrize("path", ["/ws/ladder/", "/ws/spot-risk/", "/ws/slide/"])
async def test_anonymous_is_refused_with_4401(stack, path) -> None:
    ws = await connect(path, None)
    assert await ws.receive_output() == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


async def test_pings_keep_coming_and_a_silent_client_is_closed(stack, trader) -> None:
    # wide enough that a busy machine's stalled test loop is not taken for a silent client
    with override_settings(FRGM_LIVE_PING_S=0.25, FRGM_LIVE_IDLE_S=1.2):
        ws = await connect("/ws/spot-risk/", trader)
        await frame(ws)
        for _ in range(6):  # 1.5 s of answered pings: the socket stays
            ping = await frame(ws, kinds=("ping",), timeout=1)
            assert ping["server_time"] > 0
            await ws.send_json_to({"type": "pong"})
        closed = await frame(ws, kinds=("close",), timeout=4)
        assert closed == {"type": "close", "code": CLOSE_IDLE}
        await ws.disconnect()
    # the hub drops the subscriber as the consumer finishes: wait for that, not a fixed time
    deadline = asyncio.get_running_loop().time() + 5
    while live_hub().subscriber_count() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    assert live_hub().subscriber_count() == 0
