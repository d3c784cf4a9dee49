"""Monitoring: the CloudWatch alarms from ops.alarms (the one place alarms are
defined) plus one per service that has no running task, an SNS topic per severity
(e-mail as the fallback when Slack is down), Slack through AWS Chatbot, a
dashboard and the monthly budget."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
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
        self.pager = sns.Topic(self, "Pager", topic_name=f"frgm-{env_name}-pager", enforce_ssl=True)
        self.channel = sns.Topic(
            self, "Channel", topic_name=f"frgm-{env_name}-alarms", enforce_ssl=True
        )
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


@dataclass(frozen=True, kw_only=True)
class RunningService:
    """A service whose last running task stopping must page: its alarm and runbook."""

    alarm_id: str  # web-not-running ...
    title: str
    cluster_name: str
    service_name: str
    runbook: str


@dataclass(frozen=True, kw_only=True)
class Notify:
    """Where alarms go, from CDK context."""

    alarm_email: str
    slack_workspace_id: str
    slack_channel_id: str
    monthly_budget_usd: int


def service_running_alarm(
    scope: Construct, *, service: RunningService, alarm_name_prefix: str, topic: sns.ITopic
) -> cloudwatch.Alarm:
    """Fewer than one running task for two minutes, or no data at all (the service or
    Container Insights gone): the service is down."""
    metric = cloudwatch.Metric(
        namespace="ECS/ContainerInsights",
        metric_name="RunningTaskCount",
        dimensions_map={"ClusterName": service.cluster_name, "ServiceName": service.service_name},
        statistic="Minimum",
        period=Duration.minutes(1),
    )
    alarm = cloudwatch.Alarm(
        scope,
        service.alarm_id,
        alarm_name=f"{alarm_name_prefix}{service.alarm_id}",
        alarm_description=f"{service.title}. Runbook: /ops/runbooks/{service.runbook}/",
        metric=metric,
        threshold=1,
        comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluation_periods=2,
        treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
    )
    alarm.add_alarm_action(actions.SnsAction(topic))
    alarm.add_ok_action(actions.SnsAction(topic))
    return alarm


class Alerting(Construct):
    """The people side of monitoring: the running-task alarms, e-mail, Slack through
    AWS Chatbot, the dashboard and the budget."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        monitoring: Monitoring,
        services: tuple[RunningService, ...],
        notify: Notify,
        dashboard_widgets: list[cloudwatch.IWidget],
    ) -> None:
        super().__init__(scope, construct_id)
        topics = (monitoring.pager, monitoring.channel)
        self.running_alarms = {
            service.alarm_id: service_running_alarm(
                self,
                service=service,
                alarm_name_prefix=monitoring.alarm_name_prefix,
                topic=monitoring.pager,
            )
            for service in services
        }
        for topic in topics:  # the fallback when Slack (or Chatbot) is down
            topic.add_subscription(subscriptions.EmailSubscription(notify.alarm_email))
        self.slack = chatbot.SlackChannelConfiguration(
            self,
            "Slack",
            slack_channel_configuration_name=f"frgm-{env_name}-alarms",
            slack_workspace_id=notify.slack_workspace_id,
            slack_channel_id=notify.slack_channel_id,
            notification_topics=list(topics),
            logging_level=chatbot.LoggingLevel.ERROR,
            # Chatbot only relays notifications: no Slack command may touch the account.
            guardrail_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess")],
        )
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"frgm-{env_name}", widgets=[dashboard_widgets]
        )
        # Budgets publish to the channel topic (and Slack from there) and e-mail.
        monitoring.channel.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                resources=[monitoring.channel.topic_arn],
            )
        )
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"frgm-{env_name}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(
                    amount=notify.monthly_budget_usd, unit="USD"
                ),
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type="ACTUAL",
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[
                        budgets.CfnBudget.SubscriberProperty(
                            subscription_type="EMAIL", address=notify.alarm_email
                        ),
                        budgets.CfnBudget.SubscriberProperty(
                            subscription_type="SNS", address=monitoring.channel.topic_arn
                        ),
                    ],
                )
                for percent in (80, 100)
            ],
        )
