"""Redis down during a file: the message stays, and the file is ingested once Redis is back."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from devstack.processes import free_port, redis_start
from feeds.redis_clients import redis_clients_reset
from tests.feeds.ingest.conftest import POSITIONS_KEY, latest_rows, sample


@pytest.fixture
def own_state_store(feed_queue, tmp_path):
    """A state store of this test's own, so stopping it harms no other test."""
    port = free_port()
    start = {"name": "state", "port": port, "data_dir": tmp_path, "cluster": True, "durable": True}
    servers = [redis_start(**start)]
    with override_settings(FRGM_STATE_REDIS_URL=f"redis://127.0.0.1:{port}/0"):
        redis_clients_reset()

        def restart():
            servers.append(redis_start(**start))
            redis_clients_reset()

        yield servers[0], restart
    for server in servers:
        server.stop()
    redis_clients_reset()


def test_a_file_is_retried_while_redis_is_down_then_ingested(feed_queue, own_state_store):
    server, restart = own_state_store
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    server.stop()
    redis_clients_reset()
    handled = feed_queue.drain()
    assert False in handled  # the file's message was kept for another try
    assert feed_queue.depth() == 1
    restart()
    deadline = time.monotonic() + 15
    while feed_queue.depth() and time.monotonic() < deadline:
        feed_queue.drain()
    assert feed_queue.depth() == 0
    [position] = latest_rows("tt-positions").values()
    assert position["net_position"] == 219


def test_a_message_that_keeps_failing_goes_to_the_dlq_after_five_receives(
    feed_queue, own_state_store
):
    server, _ = own_state_store
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    server.stop()
    redis_clients_reset()
    with override_settings(FRGM_CONSUMER_VISIBILITY_S=1):  # retry after 1 s, not 2**n
        deadline = time.monotonic() + 30
        while feed_queue.depth(feed_queue.dlq_url) == 0 and time.monotonic() < deadline:
            feed_queue.drain(visibility_s=1)
            time.sleep(0.5)
    assert feed_queue.depth(feed_queue.dlq_url) == 1  # kept, visible to ops, not dropped
    assert feed_queue.depth() == 0
