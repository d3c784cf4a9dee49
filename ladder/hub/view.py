"""A live view's state: its sockets, its sequence number, and what its next frame waits for.

Updates are coalesced per view: a view may wait for every part of a file and for
the chunks of a spot-risk batch while they keep coming (``ladder.hub.coalescing``).
A batch that misses a chunk goes out at once with what arrived, marked incomplete.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings

from feeds.messages import FeedFile, FeedUpdate
from feeds.records import Feed
from ladder.hub.subscriber import Subscriber

if TYPE_CHECKING:
    from ladder.hub.snapshots import SnapshotHead

RECENT_BATCHES = 32  # batches whose late chunks are still counted (not waited for)


def _moment(arrived: FeedUpdate | FeedFile) -> datetime | None:
    """What orders spot-risk files and batches: the stamp in their names (a batch's
    chunks share it), as the worker parsed it; None when the key had none."""
    stamp = arrived.get("file_time")
    return datetime.fromisoformat(stamp) if stamp else None


def _chunk_of(arrived: FeedUpdate | FeedFile) -> tuple[str, int, int] | None:
    """(batch, chunk, chunks) of a chunk file, from what the worker sent (it parsed
    the key: the hub never spells the key layout); None for a single file."""
    chunk, chunks, stamp = arrived.get("chunk"), arrived.get("chunks"), arrived.get("file_time")
    if chunk is None or chunks is None or stamp is None:
        return None
    return stamp, chunk, chunks


@dataclass
class Batch:
    """One spot-risk chunk batch as the view has seen it."""

    name: str  # its chunks' file time
    moment: datetime
    chunks: int
    first_at: float  # loop time of its first chunk here
    last_at: float  # loop time of its newest chunk here
    arrived: set[int] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        return len(self.arrived) >= self.chunks


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
    # Wait for a spot-risk chunk batch while its chunks keep coming: the batch is one
    # snapshot of the book split over files, so one frame shows it (not 3-4, each with
    # totals that mix two moments). A batch that misses a chunk is not held: no chunk
    # of it for FRGM_LIVE_BATCH_GAP_S, or a newer file, and it goes out with what
    # arrived (FRGM_LIVE_BATCH_WAIT_S caps the wait however its chunks trickle in).
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
        self.batches: dict[str, Batch] = {}  # open batches: their next frame may wait for them
        self._recent: dict[str, Batch] = {}  # recent batches: late chunks counted, not awaited
        self.newest: datetime | None = None  # the newest spot-risk file or batch seen
        self.told: dict[str, float] = {}  # feed -> newest ingested_at its sockets were sent
        self.news = False  # a shown feed has a file its sockets were not told of
        self.file_give_up = 0.0  # loop time a flush stops waiting for a file's parts
        # The snapshot built last, shared by every socket that asks while ``snapshot_key``
        # is unchanged (``ladder.hub.snapshots``); ``changes`` counts the delta folds,
        # each of which may change what a snapshot shows (even one that sends nothing).
        self.snapshot_cache: SnapshotHead | None = None
        self.snapshot_builds = 0
        self.changes = 0

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
            whole = (update["feed"], update["key"]) not in self.incomplete
            self._file_arrived(update, whole=whole)

    def file_absorb(self, landed: FeedFile) -> bool:
        """A file that sent no update (it changed nothing shown) still arrived: a
        batch counts its chunk. True when it was counted (the batch mark may move)."""
        if self.whole_batches and landed["feed"] == Feed.SPOT_RISK and not landed["updates"]:
            self._file_arrived(landed, whole=True)
            return True
        return False

    def _file_arrived(self, arrived: FeedUpdate | FeedFile, *, whole: bool) -> None:
        """Count a spot-risk file in: its batch's chunk (once all its parts are in)."""
        moment = _moment(arrived)
        if moment is not None and (self.newest is None or moment > self.newest):
            self.newest = moment
            # a newer file: the open batches will get no more chunks worth waiting for
            for name in [name for name, b in self.batches.items() if b.moment < moment]:
                self._batch_close(name)
        chunk = _chunk_of(arrived)
        if chunk is None or moment is None:
            return
        name, number, chunks = chunk
        now = asyncio.get_running_loop().time()
        batch = self.batches.get(name) or self._recent.get(name)
        if batch is None:
            batch = Batch(name, moment, chunks, first_at=now, last_at=now)
            self.batches[name] = batch
            self._recent[name] = batch
            while len(self._recent) > RECENT_BATCHES:
                del self._recent[next(iter(self._recent))]
        batch.last_at = now
        if whole:
            batch.arrived.add(number)
        if batch.complete:
            self._batch_close(name)

    def _batch_close(self, name: str) -> None:
        self.batches.pop(name, None)

    def batch_mark(self) -> dict[str, Any] | None:
        """The newest spot-risk moment, when it is a batch that misses chunks:
        ``{"name", "arrived", "chunks"}``; None when it is whole (or a single file)."""
        for name in reversed(self._recent):
            batch = self._recent[name]
            if batch.moment == self.newest:
                if batch.complete:
                    return None
                return {
                    "name": name,
                    "arrived": len(batch.arrived),
                    "chunks": batch.chunks,
                }
        return None

    def waiting(self, *, now: float) -> bool:
        """Some file still has parts to come, or a batch its chunks, and not for too long."""
        gap = settings.FRGM_LIVE_BATCH_GAP_S
        cap = settings.FRGM_LIVE_BATCH_WAIT_S
        for batch in self.batches.values():
            if now < batch.last_at + gap and now < batch.first_at + cap:
                return True
        return bool(self.incomplete) and now < self.file_give_up

    def stop_waiting(self) -> None:
        self.incomplete.clear()
        self.batches.clear()

    def take_stamp(self) -> _Stamp:
        stamp, self.stamp = self.stamp, _Stamp()
        return stamp

    def snapshot_key(self) -> tuple[object, ...]:
        """What a snapshot's text depends on: equal keys, equal snapshots. The seq
        first: a snapshot carries it, and the next delta applies to exactly its data."""
        return (self.seq, self.version, self.changes)

    async def snapshot_data(self) -> dict[str, Any] | None:
        raise NotImplementedError

    async def delta_data(self) -> dict[str, Any] | None:
        """Fold the pending updates in; what changed, or None when nothing did."""
        raise NotImplementedError
