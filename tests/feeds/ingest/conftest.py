"""Fixtures for ingest tests: the real stack, its queue, and a way to drain it."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import override_settings

from feeds.bootstrap import local_resources_ensure
from feeds.history import history_items
from feeds.sqs_consumer import message_handle
from lib.aws import client
from lib.redis_clients import state_store

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SPOT_KEY = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv"
POSITIONS_KEY = "tt/positions/2025-07-21/positions_20250721_203008.json"
ORDERS_KEY = "tt/orders/2025-07-21/working_orders_20250721_203008.json"
VTEXP_KEY = "actant/vtexp/2025-07-21/vtexp_20250721_203256.csv"


def sample(relative: str) -> bytes:
    return (SAMPLES / relative).read_bytes()


class FeedQueue:
    """The notification queue of the test stack, emptied for each test."""

    def __init__(self) -> None:
        sqs = client("sqs")
        self.url = sqs.get_queue_url(QueueName=settings.FRGM_FEED_QUEUE)["QueueUrl"]
        self.dlq_url = sqs.get_queue_url(QueueName=settings.FRGM_FEED_DLQ)["QueueUrl"]

    def put(self, key: str, body: bytes) -> dict[str, Any]:
        return client("s3").put_object(Bucket=settings.FRGM_FEED_BUCKET, Key=key, Body=body)

    def receive(self, wait_s: int = 1, visibility_s: int = 5) -> list[dict[str, Any]]:
        return (
            client("sqs")
            .receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=wait_s,
                VisibilityTimeout=visibility_s,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
            .get("Messages", [])
        )

    def drain(self, *, idle_rounds: int = 1, visibility_s: int = 5) -> list[bool]:
        """Handle every message until the queue is quiet; True per deleted message.

        Quiet is a poll that finds no visible message: moto sends S3's notification
        before the PUT returns, so every file put so far is already a message. (It was
        an empty 1 s long poll: 1 s per drain, about 110 drains a run; the tests that
        read an API answer right after a drain now wait for the answer to move, as
        ``ladder.api_cache.RECHECK_S`` allows, instead of leaning on that second.)"""
        results: list[bool] = []
        quiet = 0
        while quiet < idle_rounds:
            messages = self.receive(wait_s=0, visibility_s=visibility_s)
            quiet = 0 if messages else quiet + 1
            for message in messages:
                results.append(
                    message_handle(
                        message, received_at=time.time(), worker="test", queue_url=self.url
                    )
                )
        return results

    def depth(self, url: str | None = None) -> int:
        attrs = client("sqs").get_queue_attributes(
            QueueUrl=url or self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"]
        )


@pytest.fixture
def feed_queue(stack, db) -> Iterator[FeedQueue]:
    """A bucket, queues and table of this test's own (SQS allows one purge a minute)."""
    suffix = uuid.uuid4().hex[:10]
    with override_settings(
        FRGM_FEED_BUCKET=f"feed-{suffix}",
        FRGM_FEED_QUEUE=f"events-{suffix}",
        FRGM_FEED_DLQ=f"events-{suffix}-dlq",
        FRGM_HISTORY_TABLE=f"history-{suffix}",
    ):
        local_resources_ensure()
        yield FeedQueue()


@pytest.fixture
def channel_listener(stack) -> Iterator[Callable[[str], Callable[[], list[dict]]]]:
    """Subscribe to a channel-layer group; returns a function that collects its messages."""
    layer = get_channel_layer()
    joined: list[tuple[str, str]] = []

    def listen(group: str) -> Callable[[], list[dict]]:
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group, channel)
        joined.append((group, channel))

        def collected(timeout_s: float = 0.5) -> list[dict]:
            return async_to_sync(_collect)(layer, channel, timeout_s)

        return collected

    yield listen
    for group, channel in joined:
        async_to_sync(layer.group_discard)(group, channel)


async def _collect(layer: Any, channel: str, timeout_s: float) -> list[dict]:
    import asyncio

    messages = []
    while True:
        try:
            messages.append(await asyncio.wait_for(layer.receive(channel), timeout_s))
        except TimeoutError:
            return messages


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def emf_documents() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The EMF documents the worker logs from now on (as CloudWatch would read them).

    Their logger does not propagate, and locally it logs only warnings: both set here.
    """
    logger = logging.getLogger("frgm.emf")
    kept, level = _Kept(), logger.level
    logger.addHandler(kept)
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(record.getMessage()) for record in kept.records]
    finally:
        logger.removeHandler(kept)
        logger.setLevel(level)


def latest_rows(feed: str) -> dict[str, dict]:
    raw = state_store().hgetall(f"frgm:{{{feed}}}:rows")
    return {k.decode(): json.loads(v) for k, v in raw.items()}


def history_count(feed: str, day: str, *, metrics: bool = False) -> int:
    from datetime import date

    items, _ = history_items(feed=feed, day=date.fromisoformat(day), metrics=metrics, limit=1000)
    return len(items)
