"""What the ops pages show, read from the state store and the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import quantiles

from django.db.models import Count

from feeds.models import QuarantinedFile
from feeds.records import Feed
from feeds.redis_clients import state_store
from feeds.selectors import FeedHealth, RecentFile, feed_health, recent_files
from feeds.state_store import key
from ops.evaluator import feed_context_load, feed_state_now
from ops.feed_states import DEFAULT_EXPECTATIONS, FeedExpectation, FeedState
from ops.models import AlarmStatus, FeedSettings, Incident, Silence

WINDOW_S = 300
BATCH_SETTLE_S = 10  # chunks of one batch land within a few seconds of each other


@dataclass(frozen=True)
class Percentiles:
    p50: float | None
    p99: float | None


@dataclass(frozen=True)
class FeedRow:
    feed: str
    state: FeedState
    health: FeedHealth
    expectation: FeedExpectation
    latency: Percentiles  # S3 event -> ingest finished
    notification_delay: Percentiles  # S3 event -> message received
    processing: Percentiles  # message received -> ingest finished
    quarantined_last_hour: int
    incomplete_batches: int


def _percentiles(values: list[float]) -> Percentiles:
    if not values:
        return Percentiles(None, None)
    if len(values) == 1:
        return Percentiles(round(values[0], 1), round(values[0], 1))
    cuts = quantiles(values, n=100, method="inclusive")
    return Percentiles(round(cuts[49], 1), round(cuts[98], 1))


def _timings(entries: list[RecentFile], now: datetime) -> tuple[Percentiles, ...]:
    since = now.timestamp() - WINDOW_S
    fresh = [e for e in entries if e["finished_at"] >= since and e.get("event_time")]
    total, delay, work = [], [], []
    for entry in fresh:
        event = datetime.fromisoformat(str(entry["event_time"])).timestamp()
        total.append((entry["finished_at"] - event) * 1000)
        delay.append(max(0.0, (entry["received_at"] - event) * 1000))
        work.append((entry["finished_at"] - entry["received_at"]) * 1000)
    return _percentiles(total), _percentiles(delay), _percentiles(work)


@dataclass(frozen=True)
class IncompleteBatch:
    batch: str  # the batch's file time, 20250729_151211
    got: int
    expected: int
    missing: tuple[int, ...]  # chunk numbers that never arrived


def incomplete_batches(*, now: datetime, within_s: float = 3600) -> list[IncompleteBatch]:
    """Chunked spot-risk batches of the last hour missing chunks, and which."""
    store = state_store()
    batches = store.zrangebyscore(
        key(Feed.SPOT_RISK, "batches"),
        now.timestamp() - within_s,
        now.timestamp() - BATCH_SETTLE_S,
    )
    found = []
    for raw in batches:
        batch = raw.decode() if isinstance(raw, bytes) else str(raw)
        fields = store.hgetall(key(Feed.SPOT_RISK, "batch", batch))
        total = int(fields.pop(b"total", 0) or 0)
        if total and len(fields) < total:
            names = (n.decode() if isinstance(n, bytes) else str(n) for n in fields)
            seen = {int(name.removeprefix("chunk_")) for name in names}
            missing = tuple(n for n in range(1, total + 1) if n not in seen)
            found.append(IncompleteBatch(batch, len(fields), total, missing))
    return found


def feed_rows(*, now: datetime) -> list[FeedRow]:
    hour_ago = now - timedelta(hours=1)
    quarantined = dict(
        QuarantinedFile.objects.filter(first_seen__gte=hour_ago)
        .values_list("feed")
        .annotate(n=Count("pk"))
        .values_list("feed", "n")
    )
    context = feed_context_load(now=now)
    batches = len(incomplete_batches(now=now))
    rows = []
    for feed in Feed:
        latency, delay, processing = _timings(recent_files(feed=feed, limit=100), now)
        rows.append(
            FeedRow(
                feed=feed.value,
                state=feed_state_now(feed.value, now=now, context=context),
                health=feed_health(feed=feed, now=now.timestamp()),
                expectation=context.expectations[feed.value],
                latency=latency,
                notification_delay=delay,
                processing=processing,
                quarantined_last_hour=quarantined.get(feed.value, 0),
                incomplete_batches=batches if feed is Feed.SPOT_RISK else 0,
            )
        )
    return rows


def active_silences(*, now: datetime) -> list[Silence]:
    return list(Silence.objects.filter(until__gt=now).select_related("created_by"))


def alarm_statuses() -> list[AlarmStatus]:
    return list(AlarmStatus.objects.order_by("alarm_id"))


def open_incidents() -> list[Incident]:
    return list(Incident.objects.exclude(state=Incident.State.RESOLVED))


def feed_intervals() -> dict[str, float | None]:
    """Each feed's expected interval in seconds (admins may edit it): past it a feed
    is late on the ops pages and stale on the traders' pages."""
    intervals: dict[str, float | None] = {
        feed: e.interval_s for feed, e in DEFAULT_EXPECTATIONS.items()
    }
    intervals.update(FeedSettings.objects.values_list("feed", "interval_s"))
    return intervals
