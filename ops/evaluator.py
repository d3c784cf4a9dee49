"""The local alarm evaluator: the same definitions as CloudWatch, applied to the
local metrics every few seconds by the worker (Celery beat).

Each run takes one sample per alarm into the alarm's current period (its
``period_s``, aligned to the clock), evaluates the last ``evaluation_periods``
periods, and for each change records a transition (the Slack outbox) and opens
or joins an incident. A silenced alarm still changes state on the pages but
pages no one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from feeds.aws import client
from feeds.records import Feed
from feeds.redis_clients import StateStoreUnavailable, state_store
from feeds.selectors import feed_health, recent_files
from feeds.state_store import workers_alive
from ops.alarms import (
    ALARMS,
    WATCHED_FEEDS,
    AlarmDefinition,
    AlarmState,
    alarm_evaluate,
    periods_add,
    periods_window,
)
from ops.feed_states import DEFAULT_EXPECTATIONS, FeedExpectation, FeedState, feed_state
from ops.models import (
    AlarmStatus,
    AlarmTransition,
    FeedSettings,
    Holiday,
    Incident,
    IncidentEvent,
    SecretReference,
    Silence,
)

log = logging.getLogger(__name__)

STALLED_PREFIX = "feed-stalled-"


@dataclass(frozen=True)
class FeedContext:
    """What judging feeds needs from the database, read once per evaluation or page."""

    expectations: dict[str, FeedExpectation]
    holidays: frozenset[date]
    paused_until: dict[str, datetime]


def feed_context_load(*, now: datetime) -> FeedContext:
    expectations = dict(DEFAULT_EXPECTATIONS)
    for row in FeedSettings.objects.all():
        expectations[row.feed] = FeedExpectation(interval_s=row.interval_s, grace_s=row.grace_s)
    paused: dict[str, datetime] = {}
    for name, until in Silence.objects.filter(
        target=Silence.Target.FEED, until__gt=now
    ).values_list("name", "until"):
        paused[name] = max(until, paused.get(name, until))
    return FeedContext(
        expectations=expectations,
        holidays=frozenset(Holiday.objects.values_list("day", flat=True)),
        paused_until=paused,
    )


def feed_state_now(feed: str, *, now: datetime, context: FeedContext) -> FeedState:
    health = feed_health(feed=Feed(feed), now=now.timestamp())
    return feed_state(
        last_file_at=health.last_ingested_at,
        now=now,
        expectation=context.expectations[feed],
        holidays=context.holidays,
        paused_until=context.paused_until.get(feed),
    )


def _dlq_depth() -> float:
    sqs = client("sqs", attempts=1)
    url = sqs.get_queue_url(QueueName=settings.FRGM_FEED_DLQ)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"
    ]
    return float(attrs["ApproximateNumberOfMessages"])


def _parse_errors_5min(now: datetime) -> float:
    minute = int(now.timestamp() // 60)
    store, total = state_store(), 0
    for feed in Feed:
        keys = [f"frgm:{{{feed}}}:parse_error:{m}" for m in range(minute - 4, minute + 1)]
        total += sum(int(store.get(k) or 0) for k in keys)
    return float(total)


def _latency_p95_5min(now: datetime) -> float | None:
    since = now.timestamp() - 300
    values = sorted(
        float(latency)
        for feed in Feed
        for entry in recent_files(feed=feed, limit=100)
        if (latency := entry.get("latency_ms")) is not None
        and entry["finished_at"] >= since
        and entry.get("status") != "stale"
    )
    if not values:
        return None
    return values[min(len(values) - 1, int(0.95 * len(values)))]


def _redis_memory_pct() -> float | None:
    """Used memory against maxmemory on the fullest primary; None without a limit."""
    replies = state_store().info("memory", target_nodes=state_store().PRIMARIES)
    nodes = replies.values() if "used_memory" not in replies else [replies]
    ratios = [100.0 * n["used_memory"] / n["maxmemory"] for n in nodes if n.get("maxmemory")]
    return max(ratios) if ratios else None


def _secrets_overdue(now: datetime) -> float:
    return float(any(ref.rotation_overdue(now) for ref in SecretReference.objects.all()))


def local_alarm_values(*, now: datetime) -> dict[str, float | None]:
    """This period's value of each alarm's metric; None where nothing measures it locally
    (ALB targets, DynamoDB throttling and evictions exist only in AWS)."""
    context = feed_context_load(now=now)
    readers: dict[str, Callable[[], float | None]] = {
        **{
            f"{STALLED_PREFIX}{feed}": _stalled_reader(feed, now, context) for feed in WATCHED_FEEDS
        },
        "ingest-errors": lambda: _parse_errors_5min(now),
        "dlq-not-empty": _dlq_depth,
        "redis-memory-high": _redis_memory_pct,
        "worker-not-running": lambda: float(workers_alive(now=now.timestamp())),
        "e2e-latency-high": lambda: _latency_p95_5min(now),
        "secret-rotation-overdue": lambda: _secrets_overdue(now),
    }
    values: dict[str, float | None] = {alarm.id: None for alarm in ALARMS}
    for alarm_id, read in readers.items():
        try:
            values[alarm_id] = read()
        except Exception as exc:
            log.warning("alarm %s: could not read its metric: %s", alarm_id, exc)
    return values


def _stalled_reader(feed: str, now: datetime, context: FeedContext) -> Callable[[], float]:
    return lambda: float(feed_state_now(feed, now=now, context=context) is FeedState.STALLED)


def alarm_silenced(alarm_id: str, *, now: datetime) -> bool:
    feed = alarm_id.removeprefix(STALLED_PREFIX) if alarm_id.startswith(STALLED_PREFIX) else None
    alarm_silence = Q(target=Silence.Target.ALARM, name=alarm_id)
    feed_silence = Q(target=Silence.Target.FEED, name=feed) if feed else Q(pk__in=[])
    return Silence.objects.filter(alarm_silence | feed_silence, until__gt=now).exists()


def alarm_states_update(
    *, values: Mapping[str, float | None], now: datetime
) -> list[AlarmTransition]:
    changes = []
    for alarm in ALARMS:
        change = _alarm_update(alarm, values.get(alarm.id), now)
        if change is not None:
            changes.append(change)
    return changes


@transaction.atomic
def _alarm_update(
    alarm: AlarmDefinition, value: float | None, now: datetime
) -> AlarmTransition | None:
    status, _ = AlarmStatus.objects.select_for_update().get_or_create(
        alarm_id=alarm.id,
        defaults={"state": AlarmState.INSUFFICIENT_DATA, "since": now, "recent": []},
    )
    at = now.timestamp()
    status.recent = periods_add(alarm, status.recent, at=at, value=value)
    window = periods_window(alarm, status.recent, at=at)
    # Too few periods sampled (just started, or the evaluator was not running):
    # hold the state rather than judge N periods on fewer.
    new_state = status.state if window is None else alarm_evaluate(alarm, window)
    if new_state == status.state:
        status.save(update_fields=["recent"])
        return None
    reason = _reason(alarm, value, now)
    transition = AlarmTransition.objects.create(
        alarm_id=alarm.id,
        old_state=status.state,
        new_state=new_state,
        reason=reason,
        at=now,
    )
    status.state, status.since, status.reason = new_state, now, reason
    status.save()
    silenced = alarm_silenced(alarm.id, now=now)
    first_verdict = transition.old_state == AlarmState.INSUFFICIENT_DATA
    if (
        silenced
        or new_state == AlarmState.INSUFFICIENT_DATA
        or (first_verdict and new_state == AlarmState.OK)
    ):
        # Maintenance, no data, or a first "all is well" after start: nothing to post.
        transition.notified_at = now
        transition.save(update_fields=["notified_at"])
    if not silenced:
        incident_record(alarm, transition)
    return transition


def _reason(alarm: AlarmDefinition, value: float | None, now: datetime) -> str:
    if value is None:
        return f"no data for {alarm.metric}"
    if alarm.id.startswith(STALLED_PREFIX):
        return _stalled_reason(alarm.id.removeprefix(STALLED_PREFIX), value >= 1, now)
    return (
        f"{alarm.metric} {alarm.statistic} = {value:g} "
        f"(threshold {alarm.comparison} {alarm.threshold:g})"
    )


def _stalled_reason(feed: str, stalled: bool, now: datetime) -> str:
    """What the on-call engineer asks first: since when, and which file was the last."""
    try:
        health = feed_health(feed=Feed(feed), now=now.timestamp())
    except StateStoreUnavailable:
        return f"{feed}: {'stalled' if stalled else 'files arriving'} (state store unreachable)"
    if health.age_s is None:
        return f"no {feed} file has ever arrived"
    grace = feed_context_load(now=now).expectations[feed].grace_s
    if stalled:
        return f"no {feed} file for {health.age_s:.0f} s (grace {grace} s); last {health.last_key}"
    return f"{feed} files arriving again: last {health.age_s:.0f} s ago, {health.last_key}"


def incident_record(alarm: AlarmDefinition, transition: AlarmTransition) -> None:
    """Into ALARM: open an incident, or join the open one. Back to OK: note it there;
    resolving stays a person's decision."""
    open_incident = (
        Incident.objects.filter(alarm_id=alarm.id)
        .exclude(state=Incident.State.RESOLVED)
        .order_by("-opened_at")
        .first()
    )
    if transition.new_state == AlarmState.ALARM and open_incident is None:
        open_incident = Incident.objects.create(
            alarm_id=alarm.id, title=alarm.title, opened_at=transition.at
        )
    if open_incident is not None:
        IncidentEvent.objects.create(
            incident=open_incident,
            kind=IncidentEvent.Kind.ALARM,
            at=transition.at,
            text=f"{transition.old_state} -> {transition.new_state}: {transition.reason}",
        )
