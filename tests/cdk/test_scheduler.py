"""The ops scheduler runs in AWS as its own one-task service, apart from the worker."""

from __future__ import annotations

import pytest

pytest.importorskip("aws_cdk")  # the deploy tooling is a dev dependency

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Match, Template

from deploy.cdk.app import ContextMissing, app_build
from deploy.cdk.scheduler import Scheduler
from tests.cdk.conftest import app_context


@pytest.fixture(scope="module")
def template() -> Template:
    stack = Stack(App(), "test")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    Scheduler(
        stack,
        "Scheduler",
        env_name="test",
        cluster=ecs.Cluster(stack, "Cluster", vpc=vpc),
        image=ecs.ContainerImage.from_registry("frgm-live:test"),
        subnets=vpc.private_subnets,
        security_groups=[ec2.SecurityGroup(stack, "Tasks", vpc=vpc)],
        environment={"DJANGO_ALLOWED_HOSTS": "frgm.example.com"},
        secrets={},
        alarm_name_prefix="frgm-test-",
    )
    return Template.from_stack(stack)


def test_the_scheduler_is_one_task_of_its_own_never_two(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "ServiceName": "frgm-test-scheduler",
            "DesiredCount": 1,
            "DeploymentConfiguration": Match.object_like(
                {"MaximumPercent": 100, "MinimumHealthyPercent": 0}
            ),
        },
    )


def test_it_runs_the_scheduler_command_and_mirrors_cloudwatch(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "Command": ["python", "manage.py", "ops_scheduler"],
                        "Environment": Match.array_with(
                            [
                                {"Name": "FRGM_ALARM_SOURCE", "Value": "cloudwatch"},
                                {"Name": "FRGM_ALARM_PREFIX", "Value": "frgm-test-"},
                            ]
                        ),
                        "HealthCheck": Match.object_like(
                            {"Command": ["CMD", "python", "manage.py", "ops_scheduler", "--check"]}
                        ),
                    }
                )
            ]
        },
    )


def test_it_may_read_the_alarm_states(template: Template) -> None:
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": "cloudwatch:DescribeAlarms"})]
                )
            }
        },
    )


def test_each_environment_gets_its_own_scheduler_service() -> None:
    app = app_build(app_context())
    for env_name in ("dev", "prod"):
        template = Template.from_stack(app.node.find_child(f"frgm-{env_name}"))
        template.has_resource_properties(
            "AWS::ECS::Service",
            {"ServiceName": f"frgm-{env_name}-scheduler", "Cluster": f"frgm-{env_name}"},
        )


def test_an_environment_missing_from_the_context_stops_the_synth() -> None:
    context = app_context()
    del context["frgm:prod"]["image_uri"]
    with pytest.raises(ContextMissing, match="frgm:prod misses image_uri"):
        app_build(context)


def test_it_may_turn_only_its_own_environments_alarm_actions_off_and_on(template: Template) -> None:
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "cloudwatch:DisableAlarmActions" in statement["Action"]
    ]
    [statement] = statements
    assert statement["Action"] == [
        "cloudwatch:DisableAlarmActions",
        "cloudwatch:EnableAlarmActions",
    ]
    resource = "".join(str(part) for part in statement["Resource"]["Fn::Join"][1])
    assert resource.endswith(":alarm:frgm-test-*")


def test_dev_and_prod_name_their_alarms_apart_in_one_account() -> None:
    app = app_build(app_context())
    names = {}
    for env_name in ("dev", "prod"):
        template = Template.from_stack(app.node.find_child(f"frgm-{env_name}"))
        alarms = template.find_resources("AWS::CloudWatch::Alarm").values()
        names[env_name] = {a["Properties"]["AlarmName"] for a in alarms}
        assert all(name.startswith(f"frgm-{env_name}-") for name in names[env_name])
        template.has_resource_properties(
            "AWS::ECS::TaskDefinition",
            {
                "ContainerDefinitions": [
                    Match.object_like(
                        {
                            "Environment": Match.array_with(
                                [{"Name": "FRGM_ALARM_PREFIX", "Value": f"frgm-{env_name}-"}]
                            )
                        }
                    )
                ]
            },
        )
    assert not names["dev"] & names["prod"]
