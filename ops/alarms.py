"""Every alarm, defined once. The CDK app turns these into CloudWatch alarms; the
local evaluator applies the same thresholds to the local metrics.

An alarm fires when its metric breaches the threshold in each of the last
``evaluation_periods`` periods, as CloudWatch's "N out of N" does.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


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
    dimensions: dict[str, str] = field(default_factory=dict)  # values may name a setting
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
        # The worker's health task knows the trading schedule: it reports 0 when
        # the market is closed, so nothing pages anyone at the close.
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
    ),
    AlarmDefinition(
        id="dynamodb-throttling",
        title="History writes throttled",
        namespace="AWS/DynamoDB",
        metric="ThrottledRequests",
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
        missing=Missing.BREACHING,
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
