"""The CDK app turns every ops.alarms definition into a CloudWatch alarm, unchanged."""

from __future__ import annotations

import pytest

pytest.importorskip("aws_cdk")  # the deploy tooling is a dev dependency

from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

from deploy.cdk.monitoring import MonitoredResources, Monitoring, alarm_dimensions
from ops.alarms import ALARMS, ALARMS_BY_ID

RESOURCES = MonitoredResources(
    dlq_name="frgm-test-dlq",
    history_table="frgm-test-history",
    state_cluster="frgm-test-state",
    load_balancer="app/frgm-test-web/50dc6c495c0c9188",
    target_group="targetgroup/frgm-test-web/73e2d6bc24d8a067",
)


@pytest.fixture(scope="module")
def template() -> Template:
    stack = Stack(App(), "test")
    Monitoring(
        stack, "Monitoring", env_name="test", resources=RESOURCES, alarm_name_prefix="frgm-test-"
    )
    return Template.from_stack(stack)


def test_there_is_one_cloudwatch_alarm_per_definition(template: Template) -> None:
    template.resource_count_is("AWS::CloudWatch::Alarm", len(ALARMS))


def test_an_alarm_keeps_its_threshold_period_and_missing_data_rule(template: Template) -> None:
    scheduler = ALARMS_BY_ID["scheduler-not-running"]
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "frgm-test-scheduler-not-running",
            "MetricName": "SchedulerHeartbeat",
            "Namespace": "FRGM/Health",
            "Threshold": scheduler.threshold,
            "Period": scheduler.period_s,
            "EvaluationPeriods": scheduler.evaluation_periods,
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
            "AlarmName": "frgm-test-dlq-not-empty",
            "Dimensions": [{"Name": "QueueName", "Value": "frgm-test-dlq"}],
        },
    )


def test_percentile_alarms_use_extended_statistics(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "frgm-test-e2e-latency-high",
            "ExtendedStatistic": "p95",
        },
    )


def test_critical_and_warning_alarms_go_to_different_topics(template: Template) -> None:
    template.resource_count_is("AWS::SNS::Topic", 2)


@pytest.mark.parametrize(
    ("alarm_name", "metric", "dimensions"),
    [
        (
            "frgm-test-redis-memory-high",
            "DatabaseMemoryUsagePercentage",
            {"ClusterName": "frgm-test-state"},
        ),
        ("frgm-test-redis-evictions", "Evictions", {"ClusterName": "frgm-test-state"}),
        (
            "frgm-test-dynamodb-throttling",
            "WriteThrottleEvents",
            {"TableName": "frgm-test-history"},
        ),
        (
            "frgm-test-web-targets-unhealthy",
            "UnHealthyHostCount",
            {
                "LoadBalancer": "app/frgm-test-web/50dc6c495c0c9188",
                "TargetGroup": "targetgroup/frgm-test-web/73e2d6bc24d8a067",
            },
        ),
    ],
)
def test_aws_metrics_carry_the_deployed_resources_as_dimensions(
    template: Template, alarm_name: str, metric: str, dimensions: dict[str, str]
) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": alarm_name,
            "MetricName": metric,
            "Dimensions": Match.array_equals(
                [{"Name": k, "Value": v} for k, v in sorted(dimensions.items())]
            ),
        },
    )


def test_a_resource_without_a_deployed_name_stops_the_synth() -> None:
    alarm = ALARMS_BY_ID["redis-evictions"]
    with pytest.raises(ValueError, match="no deployed name for FRGM_STATE_CLUSTER"):
        alarm_dimensions(alarm, {})
