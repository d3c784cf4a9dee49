"""The harness's measuring logic, pure: which frame first showed each file, and
whether any frame went backwards. No I/O: the client processes and the tests
feed it what they recorded.

A page shows a file of feed F once a frame carries F's last-file stamp
(``ingested_at``, as the worker wrote it) at or after that file's: a delta's
``feeds[F]``, a health or snapshot frame's ``feeds[F]["ingested_at"]``. The ops
page's ``file`` frames carry the file's ``ingested_at`` the same way.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The feeds whose arrival each page shows (``ladder.hub``'s views' ``shown_feeds``).
PAGE_FEEDS: dict[str, frozenset[str]] = {
    "ladder": frozenset({"tt-positions", "tt-orders", "spot-risk", "vtexp", "tt-instruments"}),
    "spot-risk": frozenset({"spot-risk", "vtexp"}),
    "ops": frozenset({"tt-positions", "tt-orders", "spot-risk", "vtexp", "tt-instruments"}),
}
BUCKET_MS = 0.1  # latencies are kept as counts of 0.1 ms buckets (1,000 clients x files)


@dataclass(frozen=True)
class Landed:
    """One file as the harness knows it: when it was PUT and when the worker finished it."""

    key: str
    feed: str
    put_at: float  # epoch seconds the producer began its PUT
    ingested_at: float  # epoch seconds the worker finished it (its FeedFile)
    file_time: str | None


@dataclass
class SocketLog:
    """What one client socket saw: per feed, the stamps its frames carried, in order."""

    page: str
    # per feed: (stamp, received, the frame's server_time or None), stamps rising
    stamps: dict[str, list[tuple[float, float, float | None]]] = field(default_factory=dict)
    last_seq: int | None = None
    gaps: int = 0  # delta frames never received (seq jumped)
    backwards: int = 0  # a delta's seq at or below the one before
    older: int = 0  # a frame carried a feed stamp older than one seen before
    resyncs: int = 0
    errors: int = 0

    def frame(self, frame: Mapping[str, Any], received: float) -> None:
        """Note one frame (as parsed from the socket) received at ``received``."""
        kind = frame.get("type")
        server = frame.get("server_time")
        if kind == "snapshot":
            self.last_seq = frame["seq"]
            self._stamps(frame.get("feeds") or {}, received, server, nested=True)
        elif kind == "delta":
            seq = frame["seq"]
            if self.last_seq is not None:
                if seq <= self.last_seq:
                    self.backwards += 1
                elif seq > self.last_seq + 1:
                    self.gaps += seq - self.last_seq - 1
            self.last_seq = seq if self.last_seq is None else max(self.last_seq, seq)
            self._stamps(frame.get("feeds") or {}, received, server, nested=False)
        elif kind == "health":
            self._stamps(frame.get("feeds") or {}, received, server, nested=True)
        elif kind == "file":
            self._stamps({frame["feed"]: frame["ingested_at"]}, received, server, nested=False)
        elif kind == "resync":
            self.resyncs += 1
        elif kind == "error":
            self.errors += 1

    def _stamps(
        self, feeds: Mapping[str, Any], received: float, server: float | None, *, nested: bool
    ) -> None:
        for feed, value in feeds.items():
            stamp = (value or {}).get("ingested_at") if nested else value
            if stamp is None:
                continue
            seen = self.stamps.setdefault(feed, [])
            if seen and stamp < seen[-1][0]:
                self.older += 1
                continue
            if not seen or stamp > seen[-1][0]:
                seen.append((float(stamp), received, server))

    def shown_at(self, landed: Landed) -> float | None:
        """When this socket first showed ``landed``; None if it never did."""
        shown = self.shown_by(landed)
        return shown[0] if shown else None

    def shown_by(self, landed: Landed) -> tuple[float, float | None] | None:
        """(received, the frame's server_time) of the first frame that showed ``landed``."""
        seen = self.stamps.get(landed.feed)
        if not seen:
            return None
        at = bisect.bisect_left(seen, landed.ingested_at, key=lambda entry: entry[0])
        return (seen[at][1], seen[at][2]) if at < len(seen) else None


def _percentile(buckets: Counter[int], pct: float) -> float | None:
    """The ``pct`` percentile in ms of 0.1 ms buckets (nearest rank)."""
    total = sum(buckets.values())
    if not total:
        return None
    rank = max(1, round(pct / 100 * total))
    running = 0
    for bucket in sorted(buckets):
        running += buckets[bucket]
        if running >= rank:
            return bucket * BUCKET_MS
    return max(buckets) * BUCKET_MS


def _bucket(seconds: float) -> int:
    return round(max(0.0, seconds) * 1000 / BUCKET_MS)


@dataclass
class PageResult:
    """One page's latencies from the PUT to the frame, over every (file, socket) pair.

    Where each one went, for the frames that carry ``server_time``: ``hub`` from the
    worker's finish to the frame's serialisation (the channel-layer hop, the web
    loop's lag, the view's coalescing and compute), ``wire`` from there to the
    client's read (the socket queues, the writes, the client's own loop).
    """

    page: str
    buckets: Counter[int] = field(default_factory=Counter)
    hub: Counter[int] = field(default_factory=Counter)
    wire: Counter[int] = field(default_factory=Counter)
    missed: int = 0  # (file, socket) pairs never shown
    sockets: int = 0
    gaps: int = 0
    backwards: int = 0
    older: int = 0
    resyncs: int = 0
    errors: int = 0

    def add(self, other: PageResult) -> None:
        self.buckets.update(other.buckets)
        self.hub.update(other.hub)
        self.wire.update(other.wire)
        for name in ("missed", "sockets", "gaps", "backwards", "older", "resyncs", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def count(self) -> int:
        return sum(self.buckets.values())

    def percentile(self, pct: float) -> float | None:
        """The ``pct`` percentile in ms (nearest rank over the buckets)."""
        return _percentile(self.buckets, pct)

    def hub_percentile(self, pct: float) -> float | None:
        return _percentile(self.hub, pct)

    def wire_percentile(self, pct: float) -> float | None:
        return _percentile(self.wire, pct)


def page_result(page: str, logs: Iterable[SocketLog], files: Iterable[Landed]) -> PageResult:
    """Match every file the page shows to the first frame that showed it, per socket."""
    result = PageResult(page)
    shown_feeds = PAGE_FEEDS[page]
    wanted = [f for f in files if f.feed in shown_feeds]
    for log in logs:
        result.sockets += 1
        for name in ("gaps", "backwards", "older", "resyncs", "errors"):
            setattr(result, name, getattr(result, name) + getattr(log, name))
        for landed in wanted:
            shown = log.shown_by(landed)
            if shown is None:
                result.missed += 1
                continue
            at, server = shown
            result.buckets[_bucket(at - landed.put_at)] += 1
            if server is not None:
                result.hub[_bucket(server - landed.ingested_at)] += 1
                result.wire[_bucket(at - server)] += 1
    return result


@dataclass
class PollLog:
    """What the 1 s poller of ``/api/ladder/`` saw: each feed's last file time per answer."""

    answers: list[tuple[float, dict[str, str | None]]] = field(default_factory=list)
    _cache: dict[str, list[tuple[float, Any]]] = field(default_factory=dict, repr=False)

    def answer(self, received: float, body: Mapping[str, Any]) -> None:
        feeds = body.get("feeds") or {}
        self.answers.append(
            (received, {feed: (v or {}).get("last_file_time") for feed, v in feeds.items()})
        )

    def seen_at(self, landed: Landed, *, moment: Any) -> float | None:
        """When an answer first showed a file as new as ``landed`` (by its name's time),
        among the answers received after its PUT.

        ``moment`` parses a file time (ISO text) to something ordered."""
        if landed.file_time is None:
            return None
        newest = self._newest(landed.feed, moment)
        start = bisect.bisect_left(newest, (landed.put_at,))
        want = moment(landed.file_time)
        # from there on, the newest file time shown only grows: the first one as new
        for received, have in newest[start:]:
            if have is not None and have >= want:
                return received
        return None

    def _newest(self, feed: str, moment: Any) -> list[tuple[float, Any]]:
        """(received, newest file time shown so far) per answer, for ``feed``."""
        cached = self._cache.get(feed)
        if cached is None or len(cached) != len(self.answers):
            cached, best = [], None
            for received, feeds in self.answers:
                have = feeds.get(feed)
                if have is not None and (best is None or moment(have) > best):
                    best = moment(have)
                cached.append((received, best))
            self._cache[feed] = cached
        return cached


def poll_result(poll: PollLog, files: Iterable[Landed], feeds: frozenset[str]) -> PageResult:
    from datetime import datetime

    result = PageResult("poller /api/ladder/", sockets=1)
    for landed in files:
        if landed.feed not in feeds:
            continue
        at = poll.seen_at(landed, moment=datetime.fromisoformat)
        if at is None:
            result.missed += 1
        else:
            result.buckets[_bucket(at - landed.put_at)] += 1
    return result


def ingest_result(files: Iterable[Landed]) -> PageResult:
    """PUT to the worker's finish (its ``FeedFile``), per file: the part of each page's
    latency that is not the push's."""
    result = PageResult("(PUT -> ingested)", sockets=0)
    for landed in files:
        result.buckets[_bucket(landed.ingested_at - landed.put_at)] += 1
    return result


@dataclass(frozen=True)
class BatchSpread:
    """One spot-risk chunk batch: how far apart its chunks were PUT and ingested."""

    name: str  # the chunks' file time
    chunks: int
    put_spread_ms: float  # first chunk's PUT began -> last chunk's PUT began
    ingest_spread_ms: float  # first chunk ingested -> last chunk ingested
    whole_ms: float  # first chunk's PUT began -> last chunk ingested


def batch_spreads(files: Iterable[Landed]) -> list[BatchSpread]:
    """Per chunk batch (``..._chunk_NN_of_MM`` keys sharing a file time): the spread a
    page that shows a batch at once waits through."""
    batches: dict[str, list[Landed]] = {}
    for landed in files:
        if "_chunk_" in landed.key and landed.file_time is not None:
            batches.setdefault(landed.file_time, []).append(landed)
    spreads = []
    for name, chunks in batches.items():
        first_put = min(c.put_at for c in chunks)
        ingested = [c.ingested_at for c in chunks]
        spreads.append(
            BatchSpread(
                name,
                len(chunks),
                (max(c.put_at for c in chunks) - first_put) * 1000,
                (max(ingested) - min(ingested)) * 1000,
                (max(ingested) - first_put) * 1000,
            )
        )
    return spreads


def unchanged_reuploads(
    missing: Iterable[str], history: Mapping[str, int], etags: Mapping[str, str]
) -> list[str]:
    """The uploads (``key#version``) without a history item that re-uploaded bytes an
    earlier version of the same key holds in history: the worker found that state
    version held already and applied nothing (a duplicate, as feed health counts it),
    so nothing was lost. ``etags``: every version of those keys, ``key#version`` ->
    the S3 ETag (the bytes' MD5)."""
    held = {
        (upload.rsplit("#", 1)[0], etag)
        for upload, etag in etags.items()
        if history.get(upload, 0) > 0
    }
    return sorted(
        upload
        for upload in missing
        if upload in etags and (upload.rsplit("#", 1)[0], etags[upload]) in held
    )
