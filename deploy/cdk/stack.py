"""One environment's whole system in one stack, built from the unit constructs."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack, Tags
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from deploy.cdk.data import MAX_RECEIVES, QUEUE_VISIBILITY_S, Data
from deploy.cdk.environments import DeployContext, EnvironmentProps
from deploy.cdk.messaging import Messaging
from deploy.cdk.monitoring import Alerting, MonitoredResources, Monitoring, Notify, RunningService
from deploy.cdk.network import REDIS_PORT, Network
from deploy.cdk.runtime import AppRuntime, log_retention
from deploy.cdk.scheduler import Scheduler
from deploy.cdk.web import Web
from deploy.cdk.worker import Worker, running_tasks_metric


class FrgmStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: EnvironmentProps,
        context: DeployContext,
        image: ecs.ContainerImage,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        env = props.name
        self.props = props
        Tags.of(self).add("frgm:env", env)
        alarm_name_prefix = f"frgm-{env}-"  # dev and prod may share an account
        self.network = network = Network(self, "Network", props=props)
        self.data = data = Data(self, "Data", props=props, network=network)
        self.messaging = messaging = Messaging(self, "Messaging", props=props, network=network)
        self.django_secret = django_secret = secretsmanager.Secret(
            self,
            "DjangoSecretKey",
            secret_name=f"frgm-{env}/django-secret-key",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=64
            ),
        )
        runtime = AppRuntime(
            image=image,
            env_name=env,
            log_retention=log_retention(props.log_retention_days),
            environment=app_environment(
                props=props,
                context=context,
                network=network,
                data=data,
                messaging=messaging,
                alarm_name_prefix=alarm_name_prefix,
            ),
            secrets=app_secrets(data=data, messaging=messaging, django_secret=django_secret),
        )
        self.exec_logs = logs.LogGroup(
            self, "ExecLogs", retention=log_retention(props.log_retention_days)
        )
        cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=f"frgm-{env}",
            vpc=network.vpc,
            enable_fargate_capacity_providers=True,  # the worker's Spot tasks
            # The running-task alarms and the worker's backlog per task read its metrics.
            container_insights_v2=ecs.ContainerInsights.ENABLED,
            # Who ran what through ECS Exec (the runbooks' way in), kept like the app's logs.
            execute_command_configuration=ecs.ExecuteCommandConfiguration(
                logging=ecs.ExecuteCommandLogging.OVERRIDE,
                log_configuration=ecs.ExecuteCommandLogConfiguration(
                    cloud_watch_log_group=self.exec_logs,
                ),
            ),
        )
        self.web = Web(
            self,
            "Web",
            runtime=runtime,
            size=props.web,
            cluster=cluster,
            network=network,
            certificate_arn=context.certificate_arn,
        )
        self.worker = Worker(
            self,
            "Worker",
            runtime=runtime,
            size=props.worker,
            cluster=cluster,
            network=network,
            queue=data.queue,
        )
        self.scheduler = Scheduler(
            self,
            "Scheduler",
            runtime=runtime,
            size=props.scheduler,
            cluster=cluster,
            network=network,
            alarm_name_prefix=alarm_name_prefix,
        )
        self._grants(data=data, web=self.web, worker=self.worker)

        self.monitoring = Monitoring(
            self,
            "Monitoring",
            env_name=env,
            resources=MonitoredResources(
                dlq_name=data.dlq.queue_name,
                history_table=data.table.table_name,
                state_cluster=data.state_cluster.cluster_name,
                load_balancer=self.web.load_balancer.load_balancer_full_name,
                target_group=self.web.target_group.target_group_full_name,
            ),
            alarm_name_prefix=alarm_name_prefix,
        )
        services = (
            RunningService(
                alarm_id="web-tasks-not-running",
                title="Web service has no running task",
                cluster_name=f"frgm-{env}",  # literal: the dimension must be the name
                service_name=f"frgm-{env}-web",
                runbook="web-unhealthy-rollback",
            ),
            RunningService(
                alarm_id="worker-tasks-not-running",
                title="Worker service has no running task",
                cluster_name=f"frgm-{env}",
                service_name=f"frgm-{env}-worker",
                runbook="worker-down",
            ),
            RunningService(
                alarm_id="scheduler-tasks-not-running",
                title="Scheduler service has no running task",
                cluster_name=f"frgm-{env}",
                service_name=f"frgm-{env}-scheduler",
                runbook="scheduler-down",
            ),
        )
        self.alerting = Alerting(
            self,
            "Alerting",
            env_name=env,
            monitoring=self.monitoring,
            services=services,
            notify=Notify(
                alarm_email=context.alarm_email,
                slack_workspace_id=context.slack_workspace_id,
                slack_channel_id=context.slack_channel_id,
                monthly_budget_usd=context.monthly_budget_usd,
            ),
            dashboard_widgets=dashboard_widgets(
                data=data, web=self.web, services=services, cluster_name=cluster.cluster_name
            ),
        )
        self._outputs(context=context, data=data, cluster=cluster)

    @property
    def availability_zones(self) -> list[str]:
        """The props' AZs: the stack never asks AWS which exist (synth stays offline)."""
        return list(self.props.availability_zones)

    def _grants(self, *, data: Data, web: Web, worker: Worker) -> None:
        """Least privilege, each statement on named resources."""
        web_role = web.task_definition.task_role
        worker_role = worker.task_definition.task_role
        # web: history charts read the table; the ops pages count the DLQ and peek at
        # its messages (visibility 0: ops/services.py). The redrive runs on the worker.
        data.table.grant_read_data(web_role)
        web_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
                resources=[data.dlq.queue_arn],
            )
        )
        # The ops page hands on-call a presigned link to a quarantined file (ops/views.py):
        # the link carries the web task's permission to read it.
        web_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[data.bucket.arn_for_objects(f"{p}*") for p in data.feed_prefixes],
            )
        )
        # worker: reads feed files (and lists them for replay), consumes the queue,
        # writes and reads history (rebuild reads it), redrives the DLQ. Its metrics
        # are EMF lines in its log: no API.
        worker_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[data.bucket.arn_for_objects(f"{p}*") for p in data.feed_prefixes],
            )
        )
        worker_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket", "s3:ListBucketVersions"],
                resources=[data.bucket.bucket_arn],
            )
        )
        worker_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sqs:GetQueueUrl",
                    "sqs:GetQueueAttributes",
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                ],
                resources=[data.queue.queue_arn],
            )
        )
        # The DLQ redrive task (ops/redrive.py): SQS's own move task, which acts with
        # the caller's permissions on both queues (receive and delete on the DLQ,
        # send to the queue), and its progress.
        worker_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sqs:GetQueueUrl",
                    "sqs:GetQueueAttributes",
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:StartMessageMoveTask",
                    "sqs:ListMessageMoveTasks",
                ],
                resources=[data.dlq.queue_arn],
            )
        )
        worker_role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[data.queue.queue_arn])
        )
        data.table.grant_read_write_data(worker_role)
        # scheduler: CloudWatch only (monitoring grants it in scheduler.py); its health
        # metrics come from Redis and the database.

    def _outputs(self, *, context: DeployContext, data: Data, cluster: ecs.Cluster) -> None:
        """What the runbooks and the feed server need, by the names the docs use."""
        outputs = {
            "SiteUrl": f"https://{context.domain_name}",
            "LoadBalancerDns": self.web.load_balancer.load_balancer_dns_name,
            "FeedBucket": data.bucket.bucket_name,
            "FeedPrefixes": ",".join(data.feed_prefixes),
            "FeedServerUser": data.feed_server.user_name,
            "FeedQueue": data.queue.queue_name,
            "FeedDlq": data.dlq.queue_name,
            "HistoryTable": data.table.table_name,
            "StateCluster": data.state_cluster.cluster_name,
            "ClusterName": cluster.cluster_name,
            "WebService": self.web.service.service_name,
            "WorkerService": self.worker.service.service_name,
            "SchedulerService": self.scheduler.service.service_name,
            "WorkerTaskDefinition": self.worker.task_definition.family,
            "PrivateSubnets": ",".join(s.subnet_id for s in cluster.vpc.private_subnets),
            "AppSecurityGroup": self.web.service.connections.security_groups[0].security_group_id,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)


def app_environment(
    *,
    props: EnvironmentProps,
    context: DeployContext,
    network: Network,
    data: Data,
    messaging: Messaging,
    alarm_name_prefix: str,
) -> dict[str, str]:
    """The plain settings every container gets (frgm_site/settings.py reads them)."""
    return {
        "FRGM_ENV": "prod",
        "DJANGO_ALLOWED_HOSTS": context.domain_name,
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{context.domain_name}",
        "FRGM_PUBLIC_URL": f"https://{context.domain_name}",
        "FRGM_TRUSTED_PROXIES": network.trusted_proxies,
        "AWS_REGION": context.region,
        "FRGM_FEED_BUCKET": data.bucket.bucket_name,
        "FRGM_FEED_QUEUE": data.queue.queue_name,
        "FRGM_FEED_DLQ": data.dlq.queue_name,
        "FRGM_FEED_MAX_RECEIVES": str(MAX_RECEIVES),
        "FRGM_CONSUMER_VISIBILITY_S": str(QUEUE_VISIBILITY_S),
        "FRGM_HISTORY_TABLE": data.table.table_name,
        "FRGM_HISTORY_RETENTION_DAYS": str(props.history_retention_days),
        "FRGM_ALARM_PREFIX": alarm_name_prefix,
        "FRGM_STATE_REDIS_HOST": data.state_endpoint,
        "FRGM_STATE_REDIS_PORT": str(REDIS_PORT),
        "FRGM_MESSAGING_REDIS_HOST": messaging.endpoint,
        "FRGM_MESSAGING_REDIS_PORT": str(REDIS_PORT),
    }


def app_secrets(
    *, data: Data, messaging: Messaging, django_secret: secretsmanager.ISecret
) -> dict[str, ecs.Secret]:
    """Every secret as an ECS secret (never a plain value); the JSON secrets AWS
    generates arrive field by field."""
    db = data.database_secret
    return {
        "DJANGO_SECRET_KEY": ecs.Secret.from_secrets_manager(django_secret),
        "DATABASE_HOST": ecs.Secret.from_secrets_manager(db, field="host"),
        "DATABASE_PORT": ecs.Secret.from_secrets_manager(db, field="port"),
        "DATABASE_NAME": ecs.Secret.from_secrets_manager(db, field="dbname"),
        "DATABASE_USER": ecs.Secret.from_secrets_manager(db, field="username"),
        "DATABASE_PASSWORD": ecs.Secret.from_secrets_manager(db, field="password"),
        "FRGM_STATE_REDIS_USER": ecs.Secret.from_secrets_manager(
            data.state_secret, field="username"
        ),
        "FRGM_STATE_REDIS_PASSWORD": ecs.Secret.from_secrets_manager(
            data.state_secret, field="password"
        ),
        "FRGM_MESSAGING_REDIS_PASSWORD": ecs.Secret.from_secrets_manager(messaging.auth_secret),
    }


def dashboard_widgets(
    *, data: Data, web: Web, services: tuple[RunningService, ...], cluster_name: str
) -> list[cloudwatch.IWidget]:
    minute = Duration.minutes(1)
    alb = web.load_balancer.metrics
    return [
        cloudwatch.GraphWidget(
            title="Feed queue",
            left=[
                data.queue.metric_approximate_number_of_messages_visible(period=minute),
                data.dlq.metric_approximate_number_of_messages_visible(period=minute),
            ],
            right=[data.queue.metric_approximate_age_of_oldest_message(period=minute)],
        ),
        cloudwatch.GraphWidget(
            title="Running tasks",
            left=[
                running_tasks_metric(cluster_name=cluster_name, service_name=s.service_name)
                for s in services
            ],
        ),
        cloudwatch.GraphWidget(
            title="Web",
            left=[
                alb.request_count(period=minute),
                alb.http_code_elb(code=elbv2.HttpCodeElb.ELB_5XX_COUNT, period=minute),
            ],
            right=[alb.target_response_time(period=minute)],
        ),
        cloudwatch.GraphWidget(
            title="History writes",
            left=[data.table.metric_consumed_write_capacity_units(period=minute)],
        ),
        cloudwatch.GraphWidget(
            title="End-to-end latency (p95)",
            left=[
                cloudwatch.Metric(
                    namespace="FRGM/Ingest", metric_name="EndToEndLatency", statistic="p95"
                )
            ],
        ),
    ]
