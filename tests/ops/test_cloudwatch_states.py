"""In AWS the portal mirrors its own environment's CloudWatch alarm states, and a portal
silence turns their actions off (moto's CloudWatch server stands in)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from accounts.models import AuditEvent
from lib.aws import client
from ops.alarms import ALARMS_BY_ID
from ops.cloudwatch import cloudwatch_actions_sync, cloudwatch_alarm_name, cloudwatch_states_sync
from ops.models import AlarmStatus, AlarmTransition, EvaluationRun, Incident, Silence
from ops.scheduler import ops_cycle_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def stalled_alarm(stack):
    alarm = ALARMS_BY_ID["feed-stalled-tt-orders"]
    cloudwatch = client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=cloudwatch_alarm_name(alarm),
        Namespace=alarm.namespace,
        MetricName=alarm.metric,
        Statistic="Maximum",
        Period=alarm.period_s,
        EvaluationPeriods=alarm.evaluation_periods,
        Threshold=alarm.threshold,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Dimensions=[{"Name": "Feed", "Value": "tt-orders"}],
    )
    yield alarm
    cloudwatch.delete_alarms(AlarmNames=[cloudwatch_alarm_name(alarm)])


def _set(alarm, state: str, reason: str) -> None:
    client("cloudwatch").set_alarm_state(
        AlarmName=cloudwatch_alarm_name(alarm), StateValue=state, StateReason=reason
    )


def test_a_cloudwatch_alarm_state_change_is_mirrored_with_an_incident(stalled_alarm):
    _set(stalled_alarm, "ALARM", "Threshold Crossed: 1 datapoint [1.0] >= 1.0")
    changes = cloudwatch_states_sync()
    assert [(c.alarm_id, c.new_state) for c in changes] == [("feed-stalled-tt-orders", "ALARM")]
    assert AlarmStatus.objects.get(alarm_id="feed-stalled-tt-orders").state == "ALARM"
    assert Incident.objects.get().alarm_id == "feed-stalled-tt-orders"
    # CloudWatch pages through SNS; the portal must not post to Slack again.
    assert AlarmTransition.objects.get().notified_at is not None
    assert cloudwatch_states_sync() == []  # nothing changed: nothing recorded
    _set(stalled_alarm, "OK", "Threshold Crossed: 1 datapoint [0.0] < 1.0")
    assert [c.new_state for c in cloudwatch_states_sync()] == ["OK"]
    assert Incident.objects.get().events.count() == 2


def _alarm_put(name: str) -> None:
    client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="FRGM/Health",
        MetricName="FeedStalled",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Dimensions=[{"Name": "Feed", "Value": "tt-orders"}],
        AlarmActions=["arn:aws:sns:us-east-1:123456789012:frgm-pager"],
    )


def _actions_enabled(name: str) -> bool:
    [alarm] = client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return alarm["ActionsEnabled"]


@pytest.fixture
def two_environments(stack) -> Iterator[tuple[str, str]]:
    """This environment's alarm and another environment's of the same id, in one account."""
    ours = cloudwatch_alarm_name(ALARMS_BY_ID["feed-stalled-tt-orders"])
    theirs = "frgm-other-feed-stalled-tt-orders"
    for name in (ours, theirs):
        _alarm_put(name)
    yield ours, theirs
    client("cloudwatch").delete_alarms(AlarmNames=[ours, theirs])


def test_a_portal_silence_turns_cloudwatch_alarm_actions_off_until_it_ends(
    two_environments, oncall
):
    ours, theirs = two_environments
    now = timezone.now()
    silence = Silence.objects.create(
        target="feed", name="tt-orders", until=now + timedelta(hours=1), reason="TT upgrade",
        created_by=oncall,
    )  # fmt: skip
    assert cloudwatch_actions_sync(now=now) == {"disabled": [ours], "enabled": []}
    assert not _actions_enabled(ours)
    assert _actions_enabled(theirs)  # another environment's alarm is not ours to silence
    assert cloudwatch_actions_sync(now=now) == {"disabled": [], "enabled": []}  # settled
    assert AuditEvent.objects.get(action="alarm.actions_disabled").target == ours
    later = silence.until + timedelta(seconds=1)
    assert cloudwatch_actions_sync(now=later) == {"disabled": [], "enabled": [ours]}
    assert _actions_enabled(ours)


def test_the_scheduler_mirrors_and_silences_only_its_own_environments_alarms(
    two_environments, oncall
):
    ours, theirs = two_environments
    client("cloudwatch").set_alarm_state(AlarmName=theirs, StateValue="ALARM", StateReason="x")
    Silence.objects.create(
        target="alarm", name="feed-stalled-tt-orders",
        until=timezone.now() + timedelta(hours=1), reason="known", created_by=oncall,
    )  # fmt: skip
    with override_settings(FRGM_ALARM_SOURCE="cloudwatch"):
        ops_cycle_run()
    assert not _actions_enabled(ours)
    assert _actions_enabled(theirs)
    assert not Incident.objects.exists()  # their ALARM is not ours
    assert EvaluationRun.objects.get().error == ""


def test_the_scheduler_refuses_to_mirror_cloudwatch_without_its_prefix():
    with (
        override_settings(FRGM_ALARM_SOURCE="cloudwatch", FRGM_ALARM_PREFIX=""),
        pytest.raises(CommandError, match="FRGM_ALARM_PREFIX is not set"),
    ):
        call_command("ops_scheduler", "--once")
