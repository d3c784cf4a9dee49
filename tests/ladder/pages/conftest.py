"""The desk's sample files, ingested through the real pipeline into Redis and DynamoDB."""

from __future__ import annotations

import pytest

from tests.feeds.ingest.conftest import (
    ORDERS_KEY,
    POSITIONS_KEY,
    SPOT_KEY,
    VTEXP_KEY,
    FeedQueue,
    feed_queue,
    sample,
)

__all__ = ["desk", "feed_queue"]

INSTRUMENT = "8092262517946017060"  # the TT sample position's instrument (no instrument file)


def sample_desk_ingest(feed_queue: FeedQueue) -> FeedQueue:
    """vtexp first (the worker derives Greeks from it), then spot risk and TT's files."""
    feed_queue.put(VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv"))
    assert all(feed_queue.drain())
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    feed_queue.put(ORDERS_KEY, sample("tt/working_orders_response.json"))
    assert all(feed_queue.drain())
    return feed_queue


@pytest.fixture
def desk(feed_queue: FeedQueue) -> FeedQueue:
    """The desk's sample files, ingested."""
    return sample_desk_ingest(feed_queue)
