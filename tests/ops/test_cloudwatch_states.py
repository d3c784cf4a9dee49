"""In AWS the portal mirrors CloudWatch's alarm states (moto's CloudWatch stands in)."""

from __future__ import annotations

import pytest

from feeds.aws import client
from ops.alarms import ALARMS_BY_ID
from ops.cloudwatch import cloudwatch_alarm_name, cloudwatch_states_sync
from ops.models import AlarmStatus, AlarmTransition, Incident

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
