"""Watching the watchers, as deployed: the scheduler's heartbeat alarm pages when its
beats stop (three minutes, missing data breaching), beside the running-task alarm a
hung scheduler would not trip, both to the critical topic that e-mails and reaches
Slack."""

from __future__ import annotations

from typing import Any

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


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _containers(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for definition in resources(template, "AWS::ECS::TaskDefinition").values():
        for container in definition["Properties"]["ContainerDefinitions"]:
            found[container["Name"]] = {**container, "role": definition["Properties"]}
    return found


def test_the_external_heartbeat_url_reaches_the_scheduler_as_a_secret_only(
    synthesized: Synthesized, env: str
) -> None:
    template = synthesized.raw(env)
    secrets = synthesized.templates[env].find_resources(
        "AWS::SecretsManager::Secret", {"Properties": {"Name": f"frgm-{env}/heartbeat-url"}}
    )
    [secret_id] = secrets
    # Created "off" (no external heartbeat): the settings read that as unset, and
    # CloudFormation never overwrites the URL put in by hand while this stays.
    assert secrets[secret_id]["Properties"]["SecretString"] == "off"
    containers = _containers(template)
    scheduler = containers["scheduler"]
    handed = {s["Name"]: s["ValueFrom"] for s in scheduler.get("Secrets", [])}
    assert handed["FRGM_HEARTBEAT_URL"] == {"Ref": secret_id}
    assert "FRGM_HEARTBEAT_URL" not in {e["Name"] for e in scheduler.get("Environment", [])}
    # Only the scheduler pings: the other containers are never handed the URL.
    for name, container in containers.items():
        if name != "scheduler":
            assert "FRGM_HEARTBEAT_URL" not in {s["Name"] for s in container.get("Secrets", [])}
    # ECS reads it with the scheduler task's execution role, and only that role.
    readers = [
        policy
        for policy in resources(template, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if {"Ref": secret_id} in _as_list(statement["Resource"])
    ]
    [reader] = readers
    [role] = reader["Properties"]["Roles"]
    execution_role = scheduler["role"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
    assert role == {"Ref": execution_role}
