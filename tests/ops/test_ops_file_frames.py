"""The ops page hears of each file as it lands: its feed's arrival and latency, at
once, not at the page's next render of its rows."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from frgm_site.asgi import application
from tests.feeds.ingest.conftest import POSITIONS_KEY, sample

from .test_ops_live import ORIGIN, _cookie

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(FRGM_OPS_PUSH_EVERY_S=60.0)  # only the push can tell it in time
async def test_on_call_is_told_each_file_when_it_lands(feed_queue, oncall):
    communicator = WebsocketCommunicator(
        application, "/ws/ops/", headers=[ORIGIN, await _cookie(oncall)]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["type"] == "rows"
    await sync_to_async(feed_queue.put)(POSITIONS_KEY, sample("tt/positions_response.json"))
    assert all(await sync_to_async(feed_queue.drain)())
    landed_by = time.time()
    told = await communicator.receive_json_from(timeout=2)
    assert told["type"] == "file"
    assert told["feed"] == "tt-positions"
    assert told["key"] == POSITIONS_KEY
    assert told["status"] == "applied"
    assert told["ingested_at"] <= landed_by
    assert told["latency_ms"] is not None
    assert told["latency_ms"] >= 0
    assert time.time() - landed_by < 1.0
    await communicator.disconnect()


@override_settings(FRGM_OPS_PUSH_EVERY_S=0.01)
async def test_an_arrival_does_not_wait_for_the_rows_being_rendered(
    feed_queue, oncall, monkeypatch
):
    """Rendering the rows holds the database thread; an arrival needs none of it."""
    import ops.consumers

    real_frame = ops.consumers.ops_rows_frame

    def slow_frame():
        time.sleep(1.0)  # a busy store: the one DB thread is taken for a second at a time
        return real_frame()

    monkeypatch.setattr(ops.consumers, "ops_rows_frame", slow_frame)
    communicator = WebsocketCommunicator(
        application, "/ws/ops/", headers=[ORIGIN, await _cookie(oncall)]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["type"] == "rows"
    await sync_to_async(feed_queue.put)(POSITIONS_KEY, sample("tt/positions_response.json"))
    assert all(await sync_to_async(feed_queue.drain)())
    landed_by = time.time()
    while True:
        told = await communicator.receive_json_from(timeout=3)
        if told["type"] == "file":
            break
    assert time.time() - landed_by < 0.5
    await communicator.disconnect()
