"""What makes dev and prod differ, in one place: one frozen dataclass per environment.

Everything else in ``deploy/cdk/`` is the same code for both; a construct reads
its sizes, counts and policies from here (``EnvironmentProps``), and the
account-specific values (account, region, certificate, Slack, e-mail, budget)
from CDK context (``DeployContext``). The cost model (``deploy/cdk/cost.py``)
reads the synthesized templates these props produce, so a size changed here
shows up in ``make cost``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from constructs import Construct

ENVIRONMENTS = ("dev", "prod")


@dataclass(frozen=True, kw_only=True)
class ServiceSize:
    """One ECS service: Fargate size and task counts."""

    cpu: int  # Fargate CPU units (1024 = 1 vCPU)
    memory_mib: int
    desired: int
    max_tasks: int | None = None  # None: fixed at ``desired``
    # Tasks beyond this many run on Fargate Spot (70 % cheaper, may be reclaimed with
    # two minutes' notice); None: all on demand. ECS restarts an on-demand one anywhere.
    on_demand_base: int | None = None


@dataclass(frozen=True, kw_only=True)
class EnvironmentProps:
    name: str
    cidr: str
    availability_zones: tuple[str, ...]  # explicit: synth never looks anything up
    nat_gateways: int  # tasks reach the internet (Slack, TT's API) through NAT only
    # None: managed NAT gateways ($33 a month each); an instance type: a NAT instance
    # per AZ instead ($3), same routes, EC2 auto-recovery (docs/COST.md weighs it).
    nat_instance_type: str | None
    web: ServiceSize
    worker: ServiceSize
    scheduler: ServiceSize
    memorydb_node_type: str
    memorydb_replicas: int  # per shard; prod keeps one in the other AZ
    memorydb_snapshot_days: int
    messaging_node_type: str
    messaging_replicas: int  # ElastiCache read replicas; >= 1 turns on Multi-AZ failover
    rds_instance: str  # instance class without the "db." (t4g.micro)
    rds_multi_az: bool
    rds_storage_gib: int
    rds_backup_days: int
    history_retention_days: int  # the TTL the worker writes on each DynamoDB item
    feed_object_expiry_days: int  # current versions of feed files
    noncurrent_to_ia_days: int  # old versions move to Standard-IA after this
    noncurrent_expiry_days: int
    log_retention_days: int
    retain_data: bool  # keep bucket, table, MemoryDB and RDS when the stack is deleted
    deletion_protection: bool


DEV = EnvironmentProps(
    name="dev",
    cidr="10.40.0.0/16",
    availability_zones=("us-east-1a", "us-east-1b"),
    nat_gateways=1,
    nat_instance_type="t4g.nano",
    web=ServiceSize(cpu=256, memory_mib=512, desired=1),
    worker=ServiceSize(cpu=256, memory_mib=512, desired=1, max_tasks=2),
    scheduler=ServiceSize(cpu=256, memory_mib=512, desired=1),
    memorydb_node_type="db.t4g.small",
    memorydb_replicas=0,
    memorydb_snapshot_days=1,
    messaging_node_type="cache.t4g.micro",
    messaging_replicas=0,
    rds_instance="t4g.micro",
    rds_multi_az=False,
    rds_storage_gib=20,
    rds_backup_days=1,
    history_retention_days=7,
    feed_object_expiry_days=14,
    noncurrent_to_ia_days=30,  # S3's minimum for Standard-IA
    noncurrent_expiry_days=31,
    log_retention_days=14,
    retain_data=False,
    deletion_protection=False,
)

PROD = EnvironmentProps(
    name="prod",
    cidr="10.41.0.0/16",
    availability_zones=("us-east-1a", "us-east-1b"),
    nat_gateways=2,  # one per AZ: an AZ outage keeps the other's egress
    nat_instance_type="t4g.nano",
    # Two tasks across the AZs; CPU scaling adds up to two more for a busy day.
    web=ServiceSize(cpu=256, memory_mib=1024, desired=2, max_tasks=4),
    # ~25 ms of CPU per file (docs/PERFORMANCE.md): a quarter vCPU is 10x the feed
    # rate; memory for Celery's processes. Scaling adds tasks for a backlog.
    # The second and any scaled-out worker on Spot: a reclaimed one's files come back
    # to the queue within the visibility timeout, and one task carries the feed alone.
    worker=ServiceSize(cpu=256, memory_mib=1024, desired=2, max_tasks=6, on_demand_base=1),
    scheduler=ServiceSize(cpu=256, memory_mib=512, desired=1),
    memorydb_node_type="db.t4g.small",
    memorydb_replicas=1,
    memorydb_snapshot_days=7,
    messaging_node_type="cache.t4g.micro",
    messaging_replicas=1,
    rds_instance="t4g.micro",
    rds_multi_az=True,
    rds_storage_gib=20,
    rds_backup_days=7,
    history_retention_days=30,  # charts and rebuilds; S3 keeps the files longer
    feed_object_expiry_days=60,  # replay reaches two months back
    noncurrent_to_ia_days=30,
    noncurrent_expiry_days=90,
    log_retention_days=90,
    retain_data=True,
    deletion_protection=True,
)

ENVIRONMENT_PROPS = {props.name: props for props in (DEV, PROD)}


@dataclass(frozen=True, kw_only=True)
class DeployContext:
    """One environment's account-specific values, from CDK context ``frgm:<env>``
    (cdk.json's example, or ``-c 'frgm:dev={...}'``)."""

    account: str
    region: str
    domain_name: str  # the portal's host name; its certificate is ``certificate_arn``
    certificate_arn: str
    slack_workspace_id: str
    slack_channel_id: str
    alarm_email: str
    monthly_budget_usd: int


class ContextMissing(ValueError):
    """The CDK context does not describe an environment completely."""


def deploy_context(scope: Construct, env_name: str) -> DeployContext:
    """The context of one environment only: dev never needs prod's."""
    raw: Any = scope.node.try_get_context(f"frgm:{env_name}")
    if isinstance(raw, str):
        raw = json.loads(raw)
    names = [f.name for f in fields(DeployContext)]
    if not isinstance(raw, dict):
        raise ContextMissing(f"CDK context frgm:{env_name} is not set: give an object with {names}")
    missing = [name for name in names if name not in raw]
    if missing:
        raise ContextMissing(f"CDK context frgm:{env_name} misses {', '.join(missing)}")
    values = {name: raw[name] for name in names}
    values["monthly_budget_usd"] = int(values["monthly_budget_usd"])
    return DeployContext(**values)
