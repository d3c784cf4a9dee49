"""A stopping worker gives back the messages no thread has started on at once
(visibility 0), so another worker takes them now, not after the visibility timeout;
the file being processed finishes first."""

from __future__ import annotations

import threading
import time

from django.conf import settings

import feeds.sqs_consumer as consumer_module
from feeds.s3_events import s3_events_decode
from feeds.sqs_consumer import NotificationConsumer
from tests.feeds.ingest.conftest import history_count, sample

VISIBILITY_S = 10


def _visible(feed_queue) -> int:
    attrs = consumer_module.client("sqs").get_queue_attributes(
        QueueUrl=feed_queue.url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def test_a_stopping_consumer_gives_back_its_waiting_messages_at_once(feed_queue, monkeypatch):
    assert all(feed_queue.drain())  # the bucket's s3:TestEvent
    keys = [f"tt/positions/2025-07-21/positions_20250721_2050{n:02d}.json" for n in range(3)]
    for key in keys:
        feed_queue.put(key, sample("tt/positions_response.json"))
    real_ingest = consumer_module.feed_file_ingest
    working: list[str] = []
    release = threading.Event()

    def slow_ingest(**kwargs):
        working.append(kwargs["event"].key)
        release.wait(30)  # the file in flight when the stop comes
        return real_ingest(**kwargs)

    monkeypatch.setattr(consumer_module, "feed_file_ingest", slow_ingest)
    consumer = NotificationConsumer(
        queue_name=settings.FRGM_FEED_QUEUE, in_flight=1, wait_s=1, visibility_s=VISIBILITY_S
    )
    consumer.start()
    stopper = threading.Thread(target=consumer.stop)
    try:
        deadline = time.monotonic() + 10
        while not (working and _visible(feed_queue) == 0):  # one in flight, two waiting
            assert time.monotonic() < deadline
            time.sleep(0.1)

        stopper.start()
        asked = time.monotonic()
        taken: list[str] = []
        while len(taken) < 2 and time.monotonic() - asked < VISIBILITY_S / 2:
            for message in feed_queue.receive(wait_s=1):
                taken += [event.key for event in s3_events_decode(message["Body"])]
        assert sorted(taken) == sorted(set(keys) - set(working))  # well before 10 s
    finally:
        release.set()
        if stopper.ident is None:  # failed before the stop: stop it here
            consumer.stop()
        else:
            stopper.join(30)
    assert not stopper.is_alive()
    assert len(working) == 1  # the waiting two were never started here
    assert history_count("tt-positions", "2025-07-21") == 1  # the one in flight finished
