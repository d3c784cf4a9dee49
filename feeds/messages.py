"""Every channel-layer message the worker publishes, defined once.

Publisher (feeds.publish) and consumers (ladder/, ops/) share these types.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


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
    # This update is part ``part`` (1-based) of ``parts`` the file produced: a
    # subscriber can wait for a whole file before it tells browsers (one frame).
    part: NotRequired[int]
    parts: NotRequired[int]
    # A chunk of a spot-risk batch (``..._chunk_NN_of_MM.csv``): chunk NN of MM, the
    # batch being the chunks with this file time. Absent for a whole file.
    chunk: NotRequired[int]
    chunks: NotRequired[int]


class FeedFile(TypedDict):
    """One file the worker finished, whatever it changed: its arrival, for the pages
    that show each feed's age and latency (a file that changed nothing sends no
    ``FeedUpdate``, yet it proves its feed alive and must reach them at once)."""

    type: Literal["feed.file"]
    feed: str
    key: str
    status: str  # applied | same | stale (``feeds.state_store.ApplyResult``)
    updates: int  # the FeedUpdates this file sent (0: nothing a view shows changed)
    file_time: str | None
    s3_event_time: str | None
    ingested_at: float  # epoch seconds the worker finished writing
    # A chunk of a spot-risk batch: as on FeedUpdate (the hub counts the batch's chunks).
    chunk: NotRequired[int]
    chunks: NotRequired[int]


# Every FeedFile goes to this one group: each web process's hub and every ops
# page socket join it (a few hundred bytes a file, not the files' rows).
FEED_FILES_GROUP = "feed.files"


def feed_all_group_name(feed: str) -> str:
    """The channel-layer group of a feed's updates: each web process's hub joins it."""
    return f"feed.{feed}"
