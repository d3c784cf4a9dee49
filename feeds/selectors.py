"""Read-side queries over feed state: health, recent files, latest rows, quarantine.

``feeds``' read face: what ``ops/``, ``ladder/``, the site and the terminal
commands read of the state store and of history goes through here, so the
state store's key layout (``feeds.state_store.key``) stays private to ``feeds``
(an import-linter contract in pyproject.toml keeps it so). Nothing here writes.
Per-minute counters are buckets keyed by the epoch minute a file finished
(feeds.state_store), so "the last minute" and "the last hour" are estimated
as sliding windows over those buckets: the whole buckets inside the window
plus the part of the oldest bucket that still overlaps it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NotRequired, TypedDict

# History reads, re-exported: readers page a day's items through the read face.
from feeds.history import HistoryItem as HistoryItem
from feeds.history import history_items as history_items
from feeds.models import IngestFailure, QuarantinedFile
from feeds.records import Feed
from feeds.self_heal import LAST as SELF_HEAL_LAST
from feeds.state_store import LATENCY_KEEP_S, intake_refusals, key
from feeds.state_store import workers_alive as workers_alive
from feeds.store_status import state_read

# What every read here raises when the store cannot answer: readers catch it by this name.
from lib.redis_clients import StateStoreUnavailable as StateStoreUnavailable
from lib.redis_clients import state_store

MINUTE_S = 60
_INT_DIGITS_MAX = 4000  # below sys.get_int_max_str_digits()'s default (4,300)
HOUR_MINUTES = 60


@dataclass(frozen=True)
class FeedHealth:
    feed: Feed
    last_key: str | None
    last_file_time: datetime | None  # from the file's name (the feed server's clock)
    last_event_time: datetime | None  # when S3 saw the object
    last_ingested_at: datetime | None  # when the worker finished it
    age_s: float | None  # seconds since the last file was ingested; None before any
    files_last_minute: int
    files_last_hour: int
    last_latency_ms: float | None  # S3 event to worker done, for the last file
    parse_errors_last_hour: int
    totals: dict[str, int] = field(default_factory=dict)  # files, parse_error, missing_object

    @property
    def files_total(self) -> int:
        return self.totals.get("files", 0)


class RecentFile(TypedDict):
    """One entry of a feed's ``recent`` list, as ``ingest_record`` wrote it."""

    key: str
    file_time: str | None
    event_time: str | None
    received_at: float
    finished_at: float
    latency_ms: float | None
    stages_ms: dict[str, float]
    status: str  # applied | same | stale | parse_error | missing_object
    rows: int
    warnings: NotRequired[list[str]]  # what the parser accepted but noticed


def feed_health(*, feed: Feed, now: float | None = None) -> FeedHealth:
    """The health of one feed, read in one round trip (all its keys share a slot)."""
    now = time.time() if now is None else now
    minute = int(now // MINUTE_S)
    minutes = [str(m) for m in range(minute - HOUR_MINUTES, minute + 1)]  # 61 buckets

    def read() -> list[Any]:
        pipe = state_store().pipeline(transaction=False)  # the cluster client pipelines no MGET
        pipe.hgetall(key(feed, "health"))
        for kind in ("files", "parse_error"):
            for m in minutes:
                pipe.get(key(feed, kind, m))
        return list(pipe.execute())

    raw_health, *raw_counts = _read(read)
    health = {k.decode(): v.decode() for k, v in raw_health.items()}
    counts = [int(v or 0) for v in raw_counts]
    files, errors = counts[: len(minutes)], counts[len(minutes) :]
    ingested = _float(health.get("last_ingested_at"))
    return FeedHealth(
        feed=feed,
        last_key=health.get("last_key") or None,
        last_file_time=_time(health.get("last_file_time")),
        last_event_time=_time(health.get("last_event_time")),
        last_ingested_at=None if ingested is None else datetime.fromtimestamp(ingested, UTC),
        age_s=None if ingested is None else round(max(0.0, now - ingested), 1),
        files_last_minute=_window(files, minutes=1, now=now),
        files_last_hour=_window(files, minutes=HOUR_MINUTES, now=now),
        last_latency_ms=_float(health.get("last_latency_ms")),
        parse_errors_last_hour=_window(errors, minutes=HOUR_MINUTES, now=now),
        totals={
            name.removesuffix("_total"): int(value)
            for name, value in sorted(health.items())
            if name.endswith("_total")
        },
    )


@dataclass(frozen=True)
class FeedLatest:
    """What a reader of a feed's latest state needs besides its rows: which version
    it is at, and when the worker last finished a file of it (every file, whole or
    chunk, moves ``last_ingested_at``; a chunk does not always move the version)."""

    feed: Feed
    version: str | None  # the latest-state version (file time | sequencer | key)
    last_file_time: datetime | None
    last_ingested_at: float | None  # epoch seconds
    last_latency_ms: float | None
    last_event_time: datetime | None = None  # when S3 saw the last file


def feed_latest(*, feeds: Iterable[Feed]) -> tuple[FeedLatest, ...]:
    """Each feed's version and last-file stamps, in one round trip (one small hash
    field read per key: what an API answer carries, not ``feed_health``'s 122 counters)."""
    wanted = tuple(feeds)

    def read() -> list[Any]:
        pipe = state_store().pipeline(transaction=False)
        for feed in wanted:
            pipe.hget(key(feed, "meta"), "version")
            pipe.hmget(
                key(feed, "health"),
                "last_file_time",
                "last_ingested_at",
                "last_latency_ms",
                "last_event_time",
            )
        return list(pipe.execute())

    replies = _read(read)
    latest = []
    for n, feed in enumerate(wanted):
        version, (file_time, ingested, latency, event_time) = replies[2 * n], replies[2 * n + 1]
        latest.append(
            FeedLatest(
                feed=feed,
                version=_text(version),
                last_file_time=_time(_text(file_time)),
                last_ingested_at=_float(_text(ingested)),
                last_latency_ms=_float(_text(latency)),
                last_event_time=_time(_text(event_time)),
            )
        )
    return tuple(latest)


def refused_files(*, feed: Feed, first_minute: int, last_minute: int) -> int:
    """Files the parsers refused in the epoch minutes ``first_minute`` to
    ``last_minute``, both included, from the per-minute buckets (one round trip)."""

    def read() -> list[Any]:
        pipe = state_store().pipeline(transaction=False)
        for minute in range(first_minute, last_minute + 1):
            pipe.get(key(feed, "parse_error", str(minute)))
        return list(pipe.execute())

    return sum(int(value or 0) for value in _read(read))


def feed_health_all(*, now: float | None = None) -> list[FeedHealth]:
    return [feed_health(feed=feed, now=now) for feed in Feed]


def recent_files(*, feed: Feed, limit: int = 20) -> list[RecentFile]:
    """The feed's last ``limit`` files (at most 100 are kept), newest first."""
    if limit <= 0:
        return []
    raw = _read(lambda: state_store().lrange(key(feed, "recent"), 0, limit - 1))
    return [json.loads(entry) for entry in raw]


@dataclass(frozen=True)
class LatencySample:
    """The timings of one file whose rows reached the latest state."""

    finished_at: float  # epoch seconds the worker was done
    latency_ms: float  # S3 event -> ingest finished (end to end)
    delay_ms: float  # S3 event -> message received (S3 and SQS)
    processing_ms: float  # message received -> ingest finished (ours)


def latency_samples(*, feed: Feed, since: float, until: float) -> list[LatencySample]:
    """Every sample of files the feed finished in [since, until], oldest first.

    Kept for ``LATENCY_KEEP_S`` (and at most ``LATENCY_SAMPLES_MAX`` a feed),
    so a window of the last few minutes holds every file, however busy the feed.
    """
    if since < until - LATENCY_KEEP_S:
        raise ValueError(f"latency samples are kept for {LATENCY_KEEP_S} s only")
    raw = _read(lambda: state_store().zrangebyscore(key(feed, "latency"), since, until))
    samples = []
    for member in raw:
        finished, latency, delay, processing, _ = member.decode().split("|")
        samples.append(
            LatencySample(float(finished), float(latency), float(delay), float(processing))
        )
    return samples


def latest_rows(*, feed: Feed) -> dict[str, dict[str, Any]]:
    """The feed's latest state: row id -> row.

    Read tolerantly: an integer too long for Python's int() (over 4,300 digits)
    comes back as a Decimal, ``NaN``/``Infinity`` as floats, for the readers'
    range checks (``ladder.numbers``) to refuse, instead of failing the whole read.
    """
    raw = _read(lambda: state_store().hgetall(key(feed, "rows")))
    return {row_id.decode(): _row_loads(value) for row_id, value in raw.items()}


# feed -> row id -> (its stored bytes, the row decoded from them): ``latest_rows_shared``
_decoded: dict[Feed, dict[bytes, tuple[bytes, dict[str, Any]]]] = {}


def latest_rows_shared(*, feed: Feed) -> Mapping[str, Mapping[str, Any]]:
    """``latest_rows``, with a row whose stored bytes are those of this process's last
    read given back as the same decoded dict: **read only**, never to be changed.

    The live hub's recomputes read the whole 500-option spot risk per update, and
    a file changes a few rows of it: decoding only those took ~4 ms of the ~30 ms
    of CPU an update cost the compute process (docs/PERFORMANCE.md).
    """
    raw = _read(lambda: state_store().hgetall(key(feed, "rows")))
    held = _decoded.get(feed, {})
    now: dict[bytes, tuple[bytes, dict[str, Any]]] = {}
    for row_id, value in raw.items():
        known = held.get(row_id)
        if known is None or known[0] != value:
            known = (value, _row_loads(value))
        now[row_id] = known
    _decoded[feed] = now  # rows no longer stored are dropped with the old map
    return {row_id.decode(): row for row_id, (_, row) in now.items()}


def latest_rows_and_version(*, feed: Feed) -> tuple[dict[str, dict[str, Any]], str | None]:
    """The feed's latest rows and the state version they are at (None before any file).

    The version is read first: the rows can only be as new or newer than it (the
    live hub hears of anything newer through the channel layer anyway).
    """
    version = _text(_read(lambda: state_store().hget(key(feed, "meta"), "version")))
    return latest_rows(feed=feed), version or None


def _int_tolerant(text: str) -> int | Decimal:
    return int(text) if len(text) <= _INT_DIGITS_MAX else Decimal(text)


def _row_loads(value: bytes) -> dict[str, Any]:
    row: dict[str, Any] = json.loads(value, parse_int=_int_tolerant)
    return row


@dataclass(frozen=True)
class StateSelfHeal:
    """The last time the state store rebuilt itself from history (``feeds.self_heal``)."""

    at: datetime
    day: str  # the trading date whose history it was rebuilt from (or days before)
    seconds: float
    feeds: dict[str, str]  # feed -> what came back ("rebuilt 131 rows", "empty", ...)
    count: int  # heals recorded since the store last lost everything


def state_self_heal_last() -> StateSelfHeal | None:
    """None before any heal, or when the state store cannot say (its own pages say so)."""
    try:
        raw = _read(lambda: state_store().hgetall(SELF_HEAL_LAST))
    except StateStoreUnavailable:
        return None
    last = {k.decode(): v.decode() for k, v in raw.items()}
    at = _time(last.get("at"))
    if at is None:
        return None
    return StateSelfHeal(
        at=at,
        day=last.get("day", ""),
        seconds=_float(last.get("seconds")) or 0.0,
        feeds=json.loads(last.get("feeds") or "{}"),
        count=int(last.get("count") or 0),
    )


@dataclass(frozen=True)
class IncompleteBatch:
    """A chunked spot-risk batch some of whose chunks never arrived."""

    batch: str  # the batch's file time, 20250729_151211
    got: int
    expected: int
    missing: tuple[int, ...]  # chunk numbers that never arrived


def chunk_batches_incomplete(*, since: float, until: float) -> list[IncompleteBatch]:
    """Chunked spot-risk batches stamped (by their file time, epoch seconds) in
    [since, until] that miss chunks, and which; ``ingest_record`` counts each chunk
    whose rows arrived."""
    batches = _read(
        lambda: state_store().zrangebyscore(key(Feed.SPOT_RISK, "batches"), since, until)
    )
    found = []
    for raw in batches:
        batch = _text(raw) or ""
        fields = _read(
            lambda batch=batch: state_store().hgetall(key(Feed.SPOT_RISK, "batch", batch))
        )
        total = int(fields.pop(b"total", 0) or 0)
        if total and len(fields) < total:
            names = (_text(n) or "" for n in fields)
            seen = {int(name.removeprefix("chunk_")) for name in names}
            missing = tuple(n for n in range(1, total + 1) if n not in seen)
            found.append(IncompleteBatch(batch, len(fields), total, missing))
    return found


def quarantined_recent(*, limit: int = 20) -> list[QuarantinedFile]:
    """The files refused most recently, newest first."""
    return list(QuarantinedFile.objects.order_by("-first_seen", "-pk")[:limit])


def _window(buckets: list[int], *, minutes: int, now: float) -> int:
    """Events in the last ``minutes`` minutes, from per-minute buckets ending with now's.

    The current bucket is partial; the one ``minutes`` back counts for the share
    of it the window still covers (the usual sliding-window estimate).
    """
    inside = buckets[-minutes:]
    oldest = buckets[-minutes - 1] if len(buckets) > minutes else 0
    elapsed = (now % MINUTE_S) / MINUTE_S
    return round(sum(inside) + oldest * (1 - elapsed))


def _read(fn: Any) -> Any:
    """A read through ``state_read``: any client error is ``StateStoreUnavailable``."""
    return state_read(fn)


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class IntakeRefusals:
    """Notifications whose object was never read: counts and the last few.
    (Queue messages that were not S3 notifications are ``QuarantinedFile`` rows
    of kind ``bad_notification``.)"""

    ignored_total: int
    foreign_bucket_total: int
    recent: list[dict[str, Any]]  # {kind, bucket, key, at}, newest first


def intake_refusals_read() -> IntakeRefusals:
    counts, recent = intake_refusals()
    return IntakeRefusals(
        ignored_total=counts.get("ignored_total", 0),
        foreign_bucket_total=counts.get("foreign_bucket_total", 0),
        recent=[
            {**entry, "at": datetime.fromtimestamp(float(entry["at"]), UTC)} for entry in recent
        ],
    )


def ingest_failures_for(*, message_ids: list[str], keys: list[str]) -> dict[str, IngestFailure]:
    """The last transient failure noted for each message id, else for each
    object key (a message redriven by hand has a new id), by id or key."""
    found: dict[str, IngestFailure] = {}
    for failure in IngestFailure.objects.filter(message_id__in=message_ids):
        found[failure.message_id] = failure
    for failure in IngestFailure.objects.filter(key__in=keys).order_by("at"):
        found[failure.key] = failure  # the newest last, so it wins
    return found
