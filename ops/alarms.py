"""Every alarm, defined once. The CDK app turns these into CloudWatch alarms; the
local evaluator applies the same thresholds to the local metrics.

An alarm fires when its metric breaches the threshold in each of the last
``evaluation_periods`` periods, as CloudWatch's "N out of N" does. Locally the
evaluator samples every few seconds; the samples of one ``period_s`` (aligned
to the clock, as CloudWatch's periods are) make one period, so "2 periods of
1 minute" takes two minutes here as it does in CloudWatch.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    CRITICAL = "critical"  # pages on-call
    WARNING = "warning"  # posts to the channel, no page


class AlarmState(StrEnum):
    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class Missing(StrEnum):
    """How a period without data counts (CloudWatch's TreatMissingData)."""

    BREACHING = "breaching"  # silence is the failure (a heartbeat)
    NOT_BREACHING = "notBreaching"  # silence is fine (errors that did not happen)
    MISSING = "missing"  # silence says nothing


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
CLOUDWATCH_COMPARISON = {
    ">": "GreaterThanThreshold",
    ">=": "GreaterThanOrEqualToThreshold",
    "<": "LessThanThreshold",
    "<=": "LessThanOrEqualToThreshold",
}

FRGM_INGEST = "FRGM/Ingest"
FRGM_HEALTH = "FRGM/Health"
WATCHED_FEEDS = ("spot-risk", "vtexp", "tt-positions", "tt-orders")


@dataclass(frozen=True)
class AlarmDefinition:
    id: str
    title: str
    namespace: str
    metric: str
    statistic: str  # Maximum, Sum, Average, p95 ...
    comparison: str  # one of >, >=, <, <=
    threshold: float
    period_s: int
    evaluation_periods: int
    severity: Severity
    runbook: str  # slug of a file in ops/runbooks/
    missing: Missing = Missing.NOT_BREACHING
    # Exactly the metric's dimensions. An upper-case value names a deployed resource
    # (FRGM_FEED_DLQ): the CDK app passes the real name in (deploy/cdk/monitoring.py).
    dimensions: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def breaches(self, value: float) -> bool:
        return _COMPARE[self.comparison](value, self.threshold)


def _feed_stalled(feed: str) -> AlarmDefinition:
    return AlarmDefinition(
        id=f"feed-stalled-{feed}",
        title=f"Feed {feed} stalled",
        namespace=FRGM_HEALTH,
        metric="FeedStalled",
        statistic="Maximum",
        comparison=">=",
        threshold=1,
        period_s=60,
        evaluation_periods=1,
        severity=Severity.CRITICAL,
        runbook="feed-stalled",
        dimensions={"Feed": feed},
        # The ops scheduler publishes it (ops.health_metrics) and knows each feed's
        # trading schedule: it reports 0 when the market is closed, so nothing
        # pages anyone at the close.
        description="No file past the feed's grace period while the market trades.",
    )


ALARMS: tuple[AlarmDefinition, ...] = (
    *(_feed_stalled(feed) for feed in WATCHED_FEEDS),
    AlarmDefinition(
        id="ingest-errors",
        title="Files refused by the parsers",
        namespace=FRGM_INGEST,
        metric="ParseErrors",
        statistic="Sum",
        comparison=">=",
        threshold=1,
        period_s=300,
        evaluation_periods=1,
        severity=Severity.WARNING,
        runbook="ingest-errors",
        description="At least one file was quarantined in the last 5 minutes.",
    ),
    AlarmDefinition(
        id="dlq-not-empty",
        title="Messages in the dead-letter queue",
        namespace="AWS/SQS",
        metric="ApproximateNumberOfMessagesVisible",
        statistic="Maximum",
        comparison=">=",
        threshold=1,
        period_s=60,
        evaluation_periods=1,
        severity=Severity.WARNING,
        runbook="dlq-poison-files",
        dimensions={"QueueName": "FRGM_FEED_DLQ"},
    ),
    AlarmDefinition(
        id="redis-memory-high",
        title="State store memory above 80 %",
        namespace="AWS/MemoryDB",
        metric="DatabaseMemoryUsagePercentage",
        statistic="Maximum",
        comparison=">",
        threshold=80,
        period_s=300,
        evaluation_periods=1,
        severity=Severity.CRITICAL,
        runbook="redis-memory",
        dimensions={"ClusterName": "FRGM_STATE_CLUSTER"},
    ),
    AlarmDefinition(
        id="redis-evictions",
        title="State store evicting keys",
        namespace="AWS/MemoryDB",
        metric="Evictions",
        statistic="Sum",
        comparison=">",
        threshold=0,
        period_s=300,
        evaluation_periods=1,
        severity=Severity.CRITICAL,
        runbook="redis-memory",
        dimensions={"ClusterName": "FRGM_STATE_CLUSTER"},
    ),
    AlarmDefinition(
        id="dynamodb-throttling",
        title="History writes throttled",
        namespace="AWS/DynamoDB",
        # Per table (ThrottledRequests would need an Operation too): every file
        # writes history; reads happen only in replays and rebuilds.
        metric="WriteThrottleEvents",
        statistic="Sum",
        comparison=">",
        threshold=0,
        period_s=300,
        evaluation_periods=1,
        severity=Severity.WARNING,
        runbook="dynamodb-throttling",
        dimensions={"TableName": "FRGM_HISTORY_TABLE"},
    ),
    AlarmDefinition(
        id="worker-not-running",
        title="No worker is consuming",
        namespace=FRGM_HEALTH,
        metric="WorkerHeartbeat",
        statistic="Sum",
        comparison="<",
        threshold=1,
        period_s=60,
        evaluation_periods=2,
        severity=Severity.CRITICAL,
        runbook="worker-down",
        # The scheduler reports it, 0 included: its silence is the scheduler's, which
        # scheduler-not-running pages for; here it says nothing about the workers.
        missing=Missing.MISSING,
    ),
    AlarmDefinition(
        id="scheduler-not-running",
        title="Ops scheduler not running",
        namespace=FRGM_HEALTH,
        metric="SchedulerHeartbeat",
        statistic="Sum",
        comparison="<",
        threshold=1,
        period_s=60,
        # Three minutes without a good run's beat (ops.heartbeat), no data breaching:
        # a dead, hung or blind scheduler, or a broken EMF pipeline. A hung scheduler
        # still has a running task, so scheduler-tasks-not-running (the CDK app) is
        # not enough on its own.
        evaluation_periods=3,
        severity=Severity.CRITICAL,
        runbook="scheduler-down",
        missing=Missing.BREACHING,
        # Locally the web raises it when runs stop (ops.selectors.alarm_rows): the
        # scheduler cannot report its own silence.
        description="The ops scheduler publishes the health metrics and evaluates alarms.",
    ),
    AlarmDefinition(
        id="web-targets-unhealthy",
        title="Web tasks failing health checks",
        namespace="AWS/ApplicationELB",
        metric="UnHealthyHostCount",
        statistic="Maximum",
        comparison=">=",
        threshold=1,
        period_s=60,
        evaluation_periods=3,
        severity=Severity.CRITICAL,
        runbook="web-unhealthy-rollback",
        dimensions={"LoadBalancer": "FRGM_LOAD_BALANCER", "TargetGroup": "FRGM_TARGET_GROUP"},
    ),
    AlarmDefinition(
        id="e2e-latency-high",
        title="End-to-end latency p95 above 2 s",
        namespace=FRGM_INGEST,
        metric="EndToEndLatency",
        statistic="p95",
        comparison=">",
        threshold=2000,
        period_s=300,
        evaluation_periods=1,
        severity=Severity.WARNING,
        runbook="e2e-latency-high",
        description="S3 event to browser push, in milliseconds.",
    ),
    AlarmDefinition(
        id="secret-rotation-overdue",
        title="A secret is past its rotation period",
        namespace=FRGM_HEALTH,
        metric="SecretRotationOverdue",
        statistic="Maximum",
        comparison=">=",
        threshold=1,
        period_s=3600,
        evaluation_periods=1,
        severity=Severity.WARNING,
        runbook="secret-rotation-overdue",
    ),
)
ALARMS_BY_ID = {alarm.id: alarm for alarm in ALARMS}


# One period as the evaluator keeps it in JSON: [start (epoch s, int), value (float | None)].
Period = list[Any]


def period_start(alarm: AlarmDefinition, at: float) -> int:
    """The start (epoch seconds) of the period holding ``at``."""
    return int(at // alarm.period_s) * alarm.period_s


def periods_add(
    alarm: AlarmDefinition, periods: Sequence[object], *, at: float, value: float | None
) -> list[Period]:
    """Add one sample to its period; keep only the periods the evaluation looks at.

    A period's value is its largest sample: what CloudWatch's Maximum sees, the
    worst case for the ">" alarms, and for the heartbeat's "Sum < 1" any beat in
    the period is enough, as it is in CloudWatch. Readers of Sum metrics report
    the period's total so far, which only grows within a period.
    """
    start = period_start(alarm, at)
    oldest = start - (alarm.evaluation_periods - 1) * alarm.period_s
    kept: list[Period] = [
        [int(p[0]), p[1]]
        for p in periods
        if isinstance(p, list) and len(p) == 2 and oldest <= p[0] <= start  # older formats drop
    ]
    if kept and kept[-1][0] == start:
        kept[-1][1] = _larger(kept[-1][1], value)
    else:
        kept.append([start, value])
    return kept


def _larger(old: float | None, new: float | None) -> float | None:
    if old is None or new is None:
        return new if old is None else old
    return max(old, new)


def periods_window(
    alarm: AlarmDefinition, periods: Sequence[Period], *, at: float
) -> list[float | None] | None:
    """The values of the last ``evaluation_periods`` periods up to ``at``'s, oldest first;
    None when the evaluator took no sample in one of them (it was not running), so
    it has too little to judge by."""
    values = {int(p[0]): p[1] for p in periods}
    start = period_start(alarm, at)
    starts = [start - n * alarm.period_s for n in reversed(range(alarm.evaluation_periods))]
    if any(s not in values for s in starts):
        return None
    return [values[s] for s in starts]


def periods_sampled(alarm: AlarmDefinition, periods: Sequence[Period], *, at: float) -> int:
    """How many of the last ``evaluation_periods`` periods up to ``at``'s hold a sample."""
    newest = period_start(alarm, at)
    oldest = newest - (alarm.evaluation_periods - 1) * alarm.period_s
    return sum(1 for p in periods if oldest <= int(p[0]) <= newest)


def alarm_evaluate(alarm: AlarmDefinition, datapoints: Sequence[float | None]) -> AlarmState:
    """The state after the given periods (oldest first); ``None`` is a period without data."""
    recent: list[float | None] = list(datapoints)[-alarm.evaluation_periods :]
    padding: list[float | None] = [None] * (alarm.evaluation_periods - len(recent))
    recent = padding + recent
    verdicts = [_period_breaches(alarm, value) for value in recent]
    if all(verdict is None for verdict in verdicts):
        return AlarmState.INSUFFICIENT_DATA
    if all(verdict is not False for verdict in verdicts) and any(verdicts):
        return AlarmState.ALARM
    return AlarmState.OK


def _period_breaches(alarm: AlarmDefinition, value: float | None) -> bool | None:
    if value is not None:
        return alarm.breaches(value)
    if alarm.missing is Missing.BREACHING:
        return True
    if alarm.missing is Missing.NOT_BREACHING:
        return False
    return None
