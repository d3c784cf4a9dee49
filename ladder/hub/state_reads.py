"""The hub's Redis reads (run in a thread): a feed's rows, each feed's last-file times."""

from __future__ import annotations

from typing import Any

from feeds import selectors
from feeds.records import Feed
from feeds.state_store import key
from feeds.store_status import state_read
from ladder.frames import FeedStamp
from lib.redis_clients import state_store


def rows_and_version(feed: Feed) -> tuple[dict[str, dict[str, Any]], str | None]:
    """A feed's latest rows and the state version they are at (read in a thread).

    The version is read first: rows can only be as new or newer than it, and
    updates after it reach the hub through the channel layer anyway.
    """
    raw = state_read(lambda: state_store().hget(key(feed, "meta"), "version"))
    rows = selectors.latest_rows(feed=feed)
    version = raw.decode() if isinstance(raw, bytes) else raw
    return rows, version or None


def feed_stamps() -> dict[str, FeedStamp]:
    """Each feed's last-file times: one small hash per feed (``feed_health`` reads
    ~120 counters per feed for its per-minute figures; the banner needs three fields)."""
    stamps: dict[str, FeedStamp] = {}
    for feed in Feed:
        raw = state_read(
            lambda feed=feed: state_store().hmget(
                key(feed, "health"), "last_ingested_at", "last_file_time", "last_event_time"
            )
        )
        ingested, file_time, event_time = (v.decode() if isinstance(v, bytes) else v for v in raw)
        stamps[str(feed)] = FeedStamp(
            ingested_at=float(ingested) if ingested else None,
            file_time=file_time or None,
            event_time=event_time or None,
        )
    return stamps
