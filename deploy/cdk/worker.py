"""The worker service: Celery plus the S3-notification consumer (feeds/sqs_consumer.py),
scaled on the queue's backlog per task and on the age of its oldest message."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from deploy.cdk.environments import ServiceSize
from deploy.cdk.network import Network
from deploy.cdk.runtime import AppRuntime

# The image's entry runs it: python -m frgm_site.container worker (Celery, its SQS consumer)
WORKER_COMMAND = ["worker"]
# One task keeps up with a few files a second; more waiting per task than this means
# it has fallen behind. The age steps catch a backlog that builds slowly.
BACKLOG_PER_TASK = 20
OLDEST_MESSAGE_S = 30


class Worker(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: AppRuntime,
        size: ServiceSize,
        cluster: ecs.ICluster,
        network: Network,
        queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        env = runtime.env_name
        task = ecs.FargateTaskDefinition(
            self,
            "Task",
            family=f"frgm-{env}-worker",
            cpu=size.cpu,
            memory_limit_mib=size.memory_mib,
        )
        self.container = task.add_container(
            "worker",
            image=runtime.image,
            command=WORKER_COMMAND,
            environment=dict(runtime.environment),
            secrets=dict(runtime.secrets),
            logging=ecs.LogDriver.aws_logs(
                stream_prefix="worker",
                log_group=logs.LogGroup(self, "Logs", retention=runtime.log_retention),
            ),
            # A stop waits out the open long poll (FRGM_CONSUMER_WAIT_S, 20 s) and the
            # files in flight; what it holds but has not started goes back at once.
            stop_timeout=Duration.seconds(30),
            # The consumer's loops turn (a worker whose poll thread died is replaced);
            # Django's start-up makes the command take 2-4 s.
            health_check=ecs.HealthCheck(
                command=["CMD", "python", "manage.py", "worker_health"],
                interval=Duration.seconds(30),
                timeout=Duration.seconds(10),
                retries=3,
                start_period=Duration.seconds(60),
            ),
        )
        self.task_definition = task
        self.service = ecs.FargateService(
            self,
            "Service",
            service_name=f"frgm-{env}-worker",
            cluster=cluster,
            task_definition=task,
            desired_count=size.desired,
            capacity_provider_strategies=capacity_strategy(size),
            min_healthy_percent=100,
            max_healthy_percent=200,
            vpc_subnets=network.private_subnets,
            security_groups=[network.app_group],
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            enable_execute_command=True,  # the runbooks' ECS Exec
        )
        if size.max_tasks and size.max_tasks > size.desired:
            self._scaling(size=size, queue=queue, cluster_name=cluster.cluster_name)

    def _scaling(self, *, size: ServiceSize, queue: sqs.IQueue, cluster_name: str) -> None:
        scaling = self.service.auto_scale_task_count(
            min_capacity=size.desired, max_capacity=size.max_tasks or size.desired
        )
        backlog_per_task = cloudwatch.MathExpression(
            expression="visible / IF(tasks > 0, tasks, 1)",
            using_metrics={
                "visible": queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(1), statistic="Maximum"
                ),
                "tasks": running_tasks_metric(
                    cluster_name=cluster_name, service_name=self.service.service_name
                ),
            },
            label="feed messages waiting per worker task",
            period=Duration.minutes(1),
        )
        scaling.scale_on_metric(
            "Backlog",
            metric=backlog_per_task,
            scaling_steps=[
                appscaling.ScalingInterval(upper=BACKLOG_PER_TASK / 4, change=-1),
                appscaling.ScalingInterval(lower=BACKLOG_PER_TASK, change=+1),
                appscaling.ScalingInterval(lower=BACKLOG_PER_TASK * 4, change=+2),
            ],
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=Duration.minutes(2),
        )
        scaling.scale_on_metric(
            "OldestMessage",
            metric=queue.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            scaling_steps=[
                appscaling.ScalingInterval(upper=OLDEST_MESSAGE_S / 3, change=0),
                appscaling.ScalingInterval(lower=OLDEST_MESSAGE_S, change=+1),
            ],
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=Duration.minutes(2),
        )


def capacity_strategy(size: ServiceSize) -> list[ecs.CapacityProviderStrategy] | None:
    if size.on_demand_base is None:
        return None
    return [
        ecs.CapacityProviderStrategy(
            capacity_provider="FARGATE", base=size.on_demand_base, weight=0
        ),
        ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1),
    ]


def running_tasks_metric(*, cluster_name: str, service_name: str) -> cloudwatch.Metric:
    """Container Insights' count of a service's running tasks (the cluster turns it on)."""
    return cloudwatch.Metric(
        namespace="ECS/ContainerInsights",
        metric_name="RunningTaskCount",
        dimensions_map={"ClusterName": cluster_name, "ServiceName": service_name},
        statistic="Minimum",
        period=Duration.minutes(1),
    )
