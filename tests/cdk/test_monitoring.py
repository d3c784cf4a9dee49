"""The CDK app turns every ops.alarms definition into a CloudWatch alarm, unchanged."""

from __future__ import annotations

import pytest

pytest.importorskip("aws_cdk")  # the deploy tooling is a dev dependency

from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

from deploy.cdk.monitoring import Monitoring
from ops.alarms import ALARMS, ALARMS_BY_ID


@pytest.fixture(scope="module")
def template() -> Template:
    stack = Stack(App(), "test")
    Monitoring(
        stack,
        "Monitoring",
        env_name="test",
        dimension_values={
            "FRGM_FEED_DLQ": "frgm-test-dlq",
            "FRGM_HISTORY_TABLE": "frgm-test-history",
        },
    )
    return Template.from_stack(stack)


def test_there_is_one_cloudwatch_alarm_per_definition(template: Template) -> None:
    template.resource_count_is("AWS::CloudWatch::Alarm", len(ALARMS))


def test_an_alarm_keeps_its_threshold_period_and_missing_data_rule(template: Template) -> None:
    worker = ALARMS_BY_ID["worker-not-running"]
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "frgm-worker-not-running",
            "MetricName": "WorkerHeartbeat",
            "Namespace": "FRGM/Health",
            "Threshold": worker.threshold,
            "Period": worker.period_s,
            "EvaluationPeriods": worker.evaluation_periods,
            "ComparisonOperator": "LessThanThreshold",
            "TreatMissingData": "breaching",
            "AlarmActions": Match.any_value(),
            "OKActions": Match.any_value(),
        },
    )


def test_setting_names_in_dimensions_become_the_deployed_names(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "frgm-dlq-not-empty",
            "Dimensions": [{"Name": "QueueName", "Value": "frgm-test-dlq"}],
        },
    )


def test_percentile_alarms_use_extended_statistics(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "frgm-e2e-latency-high",
            "ExtendedStatistic": "p95",
        },
    )


def test_critical_and_warning_alarms_go_to_different_topics(template: Template) -> None:
    template.resource_count_is("AWS::SNS::Topic", 2)
