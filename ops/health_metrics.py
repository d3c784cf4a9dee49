"""The FRGM/Health metrics CloudWatch's alarms read, published by the ops scheduler
on every run as Embedded Metric Format log lines (no CloudWatch API call).

They are judged here because only the portal knows them: whether a feed is
stalled depends on its trading schedule, holidays and pauses (a closed market
reports 0, so nothing pages at the close); the workers' heartbeats are in the
state store; secret rotation is in the database. ``WorkerHeartbeat`` is the
number of workers whose consumer polled in the last minute, reported as 0 when
none did. ``SchedulerHeartbeat`` says the scheduler itself runs: it is sent after a
good run only (``ops.heartbeat``), not with these, which are measured first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from feeds.state_store import workers_alive
from lib.emf import emf_line, emf_logger
from ops.alarms import FRGM_HEALTH, WATCHED_FEEDS
from ops.feed_judging import feed_context_load, feed_state_now
from ops.feed_states import FeedState
from ops.models import SecretReference

log = logging.getLogger(__name__)

FEED_STALLED = "FeedStalled"
WORKER_HEARTBEAT = "WorkerHeartbeat"
SECRET_ROTATION_OVERDUE = "SecretRotationOverdue"  # noqa: S105 - a metric name
SCHEDULER_HEARTBEAT = "SchedulerHeartbeat"
HEALTH_METRICS = (FEED_STALLED, WORKER_HEARTBEAT, SECRET_ROTATION_OVERDUE, SCHEDULER_HEARTBEAT)


@dataclass(frozen=True)
class HealthMetrics:
    feed_stalled: dict[str, float]  # per watched feed: 1 while stalled in its trading hours
    worker_heartbeat: float | None  # None: the state store could not be read
    secret_rotation_overdue: float


def health_metrics_measure(*, now: datetime) -> HealthMetrics:
    context = feed_context_load(now=now)
    stalled = {}
    for feed in WATCHED_FEEDS:
        try:
            state = feed_state_now(feed, now=now, context=context)
        except Exception as exc:
            log.warning("feed %s: could not judge it: %s", feed, exc)
            continue  # missing, not 0: "not stalled" would be a guess
        stalled[feed] = float(state is FeedState.STALLED)
    try:
        workers: float | None = float(workers_alive(now=now.timestamp()))
    except Exception as exc:
        log.warning("worker heartbeats unreadable: %s", exc)
        workers = None
    overdue = any(ref.rotation_overdue(now) for ref in SecretReference.objects.all())
    return HealthMetrics(stalled, workers, float(overdue))


def health_metric_lines(metrics: HealthMetrics, *, timestamp_ms: int) -> list[str]:
    """The EMF documents for one run (pure): one per feed, one for the rest."""
    lines = [
        _emf({"Feed": feed}, {FEED_STALLED: value}, timestamp_ms)
        for feed, value in metrics.feed_stalled.items()
    ]
    fleet = {SECRET_ROTATION_OVERDUE: metrics.secret_rotation_overdue}
    if metrics.worker_heartbeat is not None:
        fleet[WORKER_HEARTBEAT] = metrics.worker_heartbeat
    lines.append(_emf({}, fleet, timestamp_ms))
    return lines


def _emf(dimensions: dict[str, str], values: dict[str, float], timestamp_ms: int) -> str:
    return emf_line(
        namespace=FRGM_HEALTH,
        dimensions=dimensions,
        # Exactly the alarms' dimensions: per feed, or none at all.
        dimension_sets=[sorted(dimensions)],
        metrics={name: (value, "Count") for name, value in values.items()},
        timestamp_ms=timestamp_ms,
    )


def health_metrics_emit(*, now: datetime) -> HealthMetrics:
    """Measure and log this run's health metrics; in AWS CloudWatch Logs extracts them."""
    metrics = health_metrics_measure(now=now)
    for line in health_metric_lines(metrics, timestamp_ms=int(now.timestamp() * 1000)):
        emf_logger.info(line)
    return metrics
