"""Every channel-layer message the worker publishes, defined once.

Publisher (feeds.publish) and consumers (ladder/, ops/) share these types.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class FeedUpdate(TypedDict):
    """Rows of one group of one feed that a file added, changed or removed."""

    type: Literal["feed.update"]
    feed: str
    group: str
    seq: int  # per (feed, group); a gap means a missed message: ask for a snapshot
    version: str  # the state version after this file
    key: str  # the S3 object key of the file
    changed: dict[str, Any]  # row id -> row (dict), or None when the row is gone
    file_time: str | None
    s3_event_time: str | None
    ingested_at: float  # epoch seconds the worker finished writing


def feed_group_name(feed: str, group: str) -> str:
    """Channel-layer group: ASCII letters, digits, '-', '_', '.' only, < 100 chars."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in group)
    return f"feed.{feed}.{safe}"[:99]


def feed_all_group_name(feed: str) -> str:
    """Every update of a feed, whatever its group (ops pages, fan-out)."""
    return f"feed.{feed}"
