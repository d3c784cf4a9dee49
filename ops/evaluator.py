"""The local alarm evaluator: the same definitions as CloudWatch, applied to the
local metrics every few seconds by the worker (Celery beat).

Each run takes one sample per alarm into the alarm's current period (its
``period_s``, aligned to the clock), evaluates the last ``evaluation_periods``
periods, and for each change records a transition (the Slack outbox) and opens
or joins an incident. A silenced alarm still changes state on the pages but
pages no one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from feeds.records import Feed
from feeds.selectors import latency_samples, refused_files
from feeds.state_store import workers_alive
from lib.aws import client
from lib.redis_clients import state_store
from ops.alarms import (
    ALARMS,
    WATCHED_FEEDS,
    AlarmDefinition,
    AlarmState,
    alarm_evaluate,
    periods_add,
    periods_sampled,
    periods_window,
)
from ops.feed_judging import FeedContext, feed_context_load, feed_judge
from ops.feed_states import FeedState
from ops.models import (
    AlarmStatus,
    AlarmTransition,
    Incident,
    IncidentEvent,
    SecretReference,
    Silence,
)

log = logging.getLogger(__name__)

STALLED_PREFIX = "feed-stalled-"


@dataclass(frozen=True)
class Unreadable:
    """No sample this run, and why: the metric could not be read, or is not measured
    here. Unlike a reading of "no data", it never counts as a period."""

    why: str


@dataclass(frozen=True)
class Detailed:
    """A sample with the reason on-call reads should it change the alarm's state."""

    value: float
    detail: str


Sample = float | None | Detailed | Unreadable  # None: read, and the metric had no data


def _value(sample: float | Detailed | None) -> float | None:
    return sample.value if isinstance(sample, Detailed) else sample


NOT_MEASURED = Unreadable("no data: not measured locally (CloudWatch measures it in AWS)")


def _dlq_depth() -> float:
    sqs = client("sqs", attempts=1)
    url = sqs.get_queue_url(QueueName=settings.FRGM_FEED_DLQ)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"
    ]
    return float(attrs["ApproximateNumberOfMessages"])


def _parse_errors_in_period(now: datetime, period_s: int) -> float:
    """Files refused since the start of the current period: the period's Sum so far,
    from the per-minute counters (periods are whole minutes)."""
    minute = int(now.timestamp() // 60)
    first = int(now.timestamp() // period_s) * period_s // 60
    return float(
        sum(refused_files(feed=feed, first_minute=first, last_minute=minute) for feed in Feed)
    )


def _latency_p95_5min(now: datetime) -> float | None:
    since = now.timestamp() - 300
    values = sorted(  # every fresh file's: a stale one's data reached no one
        sample.latency_ms
        for feed in Feed
        for sample in latency_samples(feed=feed, since=since, until=now.timestamp())
    )
    if not values:
        return None
    return values[min(len(values) - 1, int(0.95 * len(values)))]


def _primaries_info(section: str) -> list[dict[str, Any]]:
    replies = state_store().info(section, target_nodes=state_store().PRIMARIES)
    # Several primaries answer with a dict per node; a single one with its own dict.
    nodes = list(replies.values())
    return nodes if nodes and all(isinstance(n, dict) for n in nodes) else [replies]


def _redis_memory_pct() -> float | Unreadable:
    """Used memory against maxmemory on the fullest primary, as MemoryDB reports it."""
    nodes = _primaries_info("memory")
    ratios = [100.0 * n["used_memory"] / n["maxmemory"] for n in nodes if n.get("maxmemory")]
    if not ratios:
        return Unreadable("the state store has no maxmemory: nothing to measure against")
    return max(ratios)


EVICTIONS_SEEN = "frgm:{ops}:evicted_keys"  # no TTL: a volatile-* policy never evicts it


def _redis_evictions_in_period(now: datetime, period_s: int) -> float:
    """Keys the state store evicted since the current period began (its Sum so far).

    Redis counts evictions since it started. A new period starts from the count
    the previous run saw, so evictions between two runs are never lost."""
    count = sum(int(n.get("evicted_keys", 0)) for n in _primaries_info("stats"))
    period = int(now.timestamp() // period_s)
    store = state_store()
    # The first look has nothing to compare with: it counts from here.
    seen = json.loads(store.get(EVICTIONS_SEEN) or "null") or {"period": period, "base": count}
    base = seen["base"] if seen["period"] == period else seen["last"]
    store.set(EVICTIONS_SEEN, json.dumps({"period": period, "base": base, "last": count}))
    return float(count - base if count >= base else count)  # a restart resets the counter


def _secrets_overdue(now: datetime) -> float:
    return float(any(ref.rotation_overdue(now) for ref in SecretReference.objects.all()))


def local_alarm_values(*, now: datetime) -> dict[str, Sample]:
    """One sample of each alarm's metric that can be measured here. ALB targets and
    DynamoDB throttling exist only in AWS: they have no entry, and show no data."""
    context = feed_context_load(now=now)
    period = {alarm.id: alarm.period_s for alarm in ALARMS}
    readers: dict[str, Callable[[], Sample]] = {
        **{
            f"{STALLED_PREFIX}{feed}": _stalled_reader(feed, now, context) for feed in WATCHED_FEEDS
        },
        "ingest-errors": lambda: _parse_errors_in_period(now, period["ingest-errors"]),
        "dlq-not-empty": _dlq_depth,
        "redis-memory-high": _redis_memory_pct,
        "redis-evictions": lambda: _redis_evictions_in_period(now, period["redis-evictions"]),
        "worker-not-running": lambda: _workers_reading(now),
        "scheduler-not-running": lambda: 1.0,  # this run is the beat
        "e2e-latency-high": lambda: _latency_p95_5min(now),
        "secret-rotation-overdue": lambda: _secrets_overdue(now),
    }
    values: dict[str, Sample] = {}
    for alarm_id, read in readers.items():
        try:
            values[alarm_id] = read()
        except Exception as exc:
            log.warning("alarm %s: could not read its metric: %s", alarm_id, exc)
            values[alarm_id] = Unreadable(f"could not read it: {exc}")
    return values


def _workers_reading(now: datetime) -> Detailed:
    alive = workers_alive(now=now.timestamp())
    if alive:
        return Detailed(float(alive), f"{alive} worker(s) polled SQS in the last minute")
    return Detailed(0.0, "no worker has polled SQS for over a minute: nothing is consuming")


def _stalled_reader(feed: str, now: datetime, context: FeedContext) -> Callable[[], Detailed]:
    def read() -> Detailed:
        judged = feed_judge(feed, now=now, context=context)
        return Detailed(float(judged.state is FeedState.STALLED), judged.detail)

    return read


def alarm_silenced(alarm_id: str, *, now: datetime) -> bool:
    feed = alarm_id.removeprefix(STALLED_PREFIX) if alarm_id.startswith(STALLED_PREFIX) else None
    alarm_silence = Q(target=Silence.Target.ALARM, name=alarm_id)
    feed_silence = Q(target=Silence.Target.FEED, name=feed) if feed else Q(pk__in=[])
    return Silence.objects.filter(alarm_silence | feed_silence, until__gt=now).exists()


def alarm_states_update(*, values: Mapping[str, Sample], now: datetime) -> list[AlarmTransition]:
    """Take each alarm's sample into its period and record every change of state;
    an alarm with no entry in ``values`` is not measured here."""
    changes = []
    for alarm in ALARMS:
        change = _alarm_update(alarm, values.get(alarm.id, NOT_MEASURED), now)
        if change is not None:
            changes.append(change)
    return changes


@transaction.atomic
def _alarm_update(alarm: AlarmDefinition, sample: Sample, now: datetime) -> AlarmTransition | None:
    status, _ = AlarmStatus.objects.select_for_update().get_or_create(
        alarm_id=alarm.id,
        defaults={"state": AlarmState.INSUFFICIENT_DATA, "since": now, "recent": []},
    )
    at = now.timestamp()
    value = None if isinstance(sample, Unreadable) else _value(sample)
    if not isinstance(sample, Unreadable):  # an unread metric is no sample, not "no data"
        status.recent = periods_add(alarm, status.recent, at=at, value=value)
    new_state = _state_judged(alarm, status, at)
    if new_state == status.state:
        if new_state == AlarmState.INSUFFICIENT_DATA:  # say why there is no verdict yet
            status.reason = (
                sample.why
                if isinstance(sample, Unreadable)
                else f"waiting for {alarm.evaluation_periods} periods of {alarm.period_s} s: "
                f"{periods_sampled(alarm, status.recent, at=at)} sampled so far"
            )
        status.save(update_fields=["recent", "reason"])
        return None
    if isinstance(sample, Unreadable):
        reason = sample.why
    elif isinstance(sample, Detailed):
        reason = sample.detail  # judged with the very reading that changed the state
    else:
        reason = _reason(alarm, value)
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


def _state_judged(alarm: AlarmDefinition, status: AlarmStatus, at: float) -> str:
    window = periods_window(alarm, status.recent, at=at)
    if window is not None:
        return alarm_evaluate(alarm, window)
    if periods_sampled(alarm, status.recent, at=at) == 0:
        return AlarmState.INSUFFICIENT_DATA  # nothing read for the whole window: say so
    # Too few periods sampled (just started, or the evaluator was not running):
    # hold the state rather than judge N periods on fewer.
    return status.state


def _reason(alarm: AlarmDefinition, value: float | None) -> str:
    if value is None:
        return f"no data for {alarm.metric}"
    return (
        f"{alarm.metric} {alarm.statistic} = {value:g} "
        f"(threshold {alarm.comparison} {alarm.threshold:g})"
    )


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
