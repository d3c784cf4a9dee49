"""The ops scheduler as its own small ECS service: one task, never beside the worker
it watches (``manage.py ops_scheduler``; see ``ops/scheduler.py``)."""

from __future__ import annotations

from aws_cdk import Duration, SecretValue, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from deploy.cdk.environments import ServiceSize
from deploy.cdk.network import Network
from deploy.cdk.runtime import AppRuntime

# What the heartbeat secret holds until on-call puts the external check's ping URL in
# it (docs/DEPLOY.md): the settings read "off" as no external heartbeat. Not secret.
HEARTBEAT_OFF = "off"


class Scheduler(Construct):
    """Runs the ops schedule in AWS: publishes the health metrics the CloudWatch alarms
    read and mirrors the alarms' states into the portal.

    One task: the service never starts a second while one runs (a brief overlap
    would be harmless, every write is idempotent). The container's health check
    fails when runs stop, so ECS replaces a hung task.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: AppRuntime,
        size: ServiceSize,
        cluster: ecs.ICluster,
        network: Network,
        alarm_name_prefix: str,
        evaluate_every_s: int = 15,
    ) -> None:
        super().__init__(scope, construct_id)
        env_name = runtime.env_name
        # The external dead-man's switch's ping URL (ops/heartbeat.py): a secret, since
        # anyone holding it can report "alive". The stack creates it "off"; the URL is
        # put in by hand, and CloudFormation leaves it alone while this value stays.
        self.heartbeat_secret = secretsmanager.Secret(
            self,
            "HeartbeatUrl",
            secret_name=f"frgm-{env_name}/heartbeat-url",
            description="FRGM_HEARTBEAT_URL: the scheduler's external heartbeat ping URL, or off",
            secret_string_value=SecretValue.unsafe_plain_text(HEARTBEAT_OFF),
        )
        task = ecs.FargateTaskDefinition(
            self,
            "Task",
            family=f"frgm-{env_name}-scheduler",
            cpu=size.cpu,
            memory_limit_mib=size.memory_mib,
        )
        self.task_definition = task
        self.container = task.add_container(
            "scheduler",
            image=runtime.image,
            command=["scheduler"],  # python -m frgm_site.container scheduler
            environment={
                **runtime.environment,
                "FRGM_ALARM_SOURCE": "cloudwatch",
                "FRGM_ALARM_EVALUATE_EVERY_S": str(evaluate_every_s),
                "FRGM_EMF": "1",  # its stdout is where CloudWatch reads the health metrics
                "FRGM_ALARM_PREFIX": alarm_name_prefix,  # its own environment's alarms only
            },
            secrets={
                **runtime.secrets,
                "FRGM_HEARTBEAT_URL": ecs.Secret.from_secrets_manager(self.heartbeat_secret),
            },
            logging=ecs.LogDriver.aws_logs(
                stream_prefix="scheduler",
                log_group=logs.LogGroup(self, "Logs", retention=runtime.log_retention),
            ),
            health_check=ecs.HealthCheck(
                command=["CMD", "python", "manage.py", "ops_scheduler", "--check"],
                interval=Duration.seconds(30),
                timeout=Duration.seconds(10),
                retries=3,
                start_period=Duration.seconds(60),
            ),
        )
        # DescribeAlarms is a list call: IAM scopes it to no alarm, so "*" (read-only).
        task.add_to_task_role_policy(
            iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=["*"])
        )
        stack = Stack.of(self)
        task.add_to_task_role_policy(  # a portal silence turns its alarms' actions off
            iam.PolicyStatement(
                actions=["cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"],
                resources=[
                    f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}"
                    f":alarm:{alarm_name_prefix}*"
                ],
            )
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            service_name=f"frgm-{env_name}-scheduler",
            cluster=cluster,
            task_definition=task,
            desired_count=size.desired,
            min_healthy_percent=0,
            max_healthy_percent=100,
            vpc_subnets=network.private_subnets,
            security_groups=[network.app_group],
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            enable_execute_command=True,
        )
