"""What the ops pages show, read from the state store and the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import quantiles

from django.conf import settings
from django.db.models import Case, Count, F, QuerySet, Value, When

from feeds.models import QuarantinedFile
from feeds.records import Feed
from feeds.selectors import FeedHealth, LatencySample, feed_health, latency_samples
from feeds.state_store import key
from feeds.store_status import state_read
from lib.redis_clients import StateStoreUnavailable, state_store
from ops.alarms import ALARMS_BY_ID, AlarmDefinition, AlarmState
from ops.evaluator import STALLED_PREFIX
from ops.feed_judging import feed_context_load, feed_state_now
from ops.feed_states import DEFAULT_EXPECTATIONS, FeedExpectation, FeedState
from ops.models import (
    AlarmStatus,
    AlarmTransition,
    EvaluationRun,
    FeedSettings,
    Incident,
    Silence,
)
from ops.runbooks import Runbook, alarm_runbooks

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


def _timings(samples: list[LatencySample]) -> tuple[Percentiles, ...]:
    return (
        _percentiles([s.latency_ms for s in samples]),
        _percentiles([s.delay_ms for s in samples]),
        _percentiles([s.processing_ms for s in samples]),
    )


@dataclass(frozen=True)
class IncompleteBatch:
    batch: str  # the batch's file time, 20250729_151211
    got: int
    expected: int
    missing: tuple[int, ...]  # chunk numbers that never arrived


def incomplete_batches(*, now: datetime, within_s: float = 3600) -> list[IncompleteBatch]:
    """Chunked spot-risk batches of the last hour missing chunks, and which."""
    batches = state_read(
        lambda: state_store().zrangebyscore(
            key(Feed.SPOT_RISK, "batches"),
            now.timestamp() - within_s,
            now.timestamp() - BATCH_SETTLE_S,
        )
    )
    found = []
    for raw in batches:
        batch = raw.decode() if isinstance(raw, bytes) else str(raw)
        fields = state_read(
            lambda batch=batch: state_store().hgetall(key(Feed.SPOT_RISK, "batch", batch))
        )
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
        latency, delay, processing = _timings(
            latency_samples(feed=feed, since=now.timestamp() - WINDOW_S, until=now.timestamp())
        )
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


def feed_rows_readable(*, now: datetime) -> list[FeedRow] | None:
    """``feed_rows``, or None when the state store cannot be read (the page says so
    and shows everything else: alarms and incidents live in the database)."""
    try:
        return feed_rows(now=now)
    except StateStoreUnavailable:
        return None


def active_silences(*, now: datetime) -> list[Silence]:
    return list(Silence.objects.filter(until__gt=now).select_related("created_by"))


EVALUATION_STALE_RUNS = 3  # runs missed before the web calls the evaluation stale
SCHEDULER_ALARM = "scheduler-not-running"


@dataclass(frozen=True)
class EvaluationFreshness:
    """How long ago the ops scheduler last evaluated the alarms successfully."""

    last_at: datetime | None
    age_s: float | None
    every_s: float
    error: str  # why the latest run failed; empty when it succeeded

    @property
    def stale(self) -> bool:
        """No good run for several intervals: every alarm state on the pages is old,
        and nothing changes state or posts to Slack."""
        return self.age_s is not None and self.age_s > EVALUATION_STALE_RUNS * self.every_s

    @property
    def summary(self) -> str:
        if self.last_at is None or self.age_s is None:
            return "the ops scheduler has not evaluated the alarms yet"
        failing = f"; the latest run failed: {self.error}" if self.error else ""
        return f"last evaluated {self.age_s:.0f} s ago (expected every {self.every_s:g} s){failing}"


def evaluation_freshness(*, now: datetime) -> EvaluationFreshness:
    run = EvaluationRun.objects.filter(name="alarms").first()
    last = run.succeeded_at if run else None
    return EvaluationFreshness(
        last_at=last,
        age_s=max(0.0, (now - last).total_seconds()) if last else None,
        every_s=settings.FRGM_ALARM_EVALUATE_EVERY_S,
        error=run.error if run else "",
    )


@dataclass(frozen=True)
class AlarmRow:
    """One alarm as the ops pages show it."""

    alarm_id: str
    definition: AlarmDefinition | None
    state: str
    since: datetime | None
    reason: str
    silence: Silence | None = None  # maintenance: it changes state but pages no one
    runbooks: list[Runbook] = field(default_factory=list)  # its own first, then all naming it


def silences_by_alarm(silences: list[Silence]) -> dict[str, Silence]:
    """The silence covering each alarm, the longest if several: an alarm's own, or
    its feed's for a feed-stalled alarm."""
    covering: dict[str, Silence] = {}
    for silence in silences:
        feed = silence.target == Silence.Target.FEED
        alarm_id = f"{STALLED_PREFIX}{silence.name}" if feed else silence.name
        if alarm_id not in covering or silence.until > covering[alarm_id].until:
            covering[alarm_id] = silence
    return covering


def alarm_rows(
    *, freshness: EvaluationFreshness, silences: list[Silence], alarm_id: str | None = None
) -> list[AlarmRow]:
    """Every alarm with a state (or only ``alarm_id``), by id, marked when silenced.
    A stale evaluation is itself an alarm, raised by the web: the scheduler cannot
    report its own silence."""
    covering = silences_by_alarm(silences)
    statuses = AlarmStatus.objects.order_by("alarm_id")
    if alarm_id is not None:
        statuses = statuses.filter(alarm_id=alarm_id)
    rows = [
        AlarmRow(
            s.alarm_id,
            ALARMS_BY_ID.get(s.alarm_id),
            s.state,
            s.since,
            s.reason,
            covering.get(s.alarm_id),
            alarm_runbooks(s.alarm_id),
        )
        for s in statuses
    ]
    if freshness.stale and alarm_id in (None, SCHEDULER_ALARM):
        stale = AlarmRow(
            SCHEDULER_ALARM,
            ALARMS_BY_ID[SCHEDULER_ALARM],
            AlarmState.ALARM,
            freshness.last_at,
            f"no alarm evaluation: {freshness.summary}",
            covering.get(SCHEDULER_ALARM),
            alarm_runbooks(SCHEDULER_ALARM),
        )
        rows = [stale, *(r for r in rows if r.alarm_id != SCHEDULER_ALARM)]
    return rows


def alarm_history(*, alarm_id: str, limit: int = 50) -> list[AlarmTransition]:
    return list(AlarmTransition.objects.filter(alarm_id=alarm_id)[:limit])


def alarm_incidents(*, alarm_id: str, limit: int = 20) -> list[Incident]:
    return list(Incident.objects.filter(alarm_id=alarm_id)[:limit])


def slack_undelivered() -> list[AlarmTransition]:
    """Changes Slack has refused or not answered, still being retried: on-call must
    know the channel did not hear about them."""
    return list(
        AlarmTransition.objects.filter(
            notified_at__isnull=True, superseded=False, notify_attempts__gt=0
        ).order_by("at")
    )


def incidents_filtered(
    *,
    state: str = "",
    alarm_id: str = "",
    severity: str = "",
    opened_since: datetime | None = None,
) -> QuerySet[Incident]:
    """Incidents for the list: open and acknowledged first (newest first), then the
    resolved ones by when they were resolved; each with its number of events."""
    incidents = Incident.objects.annotate(
        event_count=Count("events"),
        done=Case(When(state=Incident.State.RESOLVED, then=Value(1)), default=Value(0)),
    )
    if state == "active":
        incidents = incidents.exclude(state=Incident.State.RESOLVED)
    elif state:
        incidents = incidents.filter(state=state)
    if alarm_id:
        incidents = incidents.filter(alarm_id=alarm_id)
    if severity:
        incidents = incidents.filter(
            alarm_id__in=[a.id for a in ALARMS_BY_ID.values() if a.severity == severity]
        )
    if opened_since is not None:
        incidents = incidents.filter(opened_at__gte=opened_since)
    return incidents.order_by("done", F("resolved_at").desc(nulls_first=True), "-opened_at", "-pk")


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
