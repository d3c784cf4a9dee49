"""The web service: uvicorn on Fargate behind an internet-facing ALB (HTTPS only,
HTTP redirects), with Django's migrations run before a new version takes traffic."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from constructs import Construct

from deploy.cdk.environments import ServiceSize
from deploy.cdk.network import WEB_PORT, Network
from deploy.cdk.runtime import AppRuntime

# The ops page and the ladder keep a websocket open; the server pushes every few
# seconds, so a quiet minute means a dead client. Long enough never to cut a live one.
IDLE_TIMEOUT_S = 300
DEREGISTRATION_DELAY_S = 30
# Pages and websocket pushes share a small task: add one before pushes queue up.
WEB_CPU_TARGET_PERCENT = 60  # uvicorn's graceful shutdown is 10 s (Dockerfile)


class Web(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: AppRuntime,
        size: ServiceSize,
        cluster: ecs.ICluster,
        network: Network,
        certificate_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        env = runtime.env_name
        log_group = logs.LogGroup(self, "Logs", retention=runtime.log_retention)
        task = ecs.FargateTaskDefinition(
            self, "Task", family=f"frgm-{env}-web", cpu=size.cpu, memory_limit_mib=size.memory_mib
        )
        # Each new task migrates first; the web container starts only when that
        # succeeded, so no version serves against a schema older than its code.
        # Migrations are written to be safe for the version still running.
        migrate = task.add_container(
            "migrate",
            image=runtime.image,
            command=["migrate"],  # python -m frgm_site.container migrate (the image's entry)
            essential=False,
            environment=dict(runtime.environment),
            secrets=dict(runtime.secrets),
            logging=ecs.LogDriver.aws_logs(stream_prefix="migrate", log_group=log_group),
        )
        self.container = task.add_container(
            "web",
            image=runtime.image,  # the image's CMD, "web": uvicorn behind the ALB
            environment=dict(runtime.environment),
            secrets=dict(runtime.secrets),
            port_mappings=[ecs.PortMapping(container_port=WEB_PORT)],
            logging=ecs.LogDriver.aws_logs(stream_prefix="web", log_group=log_group),
        )
        self.container.add_container_dependencies(
            ecs.ContainerDependency(
                container=migrate, condition=ecs.ContainerDependencyCondition.SUCCESS
            )
        )
        self.task_definition = task
        self.service = ecs.FargateService(
            self,
            "Service",
            service_name=f"frgm-{env}-web",
            cluster=cluster,
            task_definition=task,
            desired_count=size.desired,
            min_healthy_percent=100,
            max_healthy_percent=200,
            vpc_subnets=network.private_subnets,
            security_groups=[network.app_group],
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            health_check_grace_period=Duration.seconds(120),
            enable_execute_command=True,  # the runbooks' ECS Exec
        )
        if size.max_tasks and size.max_tasks > size.desired:
            self.service.auto_scale_task_count(
                min_capacity=size.desired, max_capacity=size.max_tasks
            ).scale_on_cpu_utilization(
                "Cpu",
                target_utilization_percent=WEB_CPU_TARGET_PERCENT,
                scale_in_cooldown=Duration.minutes(5),
                scale_out_cooldown=Duration.minutes(1),
            )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            load_balancer_name=f"frgm-{env}-web",
            vpc=network.vpc,
            internet_facing=True,
            security_group=network.alb_group,
            idle_timeout=Duration.seconds(IDLE_TIMEOUT_S),
            drop_invalid_header_fields=True,
        )
        self.load_balancer.add_redirect(source_port=80, target_port=443)
        listener = self.load_balancer.add_listener(
            "Https",
            port=443,
            open=False,  # the ALB's security group already admits 443 from anywhere
            certificates=[
                acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
            ],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
        )
        self.target_group = listener.add_targets(
            "Web",
            target_group_name=f"frgm-{env}-web",
            port=WEB_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.service.load_balancer_target(container_name="web")],
            deregistration_delay=Duration.seconds(DEREGISTRATION_DELAY_S),
            health_check=elbv2.HealthCheck(
                path="/healthz",
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )
