"""The CDK app: one stack per environment. Differences are properties, not branches.

cd deploy/cdk && npx cdk synth   (or: python -m deploy.cdk.app from the repo root)

What a stack runs beside (the VPC, the ECS cluster, the image, the app's
settings and secrets) the deploy names in CDK context, one JSON object per
environment under ``frgm:<env>`` (cdk.json's "context", or ``-c``); see
``DeployTarget`` for its keys. A missing key stops the synth and names it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from deploy.cdk.monitoring import MonitoredResources, Monitoring
from deploy.cdk.scheduler import Scheduler

ENVIRONMENTS = ("dev", "prod")


@dataclass(frozen=True)
class DeployTarget:
    """One environment's surroundings, created by the deploy beside this stack."""

    vpc_id: str
    availability_zones: list[str]
    private_subnet_ids: list[str]
    app_security_group_id: str  # the app tasks' group: reaches RDS, MemoryDB, ElastiCache
    cluster_name: str  # the ECS cluster web and worker run in
    image_uri: str  # the portal's image (Dockerfile), with its tag
    state_cluster: str  # the MemoryDB cluster (the state store)
    load_balancer: str  # the web ALB's full name, app/<name>/<id>
    target_group: str  # the web target group's full name, targetgroup/<name>/<id>
    environment: dict[str, str]  # the app's plain settings, as web and worker get them
    secrets: dict[str, str]  # setting name -> Secrets Manager ARN (DATABASE_URL, ...)


class ContextMissing(ValueError):
    """The CDK context does not describe an environment completely."""


def deploy_target(app: Construct, env_name: str) -> DeployTarget:
    raw: Any = app.node.try_get_context(f"frgm:{env_name}")
    if isinstance(raw, str):
        raw = json.loads(raw)
    names = [f.name for f in fields(DeployTarget)]
    if not isinstance(raw, dict):
        raise ContextMissing(f"CDK context frgm:{env_name} is not set: give an object with {names}")
    missing = [name for name in names if name not in raw]
    if missing:
        raise ContextMissing(f"CDK context frgm:{env_name} misses {', '.join(missing)}")
    return DeployTarget(**{name: raw[name] for name in names})


class FrgmStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        target: DeployTarget,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        names = {
            "FRGM_FEED_DLQ": f"frgm-{env_name}-feed-events-dlq",
            "FRGM_HISTORY_TABLE": f"frgm-{env_name}-history",
        }
        alarm_name_prefix = f"frgm-{env_name}-"  # dev and prod may share an account
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            env_name=env_name,
            resources=MonitoredResources(
                dlq_name=names["FRGM_FEED_DLQ"],
                history_table=names["FRGM_HISTORY_TABLE"],
                state_cluster=target.state_cluster,
                load_balancer=target.load_balancer,
                target_group=target.target_group,
            ),
            alarm_name_prefix=alarm_name_prefix,
        )
        vpc = ec2.Vpc.from_vpc_attributes(
            self,
            "Vpc",
            vpc_id=target.vpc_id,
            availability_zones=target.availability_zones,
            private_subnet_ids=target.private_subnet_ids,
        )
        self.scheduler = Scheduler(
            self,
            "Scheduler",
            env_name=env_name,
            cluster=ecs.Cluster.from_cluster_attributes(
                self, "Cluster", cluster_name=target.cluster_name, vpc=vpc
            ),
            image=ecs.ContainerImage.from_registry(target.image_uri),
            subnets=vpc.private_subnets,
            security_groups=[
                ec2.SecurityGroup.from_security_group_id(
                    self, "AppTasks", target.app_security_group_id
                )
            ],
            environment={**target.environment, **names},
            secrets={
                setting: ecs.Secret.from_secrets_manager(
                    secretsmanager.Secret.from_secret_complete_arn(self, f"Secret{setting}", arn)
                )
                for setting, arn in target.secrets.items()
            },
            alarm_name_prefix=alarm_name_prefix,
        )


def app_build(context: dict[str, Any] | None = None) -> cdk.App:
    app = cdk.App(context=context)
    for env_name in ENVIRONMENTS:
        FrgmStack(app, f"frgm-{env_name}", env_name=env_name, target=deploy_target(app, env_name))
    return app


if __name__ == "__main__":
    app_build().synth()
