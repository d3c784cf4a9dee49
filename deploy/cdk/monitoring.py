"""CloudWatch alarms from ops.alarms: the one place alarms are defined."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from ops.alarms import ALARMS, CLOUDWATCH_COMPARISON, AlarmDefinition, Missing, Severity

ALARM_PREFIX = "frgm-"  # ops.cloudwatch reads alarms back by this prefix
_MISSING = {
    Missing.BREACHING: cloudwatch.TreatMissingData.BREACHING,
    Missing.NOT_BREACHING: cloudwatch.TreatMissingData.NOT_BREACHING,
    Missing.MISSING: cloudwatch.TreatMissingData.MISSING,
}


class Monitoring(Construct):
    """One CloudWatch alarm per definition; critical ones to the pager topic, the rest
    to the channel topic; both go to Slack through AWS Chatbot (wired by the deploy)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        dimension_values: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.pager = sns.Topic(self, "Pager", topic_name=f"frgm-{env_name}-pager")
        self.channel = sns.Topic(self, "Channel", topic_name=f"frgm-{env_name}-alarms")
        self.alarms = {alarm.id: self._alarm(alarm, dimension_values) for alarm in ALARMS}

    def _alarm(
        self, alarm: AlarmDefinition, dimension_values: Mapping[str, str]
    ) -> cloudwatch.Alarm:
        # A dimension value may name a setting (FRGM_FEED_DLQ): the deploy supplies it.
        dimensions = {
            name: dimension_values.get(value, value) for name, value in alarm.dimensions.items()
        }
        metric = cloudwatch.Metric(
            namespace=alarm.namespace,
            metric_name=alarm.metric,
            statistic=alarm.statistic,
            period=Duration.seconds(alarm.period_s),
            dimensions_map=dimensions or None,
        )
        created = cloudwatch.Alarm(
            self,
            alarm.id,
            alarm_name=f"{ALARM_PREFIX}{alarm.id}",
            alarm_description=f"{alarm.title}. Runbook: /ops/runbooks/{alarm.runbook}/",
            metric=metric,
            threshold=alarm.threshold,
            comparison_operator=cloudwatch.ComparisonOperator(
                _screaming(CLOUDWATCH_COMPARISON[alarm.comparison])
            ),
            evaluation_periods=alarm.evaluation_periods,
            treat_missing_data=_MISSING[alarm.missing],
        )
        topic = self.pager if alarm.severity is Severity.CRITICAL else self.channel
        created.add_alarm_action(actions.SnsAction(topic))
        created.add_ok_action(actions.SnsAction(topic))
        return created


def _screaming(camel: str) -> str:
    """GreaterThanThreshold -> GREATER_THAN_THRESHOLD, the enum's member name."""
    out = "".join(f"_{ch}" if ch.isupper() else ch.upper() for ch in camel)
    return out.lstrip("_")
