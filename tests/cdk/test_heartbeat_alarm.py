"""Watching the watchers, as deployed: the scheduler's heartbeat alarm pages when its
beats stop (three minutes, missing data breaching), beside the running-task alarm a
hung scheduler would not trip, both to the critical topic that e-mails and reaches
Slack."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from deploy.cdk.environments import ENVIRONMENTS
from tests.cdk.conftest import Synthesized, resources

pytestmark = pytest.mark.parametrize("env", ENVIRONMENTS)


def _pager_ref(synthesized: Synthesized, env: str) -> dict[str, str]:
    topics = synthesized.templates[env].find_resources(
        "AWS::SNS::Topic", {"Properties": {"TopicName": f"frgm-{env}-pager"}}
    )
    [logical_id] = topics
    return {"Ref": logical_id}


def test_missing_scheduler_beats_for_three_minutes_page(synthesized: Synthesized, env: str) -> None:
    pager = _pager_ref(synthesized, env)
    synthesized.templates[env].has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": f"frgm-{env}-scheduler-not-running",
            "Namespace": "FRGM/Health",
            "MetricName": "SchedulerHeartbeat",
            "Dimensions": Match.absent(),  # the EMF beat has none
            "Statistic": "Sum",
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": 1,
            "Period": 60,
            "EvaluationPeriods": 3,  # 3 x 1 minute
            "TreatMissingData": "breaching",  # no beat at all is the failure
            "AlarmActions": [pager],
            "OKActions": [pager],
        },
    )


def test_the_running_task_alarm_stays_beside_the_heartbeat(
    synthesized: Synthesized, env: str
) -> None:
    pager = _pager_ref(synthesized, env)
    synthesized.templates[env].has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": f"frgm-{env}-scheduler-tasks-not-running",
            "MetricName": "RunningTaskCount",
            "AlarmActions": [pager],
        },
    )


def test_the_critical_topic_has_the_email_fallback_and_slack(
    synthesized: Synthesized, env: str
) -> None:
    pager = _pager_ref(synthesized, env)
    template = synthesized.raw(env)
    subscriptions = resources(template, "AWS::SNS::Subscription").values()
    assert any(
        s["Properties"]["Protocol"] == "email" and s["Properties"]["TopicArn"] == pager
        for s in subscriptions
    )
    [slack] = resources(template, "AWS::Chatbot::SlackChannelConfiguration").values()
    assert pager in slack["Properties"]["SnsTopicArns"]
