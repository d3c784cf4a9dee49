"""The ops page hears of each file as it lands: its feed's arrival and latency, at
once, not at the page's next render of its rows."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from frgm_site.asgi import application
from tests.feeds.ingest.conftest import POSITIONS_KEY, feed_queue, sample  # noqa: F401 - fixture

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
    assert told["latency_ms"] is not None and told["latency_ms"] >= 0
    assert time.time() - landed_by < 1.0
    await communicator.disconnect()
