"""The ladder over the websocket: the real read model, recomputed once per window, cell deltas."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from frgm_site.asgi import application  # noqa: F401 - the app under test
from ladder.frames import CLOSE_BAD_REQUEST
from ladder.hub import live_hub
from tests.feeds.ingest.conftest import ORDERS_KEY, POSITIONS_KEY, sample

from .conftest import connect, frame, frames_for

pytestmark = pytest.mark.django_db(transaction=True)

INSTRUMENT = "8092262517946017060"
LATER_POSITIONS = "tt/positions/2025-07-21/positions_20250721_203010.json"
SAME_POSITIONS = "tt/positions/2025-07-21/positions_20250721_203012.json"


async def _ingest(feed_queue, *files: tuple[str, bytes]) -> None:
    for key, body in files:
        await sync_to_async(feed_queue.put)(key, body)
    assert all(await sync_to_async(feed_queue.drain)())


async def test_the_ladder_snapshot_then_a_positions_file_patches_cells(
    feed_queue, trader, live_settings
) -> None:
    await _ingest(
        feed_queue,
        (POSITIONS_KEY, sample("tt/positions_response.json")),
        (ORDERS_KEY, sample("tt/working_orders_response.json")),
    )
    ws = await connect(f"/ws/ladder/?instrument={INSTRUMENT}&ticks=20", trader)
    snapshot = await frame(ws)
    assert snapshot["type"] == "snapshot"
    assert snapshot["view"] == f"ladder:{INSTRUMENT}:20"
    data = snapshot["data"]
    assert len(data["rows"]) == 41
    assert data["order"] == list(data["rows"])
    assert data["header"]["instrument_id"] == INSTRUMENT
    assert data["header"]["position"][1] == "219"
    assert data["header"]["spot_row"] in data["rows"]
    # the worked case of the issue: at 110'040 the projected position is 529
    assert data["rows"]["110.125"]["position"][1] == "529"
    assert data["rows"]["110.125"]["pnl"][1] == "-65226.5625"

    moved = sample("tt/positions_response.json").replace(
        b'"netPosition": 219.0', b'"netPosition": 220.0'
    )
    await _ingest(feed_queue, (LATER_POSITIONS, moved))
    delta = await frame(ws)
    assert delta["type"] == "delta"
    assert delta["seq"] == snapshot["seq"] + 1
    assert list(delta["feeds"]) == ["tt-positions"]
    assert delta["data"]["header"]["position"][1] == "220"
    assert delta["data"]["rows"]["110.125"]["position"][1] == "530"
    assert delta["data"]["added"] == []  # same spot: same rows, changed cells only
    assert all(
        # the book's P&L and delta move with the futures position
        set(cells) <= {"position", "pnl", "risk", "breakeven", "book_pnl", "book_delta"}
        for cells in delta["data"]["rows"].values()
    )

    # a file that changes nothing sends no delta, but tells the stale banner the feed is alive
    await _ingest(feed_queue, (SAME_POSITIONS, moved))
    health = await frame(ws, kinds=("health", "delta"), timeout=3)
    assert health["type"] == "health"
    assert list(health["feeds"]) == ["tt-positions"]
    assert health["feeds"]["tt-positions"]["ingested_at"] > delta["feeds"]["tt-positions"]
    assert await frames_for(ws, 0.3) == []
    await ws.disconnect()


async def test_ladder_updates_coalesce_into_one_recompute_per_window(
    stack, trader, live_settings
) -> None:
    """Several updates in one window: one recompute, one frame (fake read model)."""
    calls: list[int] = []
    marks: list[object] = []
    state = {"position": 1}

    def compute(*, instrument_id, ticks, state_mark=None):
        calls.append(state["position"])
        marks.append(state_mark)
        header = {
            "instrument_id": "X",
            "position": [f"+{state['position']}", str(state["position"]), ""],
        }
        rows = {
            f"110.{p}": {"position": [str(state["position"] + p), str(state["position"] + p), ""]}
            for p in range(3)
        }
        return header, rows

    live_hub().ladder_compute = compute
    ws = await connect("/ws/ladder/?instrument=X", trader)
    snapshot = await frame(ws)
    assert snapshot["view"] == "ladder:X"
    assert calls == [1]

    from feeds.publish import updates_publish

    from .conftest import spot_update

    updates = []
    for n in range(1, 4):
        update = spot_update(n, {"p": {"instrument_id": "X"}}, group="X")
        update["feed"] = "tt-positions"
        updates.append(update)
    state["position"] = 5
    from django.test import override_settings

    with override_settings(FRGM_LIVE_SETTLE_S=0.15):
        for update in updates:
            await asyncio.to_thread(updates_publish, [update])
        delta = await frame(ws)
    assert calls == [1, 5]
    # what the hub had heard, sent with each recompute (a shared state read's key)
    assert marks[0] != marks[1] == live_hub().state_mark()
    assert delta["seq"] == 1
    assert delta["data"]["header"] == {"position": ["+5", "5", ""]}
    assert delta["data"]["rows"]["110.0"] == {"position": ["5", "5", ""]}
    assert await frames_for(ws, 0.3) == []
    await ws.disconnect()


@pytest.mark.parametrize("query", ["ticks=0", "ticks=abc", "instrument=%3Cscript%3E"])
async def test_a_bad_ladder_query_is_refused_with_4400(stack, trader, query) -> None:
    ws = await connect(f"/ws/ladder/?{query}", trader)
    error = await frame(ws)
    assert error["type"] == "error"
    assert error["code"] == "bad-request"
    assert (await frame(ws, kinds=("close",))) == {"type": "close", "code": CLOSE_BAD_REQUEST}


async def test_the_hub_mark_moves_with_every_update_and_file_it_hears(stack) -> None:
    """Equal marks let two recomputes share one state read: only a hub that heard
    nothing in between may give the same mark twice."""
    import time

    from feeds.messages import FeedFile
    from ladder.hub import LiveHub

    from .conftest import spot_update

    hub = live_hub()
    first = hub.state_mark()
    assert hub.state_mark() == first
    hub.dispatch(spot_update(1, {"K": None}))
    second = hub.state_mark()
    hub.file_landed(
        FeedFile(
            type="feed.file",
            feed="tt-orders",
            key="tt/orders/k.json",
            status="same",
            updates=0,
            file_time=None,
            s3_event_time=None,
            ingested_at=time.time(),
        )
    )
    assert len({first, second, hub.state_mark()}) == 3
    assert LiveHub().state_mark() != LiveHub().state_mark()  # no two hubs share one
