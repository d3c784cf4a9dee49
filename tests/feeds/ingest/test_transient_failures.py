"""Redis down during a file: the message stays, and the file is ingested once Redis is back."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import override_settings

import feeds.sqs_consumer as consumer_module
from devstack.processes import free_port, redis_start
from feeds.sqs_consumer import message_handle, retry_delay_s
from lib.redis_clients import redis_clients_reset
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


def _until_dead_lettered(feed_queue, *, deadline_s: float) -> list[int]:
    """Receive and handle the file's message as a consumer would until SQS moves it
    to the DLQ; the receive count of each delivery."""
    receives: list[int] = []
    deadline = time.monotonic() + deadline_s
    while feed_queue.depth(feed_queue.dlq_url) == 0 and time.monotonic() < deadline:
        # A long visibility: only the consumer's own backoff can bring a message back soon.
        for message in feed_queue.receive(wait_s=1, visibility_s=60):
            receives.append(int(message["Attributes"]["ApproximateReceiveCount"]))
            handled = message_handle(
                message, received_at=time.time(), worker="test", queue_url=feed_queue.url
            )
            assert handled is False
    return receives


def test_a_failed_file_is_retried_after_a_short_backoff_not_the_visibility_timeout(
    feed_queue, own_state_store
):
    server, _ = own_state_store
    assert all(feed_queue.drain())  # the bucket's s3:TestEvent
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    server.stop()
    redis_clients_reset()
    [message] = feed_queue.receive(visibility_s=60)
    failed_at = time.monotonic()
    handled = message_handle(message, received_at=time.time(), worker="t", queue_url=feed_queue.url)
    assert handled is False  # kept for another try

    [again] = feed_queue.receive(wait_s=10, visibility_s=60)

    back_after = time.monotonic() - failed_at
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert retry_delay_s(1) - 0.5 <= back_after < retry_delay_s(1) + 3  # not 60 s


def test_the_five_receives_before_the_dlq_take_about_a_minute():
    delays = [retry_delay_s(n) for n in range(1, settings.FRGM_FEED_MAX_RECEIVES + 1)]
    assert delays == sorted(delays)  # backing off
    assert delays[0] <= 2  # a blip costs seconds, within the 15 s recovery target
    assert 45 <= sum(delays) <= 75  # a failover gets about a minute before the DLQ


def test_a_message_that_keeps_failing_goes_to_the_dlq_after_exactly_five_receives(
    feed_queue, own_state_store, monkeypatch
):
    server, _ = own_state_store
    assert all(feed_queue.drain())  # the bucket's s3:TestEvent
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    server.stop()
    redis_clients_reset()
    monkeypatch.setattr(consumer_module, "RETRY_DELAYS_S", (1,))  # the schedule, shortened

    receives = _until_dead_lettered(feed_queue, deadline_s=40)

    assert receives == [1, 2, 3, 4, 5]  # each delivery tried, then dead-lettered
    assert feed_queue.depth(feed_queue.dlq_url) == 1  # kept, visible to ops, not dropped
    assert feed_queue.depth() == 0
