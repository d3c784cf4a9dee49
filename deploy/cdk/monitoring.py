"""CloudWatch alarms from ops.alarms: the one place alarms are defined."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from ops.alarms import ALARMS, CLOUDWATCH_COMPARISON, AlarmDefinition, Missing, Severity

_MISSING = {
    Missing.BREACHING: cloudwatch.TreatMissingData.BREACHING,
    Missing.NOT_BREACHING: cloudwatch.TreatMissingData.NOT_BREACHING,
    Missing.MISSING: cloudwatch.TreatMissingData.MISSING,
}


@dataclass(frozen=True)
class MonitoredResources:
    """The deployed names the AWS metrics are dimensioned by (full names for the ALB's:
    ``app/<name>/<id>``, ``targetgroup/<name>/<id>``)."""

    dlq_name: str
    history_table: str
    state_cluster: str  # MemoryDB cluster name
    load_balancer: str
    target_group: str

    def by_placeholder(self) -> dict[str, str]:
        """Each name under the placeholder ops.alarms writes for it."""
        return {
            "FRGM_FEED_DLQ": self.dlq_name,
            "FRGM_HISTORY_TABLE": self.history_table,
            "FRGM_STATE_CLUSTER": self.state_cluster,
            "FRGM_LOAD_BALANCER": self.load_balancer,
            "FRGM_TARGET_GROUP": self.target_group,
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
        resources: MonitoredResources,
        alarm_name_prefix: str,
    ) -> None:
        """``alarm_name_prefix`` (frgm-<env>-) keeps environments sharing an account
        apart; the portal reads its own alarms back by it (FRGM_ALARM_PREFIX)."""
        super().__init__(scope, construct_id)
        self.alarm_name_prefix = alarm_name_prefix
        self.pager = sns.Topic(self, "Pager", topic_name=f"frgm-{env_name}-pager")
        self.channel = sns.Topic(self, "Channel", topic_name=f"frgm-{env_name}-alarms")
        names = resources.by_placeholder()
        self.alarms = {alarm.id: self._alarm(alarm, names) for alarm in ALARMS}

    def _alarm(self, alarm: AlarmDefinition, names: Mapping[str, str]) -> cloudwatch.Alarm:
        metric = cloudwatch.Metric(
            namespace=alarm.namespace,
            metric_name=alarm.metric,
            statistic=alarm.statistic,
            period=Duration.seconds(alarm.period_s),
            dimensions_map=alarm_dimensions(alarm, names) or None,
        )
        created = cloudwatch.Alarm(
            self,
            alarm.id,
            alarm_name=f"{self.alarm_name_prefix}{alarm.id}",
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


def alarm_dimensions(alarm: AlarmDefinition, names: Mapping[str, str]) -> dict[str, str]:
    """The alarm's dimensions with each placeholder replaced by the deployed name; a
    placeholder without one stops the synth (an alarm on a misnamed metric never fires)."""
    dimensions = {}
    for name, value in alarm.dimensions.items():
        if value.isupper():
            if value not in names:
                raise ValueError(f"alarm {alarm.id}: no deployed name for {value}")
            value = names[value]
        dimensions[name] = value
    return dimensions


def _screaming(camel: str) -> str:
    """GreaterThanThreshold -> GREATER_THAN_THRESHOLD, the enum's member name."""
    out = "".join(f"_{ch}" if ch.isupper() else ch.upper() for ch in camel)
    return out.lstrip("_")
