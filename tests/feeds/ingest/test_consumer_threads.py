"""The in-worker consumer: several files in flight, slow files kept invisible."""

from __future__ import annotations

import time

from django.conf import settings

import feeds.sqs_consumer as consumer_module
from feeds.sqs_consumer import NotificationConsumer
from tests.feeds.ingest.conftest import POSITIONS_KEY, history_count, latest_rows, sample


def _consumer(visibility_s: int) -> NotificationConsumer:
    return NotificationConsumer(
        queue_name=settings.FRGM_FEED_QUEUE, in_flight=4, wait_s=1, visibility_s=visibility_s
    )


def test_a_slow_file_keeps_its_message_invisible_until_done(feed_queue, monkeypatch):
    real_ingest = consumer_module.feed_file_ingest
    deliveries: list[str] = []

    def slow_ingest(**kwargs):
        deliveries.append(kwargs["event"].key)
        time.sleep(3)  # a file that takes three times its message's visibility timeout
        return real_ingest(**kwargs)

    monkeypatch.setattr(consumer_module, "feed_file_ingest", slow_ingest)
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    consumer = _consumer(visibility_s=1)
    consumer.start()
    try:
        deadline = time.monotonic() + 15
        while feed_queue.depth() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        consumer.stop()
    # Had the message become visible mid-file, the poller would have taken it again.
    assert deliveries == [POSITIONS_KEY]
    assert latest_rows("tt-positions")
    assert feed_queue.depth() == 0


def _burst_consumed(feed_queue, *, minute: str) -> None:
    """12 positions files put at once, then a consumer (4 in flight) until the queue is empty."""
    for second in range(12):
        feed_queue.put(
            f"tt/positions/2025-07-21/positions_20250721_20{minute}{second:02d}.json",
            sample("tt/positions_response.json"),
        )
    consumer = _consumer(visibility_s=5)
    consumer.start()
    try:
        deadline = time.monotonic() + 20
        while feed_queue.depth() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        consumer.stop()


def test_a_burst_is_ingested_with_several_files_in_flight(feed_queue):
    _burst_consumed(feed_queue, minute="32")
    assert feed_queue.depth() == 0
    assert history_count("tt-positions", "2025-07-21") == 12  # each file once


def test_one_receive_takes_ten_messages_though_four_files_are_worked_on_at_once(feed_queue):
    assert all(feed_queue.drain())  # the bucket's s3:TestEvent
    for n in range(12):
        feed_queue.put(
            f"tt/positions/2025-07-21/positions_20250721_2033{n:02d}.json",
            sample("tt/positions_response.json"),
        )
    consumer = _consumer(visibility_s=5)  # in_flight=4; one poll by hand
    try:
        received = consumer.poll_once()
        # The pool works through all it holds (a stop would give back the waiting ones).
        deadline = time.monotonic() + 20
        while history_count("tt-positions", "2025-07-21") < received < 11:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        consumer.stop()

    assert received == 10  # SQS's most, not in_flight's 4
    assert history_count("tt-positions", "2025-07-21") == 10
    assert feed_queue.depth() == 2


def test_messages_waiting_for_a_thread_stay_invisible_too(feed_queue, monkeypatch):
    real_ingest = consumer_module.feed_file_ingest
    deliveries: list[str] = []

    def slow_ingest(**kwargs):
        deliveries.append(kwargs["event"].key)
        time.sleep(2)  # the third file waits 4 s for the one thread: twice its visibility
        return real_ingest(**kwargs)

    assert all(feed_queue.drain())  # the bucket's s3:TestEvent
    keys = [f"tt/positions/2025-07-21/positions_20250721_2034{n:02d}.json" for n in range(3)]
    for key in keys:
        feed_queue.put(key, sample("tt/positions_response.json"))
    monkeypatch.setattr(consumer_module, "feed_file_ingest", slow_ingest)
    consumer = NotificationConsumer(
        queue_name=settings.FRGM_FEED_QUEUE, in_flight=1, wait_s=1, visibility_s=2
    )
    consumer.start()
    try:
        deadline = time.monotonic() + 20
        while feed_queue.depth() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        consumer.stop()

    assert sorted(deliveries) == keys  # each once: none came back while it waited
    assert feed_queue.depth() == 0


def test_finished_messages_are_deleted_several_to_a_call(feed_queue):
    assert all(feed_queue.drain())  # the bucket's s3:TestEvent
    calls: list[int] = []

    def count(params, **_):
        calls.append(len(params["Entries"]))

    events = consumer_module.client("sqs").meta.events
    events.register("provide-client-params.sqs.DeleteMessageBatch", count)
    try:
        _burst_consumed(feed_queue, minute="33")
    finally:
        events.unregister("provide-client-params.sqs.DeleteMessageBatch", count)
    assert feed_queue.depth() == 0  # every message gone, none left to come back
    assert sum(calls) == 12
    assert len(calls) < 12  # messages that finished together shared a call


def test_stopping_deletes_the_messages_waiting_for_their_batch(feed_queue):
    assert all(feed_queue.drain())  # the bucket's s3:TestEvent
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    batcher = consumer_module.DeleteBatcher(queue_url=lambda: feed_queue.url, linger_s=30)
    batcher.start()
    for message in feed_queue.receive():
        batcher.add(message["ReceiptHandle"])
    batcher.stop(timeout_s=5)  # long before the 30 s linger
    assert feed_queue.depth() == 0
