"""Every CloudWatch alarm reads a metric that exists: one our code emits, with the
alarm's exact dimensions, or an AWS metric with the dimensions AWS publishes it by."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from feeds.state_store import worker_heartbeat
from ops.alarms import ALARMS
from ops.health_metrics import health_metrics_emit
from ops.heartbeat import Heartbeat
from ops.models import SecretReference
from ops.scheduler import ops_cycle_run
from tests.feeds.ingest.conftest import POSITIONS_KEY, SPOT_KEY, sample
from tests.ops.test_alarm_evaluator import TUESDAY_10AM, _file_ingested

pytestmark = pytest.mark.django_db

# What AWS publishes each metric by (a metric is the name plus the exact set).
AWS_DIMENSIONS = {
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): {"QueueName"},
    ("AWS/MemoryDB", "DatabaseMemoryUsagePercentage"): {"ClusterName"},
    ("AWS/MemoryDB", "Evictions"): {"ClusterName"},
    ("AWS/DynamoDB", "WriteThrottleEvents"): {"TableName"},
    ("AWS/DynamoDB", "ReadThrottleEvents"): {"TableName"},
    ("AWS/DynamoDB", "ThrottledRequests"): {"TableName", "Operation"},
    ("AWS/ApplicationELB", "UnHealthyHostCount"): {"LoadBalancer", "TargetGroup"},
}


def _emitted(documents: list[dict]) -> set[tuple[str, str, frozenset[str]]]:
    """(namespace, metric, dimension set) for every metric the EMF documents declare."""
    found = set()
    for document in documents:
        for declaration in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in declaration["Dimensions"]:
                for metric in declaration["Metrics"]:
                    found.add((declaration["Namespace"], metric["Name"], frozenset(dimension_set)))
    return found


def test_every_alarm_reads_a_metric_that_exists(feed_queue, emf_documents):
    # What our code emits: in a run of the ops scheduler, and while ingesting a good
    # file and a file the parser refuses.
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    feed_queue.put(POSITIONS_KEY, sample("bad/tt_positions_status_error.json"))
    feed_queue.drain()
    heartbeat = Heartbeat(url="")  # the EMF beat only
    ops_cycle_run(heartbeat=heartbeat)  # the health metrics, then a good run's beat
    emitted = _emitted(emf_documents())
    problems = []
    for alarm in ALARMS:
        dimensions = frozenset(alarm.dimensions)
        if alarm.namespace.startswith("AWS/"):
            required = AWS_DIMENSIONS.get((alarm.namespace, alarm.metric))
            if required is None:
                problems.append(f"{alarm.id}: {alarm.metric} is not a known AWS metric")
            elif dimensions != required:
                problems.append(f"{alarm.id}: AWS publishes {alarm.metric} by {sorted(required)}")
        elif (alarm.namespace, alarm.metric, dimensions) not in emitted:
            problems.append(f"{alarm.id}: nothing emits {alarm.metric} by {sorted(dimensions)}")
    assert problems == []


def test_health_metrics_judge_each_feed_by_its_trading_hours(stack, emf_documents):
    _file_ingested(TUESDAY_10AM)
    health_metrics_emit(now=TUESDAY_10AM + timedelta(minutes=5))
    saturday = TUESDAY_10AM + timedelta(days=4)
    health_metrics_emit(now=saturday)
    stalled = [
        (d["Feed"], d["FeedStalled"], d["_aws"]["Timestamp"])
        for d in emf_documents()
        if d.get("Feed") == "spot-risk"
    ]
    assert stalled == [
        ("spot-risk", 1.0, int((TUESDAY_10AM + timedelta(minutes=5)).timestamp() * 1000)),
        ("spot-risk", 0.0, int(saturday.timestamp() * 1000)),  # closed: pages no one
    ]


def test_the_worker_heartbeat_counts_consuming_workers_and_zero_is_reported(stack, emf_documents):
    now = timezone.now()
    health_metrics_emit(now=now)
    worker_heartbeat(name="worker@a", now=now.timestamp())
    worker_heartbeat(name="worker@b", now=now.timestamp() - 30)
    health_metrics_emit(now=now)
    fleet = [d for d in emf_documents() if "WorkerHeartbeat" in d]
    assert [d["WorkerHeartbeat"] for d in fleet] == [0.0, 2.0]
    # Not with these, measured first: after a good run only (tests/ops/test_scheduler_heartbeat.py).
    assert all("SchedulerHeartbeat" not in d for d in fleet)
    assert all(d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [[]] for d in fleet)


def test_an_overdue_secret_is_reported(stack, emf_documents):
    now = timezone.now()
    SecretReference.objects.create(
        name="slack-webhook",
        arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf",
        purpose="alarm posts",
        used_by="scheduler",
        owner="platform",
        rotation_days=90,
        last_rotated=now - timedelta(days=91),
    )
    health_metrics_emit(now=now)
    [fleet] = [d for d in emf_documents() if "SecretRotationOverdue" in d]
    assert fleet["SecretRotationOverdue"] == 1.0
