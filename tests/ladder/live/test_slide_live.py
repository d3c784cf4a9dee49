"""The risk slide over the websocket (``/ws/slide/``): a snapshot, a delta with the next
seq when a spot-risk file lands, a fresh snapshot after a gap or a resync, one grid
computed per update per parameter set however many sockets share it, new parameters
on the same socket, traders only. Real ingest, real Redis, the real ASGI app."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.consumers import CLOSE_FORBIDDEN
from feeds.publish import updates_publish
from frgm_site.asgi import application  # noqa: F401 - the app under test
from ladder import api_cache
from ladder.frames import CLOSE_BAD_REQUEST
from ladder.hub import SLIDE_PREFIX, Subscriber, live_hub
from tests.feeds.ingest.conftest import ORDERS_KEY, POSITIONS_KEY, SPOT_KEY, VTEXP_KEY, sample
from tests.ladder.book.conftest import POSITIONS, spot_risk_with_positions
from tests.ladder.pages.conftest import INSTRUMENT
from tests.ladder.pages.test_spot_from_actant import sep25_instrument

from .conftest import connect, frame, frames_for, spot_row, spot_update

pytestmark = pytest.mark.django_db(transaction=True)

LATER_SPOT = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203107.csv"
SAMPLE_FUTURE = b"XCME.ZN.SEP25,111.1562500,111.1718750,"
QUERY = "moves=16&step=8&vol_shifts=-0.1,0,0.1"


async def _ingest(feed_queue, *files: tuple[str, bytes]) -> None:
    for key, body in files:
        await sync_to_async(feed_queue.put)(key, body)
    assert all(await sync_to_async(feed_queue.drain)())


async def _desk(feed_queue) -> None:
    """The sample files, the issue's four option positions, the TT future mapped."""
    await _ingest(
        feed_queue,
        (VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv")),
        (f"tt/instruments/instrument_{INSTRUMENT}.json", sep25_instrument()),
    )
    await _ingest(
        feed_queue,
        (SPOT_KEY, spot_risk_with_positions(POSITIONS)),
        (POSITIONS_KEY, sample("tt/positions_response.json")),
        (ORDERS_KEY, sample("tt/working_orders_response.json")),
    )


def _future_moved(ticks: int) -> bytes:
    """The sample spot-risk file with the future's bid and ask ``ticks`` higher."""
    body = spot_risk_with_positions(POSITIONS)
    bid = Decimal("111.15625") + Decimal(ticks) / 64
    assert SAMPLE_FUTURE in body
    return body.replace(
        SAMPLE_FUTURE, f"XCME.ZN.SEP25,{bid:.7f},{bid + Decimal(1) / 64:.7f},".encode()
    )


@sync_to_async
def _api(trader, query: str) -> dict:
    client = Client()
    client.force_login(trader)
    response = client.get(f"/api/slide/?{query}")
    assert response.status_code == 200
    return response.json()


def _slide_views() -> dict:
    return {k: v for k, v in live_hub().views.items() if k.startswith(SLIDE_PREFIX)}


async def test_a_snapshot_then_a_spot_risk_file_is_a_delta_with_the_next_seq(
    feed_queue, trader, live_settings
) -> None:
    await _desk(feed_queue)
    ws = await connect(f"/ws/slide/?{QUERY}", trader)
    snapshot = await frame(ws)
    assert snapshot["type"] == "snapshot"
    assert snapshot["view"].startswith(SLIDE_PREFIX)
    data = snapshot["data"]
    assert data["order"] == ["16", "8", "0", "-8", "-16"]
    assert data["header"]["spot"] == "111.1640625"
    assert data["header"]["shifts"] == ["vol -10 %", "vol 0", "vol +10 %"]
    assert data["header"]["not_priced"]["text"] == "0 options not priced"
    api = await _api(trader, QUERY)
    api_trusted_until = time.monotonic() + api_cache.RECHECK_S
    for row in api["rows"]:  # the same numbers as /api/slide/, as the page shows them
        cells = data["rows"][str(row["move"])]
        assert [cells[f"pnl:{i}"][1] for i in range(3)] == row["book_pnl"]
        assert cells["price"] == [row["display"], row["price"], ""]

    await _ingest(feed_queue, (LATER_SPOT, _future_moved(4)))  # the future up 4 ticks
    delta = await frame(ws)
    assert delta["type"] == "delta"
    assert delta["seq"] == snapshot["seq"] + 1
    assert delta["data"]["header"]["spot"] == "111.2265625"
    # The API's answer is trusted for RECHECK_S at most (its own recheck finds the file):
    # the first one past that has the new numbers.
    await asyncio.sleep(max(0.0, api_trusted_until - time.monotonic()))
    moved = await _api(trader, QUERY)
    for row in moved["rows"]:
        changed = delta["data"]["rows"][str(row["move"])]  # every row's P&L moved
        assert [changed[f"pnl:{i}"][1] for i in range(3)] == row["book_pnl"]
    assert await frames_for(ws, 0.3) == []  # one file, one frame
    await ws.disconnect()


async def test_after_a_gap_or_a_resync_a_fresh_snapshot_carries_the_current_seq(
    feed_queue, trader, live_settings
) -> None:
    await _desk(feed_queue)
    ws = await connect(f"/ws/slide/?{QUERY}", trader)
    snapshot = await frame(ws)
    slow = Subscriber(close=_never_closed, queue_size=1)  # nobody reads its queue
    await live_hub().subscribe(snapshot["view"], slow)

    await _ingest(feed_queue, (LATER_SPOT, _future_moved(4)))
    delta = await frame(ws)
    assert delta["seq"] == snapshot["seq"] + 1
    assert slow.behind  # its snapshot filled its queue: the delta became a resync
    assert slow.resyncs == 1
    assert '"type":"resync"' in slow.queue.get_nowait()

    # the browser saw seq jump (or a resync): it asks, and starts again from the snapshot
    await ws.send_json_to({"type": "snapshot"})
    fresh = await frame(ws)
    assert fresh["type"] == "snapshot"
    assert fresh["seq"] == delta["seq"]
    assert fresh["data"]["header"]["spot"] == "111.2265625"
    await live_hub().snapshot(slow)
    assert not slow.behind
    assert f'"seq":{delta["seq"]}' in slow.queue.get_nowait()
    live_hub().unsubscribe(slow)
    await ws.disconnect()


async def _never_closed(code: int) -> None:  # pragma: no cover - not expected
    raise AssertionError(f"closed with {code}")


async def test_sockets_with_the_same_parameters_share_one_computation(
    feed_queue, trader, live_settings
) -> None:
    await _desk(feed_queue)
    first = await connect(f"/ws/slide/?{QUERY}", trader)
    same = await connect("/ws/slide/?vol_shifts=-0.1,0.0,0.1&step=8&moves=16", trader)
    other = await connect("/ws/slide/?moves=16&step=4", trader)
    snapshots = [await frame(ws) for ws in (first, same, other)]
    assert snapshots[0]["view"] == snapshots[1]["view"] != snapshots[2]["view"]
    views = _slide_views()
    assert len(views) == 2
    shared = views[snapshots[0]["view"]]
    assert len(shared.subscribers) == 2
    assert shared.computations == 1  # one snapshot computed for both sockets

    await _ingest(feed_queue, (LATER_SPOT, _future_moved(4)))
    deltas = [await frame(ws) for ws in (first, same, other)]
    assert deltas[0] == deltas[1]  # the same frame, serialised once
    assert deltas[0]["seq"] == snapshots[0]["seq"] + 1
    assert shared.computations == 2  # and one grid per update
    assert views[snapshots[2]["view"]].computations == 2
    for ws in (first, same, other):
        await ws.disconnect()


async def test_new_parameters_resubscribe_the_socket(feed_queue, trader, live_settings) -> None:
    await _desk(feed_queue)
    ws = await connect(f"/ws/slide/?{QUERY}", trader)
    old = (await frame(ws))["view"]

    await ws.send_json_to({"type": "subscribe", "query": "moves=8&step=4&days=2"})
    snapshot = await frame(ws)
    assert snapshot["type"] == "snapshot"
    assert snapshot["view"] != old
    assert snapshot["data"]["order"] == ["8", "4", "0", "-4", "-8"]
    assert len(snapshot["data"]["header"]["shifts"]) == 5  # the default vol shifts
    assert list(_slide_views()) == [snapshot["view"]]  # the old view had no one left

    await ws.send_json_to({"type": "subscribe", "query": "step=0"})
    error = await frame(ws)
    assert error["type"] == "error"
    assert error["code"] == "bad-request"
    assert "step" in error["message"]
    assert list(_slide_views()) == [snapshot["view"]]  # still on the last good one
    await _ingest(feed_queue, (LATER_SPOT, _future_moved(4)))
    delta = await frame(ws)
    assert delta["view"] == snapshot["view"]
    assert delta["seq"] == snapshot["seq"] + 1
    await ws.disconnect()


@pytest.mark.parametrize("query", ["moves=0", "vol_shifts=x", "days=-1", "instrument=%3Cb%3E"])
async def test_a_bad_slide_query_is_refused_with_4400(stack, trader, query) -> None:
    ws = await connect(f"/ws/slide/?{query}", trader)
    error = await frame(ws)
    assert error["type"] == "error"
    assert error["code"] == "bad-request"
    assert (await frame(ws, kinds=("close",))) == {"type": "close", "code": CLOSE_BAD_REQUEST}


async def test_only_traders_get_the_slide(stack, oncall) -> None:
    ws = await connect(f"/ws/slide/?{QUERY}", oncall)
    assert await ws.receive_output() == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    assert _slide_views() == {}


async def test_a_recompute_waits_for_frames_still_queued_for_sockets(
    stack, trader, live_settings
) -> None:
    """The fan-out first: a grid computed while the loop writes a frame to 1,000 sockets
    would hold the GIL against those writes in a thread, or take the CPU they need in
    the compute process (``LadderRoom.writes_done``; this compute runs in a thread, and
    the compute process's path is the same code)."""
    computed: list[float] = []
    marks: list[object] = []

    def compute(**query):
        computed.append(time.monotonic())
        marks.append(query.get("state_mark"))
        n = str(len(computed))
        return {"spot": n}, {"0": {"pnl:0": [n, n, ""]}}

    hub = live_hub()
    hub.slide_compute = compute
    ws = await connect(f"/ws/slide/?{QUERY}", trader)
    assert (await frame(ws))["data"]["header"] == {"spot": "1"}
    [room] = _slide_views().values()
    unwritten = Subscriber(close=_never_closed)  # a socket whose writer has not run yet
    unwritten.queue.put_nowait("a spot-risk frame still to write")
    room.subscribers.add(unwritten)
    drained: list[float] = []

    def drain() -> None:
        drained.append(time.monotonic())
        hub.heard += 1  # a file heard while the recompute waited: its read must see it
        while not unwritten.queue.empty():
            unwritten.queue.get_nowait()

    asyncio.get_running_loop().call_later(0.08, drain)
    await asyncio.to_thread(
        updates_publish, [spot_update(1, {"K": spot_row("XCME.OZN.SEP25.110.C", "0.5")})]
    )
    delta = await frame(ws)
    assert delta["data"]["header"] == {"spot": "2"}
    assert drained, "the recompute did not wait for the queued frame"
    assert computed[1] >= drained[0]
    assert marks[1] == hub.state_mark()  # the mark after the wait, not before it
    room.subscribers.discard(unwritten)
    await ws.disconnect()
