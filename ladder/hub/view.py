"""A live view's state: its sockets, its sequence number, and what its next frame waits for.

Updates are coalesced per view: a view may wait for every part of a file and every
chunk of a spot-risk batch before its next frame (``ladder.hub.coalescing``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings

from feeds.messages import FeedUpdate
from ladder.hub.subscriber import Subscriber


class _Stamp:
    """The newest update folded into a view's pending frame, and each feed's newest."""

    def __init__(self) -> None:
        self.feeds: dict[str, float] = {}  # feed -> ingested_at of its newest update
        self.version: str | None = None
        self.s3_event_time: str | None = None
        self.ingested_at: float | None = None

    def add(self, update: FeedUpdate) -> None:
        feed, ingested = update["feed"], update["ingested_at"]
        self.feeds[feed] = max(self.feeds.get(feed, 0.0), ingested)
        if self.ingested_at is None or ingested >= self.ingested_at:
            self.ingested_at = ingested
            self.s3_event_time = update["s3_event_time"]
            self.version = update["version"]


class View:
    """A live view: its state, its subscribers, its sequence number."""

    # Wait for every part of a file before sending (views built from the updates'
    # rows); a view that re-reads the state store has the whole file at once.
    whole_files = False
    # Wait for every chunk of a spot-risk batch too: the batch is one snapshot of
    # the book split over files, so one frame shows it (not 3-4, each with totals
    # that mix two moments). A missing chunk holds it FRGM_LIVE_BATCH_WAIT_S at most.
    whole_batches = False
    shown_feeds: frozenset[str] = frozenset()  # the feeds whose age the page shows

    def __init__(self, key: str) -> None:
        self.key = key
        self.seq = 0
        self.version: str | None = None
        self.subscribers: set[Subscriber] = set()
        self.lock = asyncio.Lock()
        self.last_flush = 0.0  # loop time of the last frame
        self.flush_task: asyncio.Task[None] | None = None
        self.stamp = _Stamp()
        self.dirty = False
        self.incomplete: dict[tuple[str, str], set[int]] = {}  # file -> parts still to come
        self.batches: dict[str, set[int]] = {}  # chunk batch -> chunks still to come
        self.batch_since: float | None = None  # loop time the open batches' first chunk came
        self._batches_over: dict[str, None] = {}  # recent batches: a late chunk waits for none
        self.told: dict[str, float] = {}  # feed -> newest ingested_at its sockets were sent
        self.file_give_up = 0.0  # loop time a flush stops waiting for a file's parts

    def wants(self, update: FeedUpdate) -> bool:
        raise NotImplementedError

    def absorb(self, update: FeedUpdate, *, gap: bool) -> None:
        self.stamp.add(update)
        self.dirty = True
        parts = update.get("parts", 1)
        if parts > 1 and self.whole_files:
            file = (update["feed"], update["key"])
            left = self.incomplete.setdefault(file, set(range(1, parts + 1)))
            left.discard(update.get("part", 1))
            if not left:
                del self.incomplete[file]
        if self.whole_batches:
            self._batch_absorb(update)

    def _batch_absorb(self, update: FeedUpdate) -> None:
        # A batch is its chunks' shared file time (the stamp in their names).
        chunk, chunks, batch = update.get("chunk"), update.get("chunks"), update["file_time"]
        if chunk is None or chunks is None or batch is None or batch in self._batches_over:
            return
        if not self.batches:
            self.batch_since = asyncio.get_running_loop().time()
        left = self.batches.setdefault(batch, set(range(1, chunks + 1)))
        if (update["feed"], update["key"]) not in self.incomplete:  # the chunk is all in
            left.discard(chunk)
        if not left:
            self._batch_over(batch)

    def _batch_over(self, batch: str) -> None:
        self.batches.pop(batch, None)
        self._batches_over[batch] = None
        while len(self._batches_over) > 32:
            del self._batches_over[next(iter(self._batches_over))]
        if not self.batches:
            self.batch_since = None

    def waiting(self, *, now: float) -> bool:
        """Some file or batch still has parts to come, and not for too long."""
        batch_wait = settings.FRGM_LIVE_BATCH_WAIT_S
        if self.batch_since is not None and now < self.batch_since + batch_wait:
            return True
        return bool(self.incomplete) and now < self.file_give_up

    def stop_waiting(self) -> None:
        self.incomplete.clear()
        for batch in list(self.batches):
            self._batch_over(batch)

    def take_stamp(self) -> _Stamp:
        stamp, self.stamp = self.stamp, _Stamp()
        return stamp

    async def snapshot_data(self) -> dict[str, Any] | None:
        raise NotImplementedError

    async def delta_data(self) -> dict[str, Any] | None:
        """Fold the pending updates in; what changed, or None when nothing did."""
        raise NotImplementedError
