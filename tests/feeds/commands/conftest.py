"""Command tests run on the ingest tests' stack: a bucket, queue and table per test."""

from __future__ import annotations

from datetime import date

from feeds.history import HistoryItem, history_walk
from feeds.records import Feed
from feeds.state_store import key
from lib.redis_clients import state_store
from tests.feeds.ingest.conftest import (  # noqa: F401 - fixtures are found by name
    ORDERS_KEY,
    POSITIONS_KEY,
    SPOT_KEY,
    VTEXP_KEY,
    FeedQueue,
    channel_listener,
    emf_documents,
    feed_queue,
    sample,
)

DAY = date(2025, 7, 21)
BAD_SPOT_KEY = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203006.csv"
INSTRUMENT_KEY = "tt/instruments/instrument_4877721789746411490.json"


def day_ingest(queue: FeedQueue, *, bad: bool = True) -> None:
    """The samples of 2025-07-21, as the feed server would send them: vtexp first."""
    if bad:
        queue.put(BAD_SPOT_KEY, sample("bad/spot_risk_nan_theo.csv"))
        assert all(queue.drain())
    queue.put(VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv"))
    queue.put(INSTRUMENT_KEY, sample("tt/instrument_details_zn_jun25.json"))
    assert all(queue.drain())
    queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    queue.put(ORDERS_KEY, sample("tt/working_orders_response.json"))
    assert all(queue.drain())


def raw_state() -> dict[str, dict[bytes, bytes]]:
    """Every feed's latest rows exactly as stored, plus the spot-risk future mid."""
    store = state_store()
    state = {str(feed): store.hgetall(key(feed, "rows")) for feed in Feed}
    state["future_mid"] = {b"": store.get(key(Feed.SPOT_RISK, "future_mid")) or b""}
    return state


def history(feed: Feed, day: date = DAY) -> list[HistoryItem]:
    return [*history_walk(feed=feed, day=day), *history_walk(feed=feed, day=day, metrics=True)]
