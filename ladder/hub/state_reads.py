"""The hub's state reads (run in a thread), through ``feeds``' read face."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds import selectors
from feeds.records import Feed
from ladder.frames import FeedStamp


def rows_and_version(feed: Feed) -> tuple[dict[str, dict[str, Any]], str | None]:
    """A feed's latest rows and the state version they are at (read in a thread)."""
    return selectors.latest_rows_and_version(feed=feed)


def feed_stamps() -> dict[str, FeedStamp]:
    """Each feed's last-file times, in one round trip (``feed_health`` reads ~120
    counters per feed for its per-minute figures; the banner needs three fields)."""
    return {
        str(latest.feed): FeedStamp(
            ingested_at=latest.last_ingested_at,
            file_time=_iso(latest.last_file_time),
            event_time=_iso(latest.last_event_time),
        )
        for latest in selectors.feed_latest(feeds=Feed)
    }


def _iso(moment: datetime | None) -> str | None:
    # As the worker wrote it (``isoformat``): parsing and writing it back changes nothing.
    return moment.isoformat() if moment else None
