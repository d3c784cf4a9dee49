"""cdk-nag (AwsSolutions) acknowledgments: each names the rule, the resource and why
it does not apply. cdk-nag v3 acknowledges finding by finding (``IAM5[Resource::...]``),
so a new wildcard still fails the synth until someone gives it a reason here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, CfnElement, Stack, Token, Validations
from constructs import IConstruct

if TYPE_CHECKING:
    from deploy.cdk.stack import FrgmStack


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def _ref(stack: Stack, construct: IConstruct) -> str:
    """How cdk-nag spells a resource's ARN in a finding: <LogicalId.Arn>."""
    element = construct.node.default_child
    assert isinstance(element, CfnElement)
    return f"<{stack.get_logical_id(element)}.Arn>"


def _partition(stack: Stack) -> str:
    """How a finding spells the partition: a literal where the stack knows it."""
    return "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition


def nag_acknowledge(stack: FrgmStack) -> None:
    props = stack.props
    partition = _partition(stack)
    exec_logs = stack.exec_logs.node.default_child
    assert isinstance(exec_logs, CfnElement)
    acknowledge(
        stack.network.vpc,
        "AwsSolutions-VPC7",
        "No flow logs: every path in or out is a security group we define, and flow "
        "logs would cost more than the NAT traffic they record; turn on when investigating.",
    )
    acknowledge(
        stack.network.vpc,
        "CloudFormation-Validate::W3010",
        "AZs are named in deploy/cdk/environments.py so that synth never looks them up.",
    )
    for subnet in stack.network.vpc.public_subnets:
        nat = subnet.node.try_find_child("NatInstance")
        if nat is None:
            continue
        acknowledge(nat, "AwsSolutions-EC26", "Encrypted by a property override (network.py).")
        acknowledge(
            nat,
            "AwsSolutions-EC28",
            "Basic monitoring is enough: lost egress shows first in the tasks' alarms.",
        )
        acknowledge(
            nat,
            "AwsSolutions-EC29",
            "One stateless instance per AZ, recreated by a deploy; EC2 auto-recovery "
            "handles hardware. Termination protection would fail the deploy that "
            "replaces it for a new AMI.",
        )
    acknowledge(
        stack.network.alb_group,
        "AwsSolutions-EC23",
        "The ALB is the one thing the internet reaches: 443, and 80 only to redirect.",
    )
    acknowledge(
        stack.web.load_balancer,
        "AwsSolutions-ELB2",
        "No ALB access logs: the web tasks log every request with its id (JSON logs).",
    )
    bucket = stack.data.bucket
    acknowledge(
        bucket,
        "AwsSolutions-S1",
        "No server access logs: only the feed server writes and the worker reads; "
        "CloudTrail records who did what to the bucket policy.",
    )
    objects = [f"Resource::{_ref(stack, bucket)}/{p}*" for p in stack.data.feed_prefixes]
    for who, what in (
        (stack.data.feed_server, "The feed server may put any file under the feed prefixes"),
        (stack.worker.task_definition.task_role, "The worker reads any file under them"),
        (stack.web.task_definition.task_role, "On-call downloads any quarantined file"),
    ):
        for finding in objects:
            acknowledge(who, f"AwsSolutions-IAM5[{finding}]", f"{what}: keys are per file.")
    for secret in (
        stack.data.database,  # its generated secret is a child
        stack.data.state_secret,
        stack.django_secret,
        stack.messaging.auth_secret,
        stack.scheduler.heartbeat_secret,
    ):
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "Rotated by hand on the schedule the secret-rotation-overdue alarm enforces "
            "(docs/DEPLOY.md: rotating each secret); automatic rotation would restart "
            "every task without warning.",
        )
    database = stack.data.database
    acknowledge(database, "AwsSolutions-RDS11", "The default port: only the app group reaches it.")
    if not props.rds_multi_az:
        acknowledge(database, "AwsSolutions-RDS3", "dev: one AZ to save cost; prod is Multi-AZ.")
    if not props.deletion_protection:
        acknowledge(database, "AwsSolutions-RDS10", "dev: torn down at will; prod is protected.")
    if props.messaging_replicas == 0:
        acknowledge(
            stack.messaging.group,
            "AwsSolutions-AEC4",
            "dev: one node to save cost; prod has a Multi-AZ replica.",
        )
    acknowledge(
        stack.messaging.group,
        "AwsSolutions-AEC5",
        "The default port: only the app group reaches it.",
    )
    for service in (stack.web, stack.worker, stack.scheduler):
        task = service.task_definition
        acknowledge(
            task,
            "AwsSolutions-ECS2",
            "Plain settings only (names, hosts, ports); every secret is an ECS secret.",
        )
        acknowledge(
            task.obtain_execution_role(),
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken takes no resource; image pulls are scoped to the repo.",
        )
        acknowledge(
            task.task_role,
            "AwsSolutions-IAM5[Resource::*]",
            "ECS Exec's ssmmessages channel (the runbooks' way in) takes no resource"
            + ("; nor does cloudwatch:DescribeAlarms." if service is stack.scheduler else "."),
        )
        acknowledge(
            task.task_role,
            f"AwsSolutions-IAM5[Resource::arn:{partition}:logs:{stack.region}:{stack.account}"
            f":log-group:<{stack.get_logical_id(exec_logs)}>:*]",
            "ECS Exec writes a stream per session into the one exec log group.",
        )
    acknowledge(
        stack.scheduler.task_definition.task_role,
        f"AwsSolutions-IAM5[Resource::arn:{partition}:cloudwatch:{stack.region}:"
        f"{stack.account}:alarm:frgm-{props.name}-*]",
        "Only this environment's alarms, by their name prefix: a silence mutes them.",
    )
    for child in stack.node.children:  # CDK's singleton Lambdas for bucket notifications
        if child.node.id.startswith("BucketNotificationsHandler"):
            for spelling in {partition, "<AWS::Partition>"}:  # CDK joins this ARN itself
                acknowledge(
                    child,
                    f"AwsSolutions-IAM4[Policy::arn:{spelling}:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole]",
                    "CDK's own handler that writes the bucket notification; logs only.",
                )
