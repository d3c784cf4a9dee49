"""A file reaches the pages when it lands, even one that changes nothing they show:
its feed's arrival goes out at once, not at the hub's next health turn."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from feeds.messages import FeedUpdate
from feeds.publish import updates_publish
from tests.feeds.ingest.conftest import ORDERS_KEY, POSITIONS_KEY, sample

from .conftest import connect, frame

pytestmark = pytest.mark.django_db(transaction=True)

INSTRUMENT = "8092262517946017060"
SAME_POSITIONS = "tt/positions/2025-07-21/positions_20250721_203012.json"
NO_HEALTH_TURN = {"FRGM_LIVE_HEALTH_S": 60.0}  # only a push can tell the page in time


async def _ingest(feed_queue, *files: tuple[str, bytes]) -> None:
    for key, body in files:
        await sync_to_async(feed_queue.put)(key, body)
    assert all(await sync_to_async(feed_queue.drain)())


async def _ladder(feed_queue, trader):
    await _ingest(
        feed_queue,
        (POSITIONS_KEY, sample("tt/positions_response.json")),
        (ORDERS_KEY, sample("tt/working_orders_response.json")),
    )
    ws = await connect(f"/ws/ladder/?instrument={INSTRUMENT}&ticks=20", trader)
    assert (await frame(ws))["type"] == "snapshot"
    return ws


async def test_a_positions_file_that_changes_nothing_reaches_the_ladder_at_once(
    feed_queue, trader, live_settings
) -> None:
    with override_settings(**NO_HEALTH_TURN):
        ws = await _ladder(feed_queue, trader)
        await _ingest(feed_queue, (SAME_POSITIONS, sample("tt/positions_response.json")))
        landed_by = time.time()
        health = await frame(ws, kinds=("health", "delta"), timeout=2)
        assert health["type"] == "health"
        stamp = health["feeds"]["tt-positions"]
        assert stamp["file_time"].startswith("2025-07-21T20:30:12")
        assert stamp["ingested_at"] <= landed_by
        assert stamp["event_time"]  # the page tells the file's latency from it
        assert time.time() - landed_by < 1.0
        await ws.disconnect()


async def test_a_positions_change_that_moves_no_ladder_cell_reaches_the_ladder_at_once(
    feed_queue, trader, live_settings
) -> None:
    with override_settings(**NO_HEALTH_TURN):
        ws = await _ladder(feed_queue, trader)
        ingested = time.time()
        # a row of another account gone: the ladder recomputes to the same cells
        update = FeedUpdate(
            type="feed.update",
            feed="tt-positions",
            group="other",
            seq=1,
            version="20250721T203013|x|p",
            key="tt/positions/2025-07-21/positions_20250721_203013.json",
            changed={"another-account": None},
            file_time="2025-07-21T20:30:13-05:00",
            s3_event_time="2025-07-22T01:30:13+00:00",
            ingested_at=ingested,
        )
        await asyncio.to_thread(updates_publish, [update])
        health = await frame(ws, kinds=("health", "delta"), timeout=2)
        assert health["type"] == "health"
        assert health["feeds"]["tt-positions"]["ingested_at"] == ingested
        assert time.time() - ingested < 1.0
        await ws.disconnect()


async def test_the_spot_risk_page_hears_of_a_vtexp_file_at_once(
    stack, trader, live_settings
) -> None:
    """The page shows vtexp's age, though no vtexp row is one of its cells."""
    with override_settings(**NO_HEALTH_TURN):
        ws = await connect("/ws/spot-risk/", trader)
        await frame(ws)
        ingested = time.time()
        update = FeedUpdate(
            type="feed.update",
            feed="vtexp",
            group="all",
            seq=1,
            version="20250721T203256|x|v",
            key="actant/vtexp/2025-07-21/vtexp_20250721_203256.csv",
            changed={"AUG25": {"symbol": "XCME.ZN.N.G.AUG25", "vtexp": 12.5}},
            file_time="2025-07-21T20:32:56-05:00",
            s3_event_time=None,
            ingested_at=ingested,
        )
        await asyncio.to_thread(updates_publish, [update])
        health = await frame(ws, kinds=("health", "delta"), timeout=2)
        assert health["type"] == "health"
        assert health["feeds"]["vtexp"]["ingested_at"] == ingested
        await ws.disconnect()
