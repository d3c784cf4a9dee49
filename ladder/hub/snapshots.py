"""Snapshot frames: a socket's first frame, and its fresh start after a gap or resync.

A view's snapshot is built and encoded once per state of the view and the same
text handed to every socket that asks while that state is current: a web
process that restarts under 500 sockets gets 500 connects within seconds, and
a spot-risk snapshot is ~500 packed rows (~133 KB of JSON). Built and encoded
per socket it held the view's lock ~50-100 ms each on 2 cores (the web-restart
drill saw 9-15 snapshots a second: docs/RELIABILITY.md). The cached text is the
frame up to and including its ``data``; the few bytes after it (``feeds``,
``server_time``) are written per socket, so the browser's clock check
(``server_time``) stays true however old the cached part is.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from feeds.selectors import StateStoreUnavailable
from ladder.frames import ErrorFrame, FeedStamp, SnapshotFrame
from ladder.hub.encoding import encode
from ladder.hub.subscriber import Subscriber
from ladder.hub.view import View

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotHead:
    """A view's snapshot frame up to and including its data, encoded once.

    ``key`` is the view's ``snapshot_key()`` when it was built: it carries the
    view's seq, so the deltas that follow apply to exactly this data."""

    key: tuple[object, ...]
    text: str  # '{"type":"snapshot","view":...,"seq":N,"version":...,"data":{...}'
    builds: int  # the view's snapshot builds so far, this one included


async def snapshot_queue(
    *, view: View, subscriber: Subscriber, feeds: dict[str, FeedStamp]
) -> None:
    """Replace the socket's queue by the view's snapshot (the caller holds ``view.lock``)."""
    try:
        head = await snapshot_head(view=view)
    except Exception as exc:
        log.warning("live hub: snapshot of %s failed: %s", view.key, exc)
        # Not the exception's text: a client's error names internal hosts and ports.
        message = (
            "the state store is unavailable; retrying"
            if isinstance(exc, StateStoreUnavailable)
            else f"{view.key}: the snapshot failed; retrying"
        )
        subscriber.restart(encode(ErrorFrame(type="error", code="unavailable", message=message)))
        return
    if head is None:
        subscriber.restart(
            encode(ErrorFrame(type="error", code="no-data", message=f"{view.key}: no data yet"))
        )
        subscriber.offer_control(snapshot_text(view=view, data=None, feeds=feeds))
        return
    subscriber.restart(snapshot_frame_text(view=view, head=head, feeds=feeds))


async def snapshot_head(*, view: View) -> SnapshotHead | None:
    """The view's snapshot up to its data: the cached one while the view is as it was
    when it was built, else built and encoded now (and cached). None: no data yet
    (not cached: the next socket asks again, as the data may have come since)."""
    cached = view.snapshot_cache
    if cached is not None and cached.key == view.snapshot_key():
        return cached
    view.snapshot_cache = None
    data = await view.snapshot_data()
    if data is None:
        return None
    # After the build: a first build loads the state (and its version).
    key = view.snapshot_key()
    head = encode({"type": "snapshot", "view": view.key, "seq": view.seq, "version": view.version})
    view.snapshot_builds += 1
    built = SnapshotHead(
        key=key, text=f'{head[:-1]},"data":{encode(data)}', builds=view.snapshot_builds
    )
    view.snapshot_cache = built
    return built


def snapshot_frame_text(*, view: View, head: SnapshotHead, feeds: dict[str, FeedStamp]) -> str:
    """One socket's snapshot frame: the shared head, then this moment's feeds and time
    (the same text ``encode(SnapshotFrame(...))`` writes, keys in the same order)."""
    _told(view, feeds)
    return f'{head.text},"feeds":{encode(feeds)},"server_time":{time.time()!r}}}'


def snapshot_text(*, view: View, data: dict[str, Any] | None, feeds: dict[str, FeedStamp]) -> str:
    _told(view, feeds)
    return encode(
        SnapshotFrame(
            type="snapshot",
            view=view.key,
            seq=view.seq,
            version=view.version,
            data=data,
            feeds=feeds,
            server_time=time.time(),
        )
    )


def _told(view: View, feeds: dict[str, FeedStamp]) -> None:
    for feed, stamp in feeds.items():
        view.told[feed] = max(view.told.get(feed, 0.0), stamp["ingested_at"] or 0.0)
