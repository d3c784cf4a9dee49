"""The feed queue: its depth, waiting for a phase's files, and the consumer that drains it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bench.ingest.feed_files import upload
from bench.ingest.stack import Bench
from bench.instrument import Recorder


def queue_url() -> str:
    from django.conf import settings

    from lib.aws import client

    return str(client("sqs").get_queue_url(QueueName=settings.FRGM_FEED_QUEUE)["QueueUrl"])


def queue_depth() -> tuple[int, int]:
    from lib.aws import client

    attrs = client("sqs").get_queue_attributes(
        QueueUrl=queue_url(),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def wait_for_depth(count: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while queue_depth()[0] < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} notifications reached the queue")
        time.sleep(0.05)


class IngestBroken(RuntimeError):
    """Files fail to ingest (not a slow run): stop instead of waiting it out."""


def wait_done(recorder: Recorder, timeout_s: float) -> bool:
    """Wait for the phase's deletes; raise if ingest keeps failing meanwhile."""
    deadline = time.monotonic() + timeout_s
    while not recorder.done.wait(0.25):
        with recorder.lock:
            errors, deleted, first = recorder.errors, recorder.deleted, recorder.first_error
        if errors >= 20 and errors > 2 * deleted:
            raise IngestBroken(f"{errors} ingest errors ({deleted} files done); first: {first}")
        if time.monotonic() > deadline:
            return False
    return True


def notification_consumer(in_flight: int, wait_s: int) -> Any:
    from django.conf import settings

    from feeds.sqs_consumer import NotificationConsumer

    return NotificationConsumer(
        queue_name=settings.FRGM_FEED_QUEUE,
        in_flight=in_flight,
        wait_s=wait_s,
        visibility_s=settings.FRGM_CONSUMER_VISIBILITY_S,
        worker=f"bench:{in_flight}",
    )


def drain(bench: Bench, files: Sequence[Any]) -> None:
    """Upload ``files`` and ingest them (and anything already queued) unmeasured."""
    upload(files)
    queued = sum(queue_depth())
    bench.recorder.reset(queued)
    consumer = notification_consumer(4, 1)
    consumer.start()
    try:
        wait_done(bench.recorder, 60)
    finally:
        consumer.stop()
