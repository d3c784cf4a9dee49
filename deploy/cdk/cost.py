"""The monthly AWS cost of each environment, per resource (``make cost``; docs/COST.md).

Everything sized comes from the synthesized CloudFormation templates (the same
properties the stacks use: node types, task counts and sizes, Multi-AZ, replicas,
retention), never from a second copy of them; the load comes from the feed
rates below and the DynamoDB item sizes ``feeds.history.history_items_build``
writes for the sample files. Every unit price is in ``PRICES``, with its date.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "tests" / "samples"
CDK_OUT = Path(__file__).resolve().parent / "cdk.out"

# --- unit prices: AWS us-east-1, on demand, USD; read from AWS's price pages ----------
PRICES_AS_OF = date(2026, 12, 6)
HOURS = Decimal(730)  # a month, as AWS prices it
PRICES: dict[str, Decimal] = {
    "fargate_vcpu_hour": Decimal("0.04048"),  # Linux/x86
    "fargate_gb_hour": Decimal("0.004445"),
    "fargate_spot_discount": Decimal("0.70"),  # typical in us-east-1; it moves
    "nat_hour": Decimal("0.045"),
    "nat_gb": Decimal("0.045"),  # data processed
    "public_ipv4_hour": Decimal("0.005"),  # each NAT EIP and each ALB node
    "alb_hour": Decimal("0.0225"),
    "alb_lcu_hour": Decimal("0.008"),
    "interface_endpoint_hour": Decimal("0.01"),  # per AZ
    "ec2_hour:t4g.nano": Decimal("0.0042"),  # NAT instances
    "ec2_hour:t4g.micro": Decimal("0.0084"),
    "ebs_gp3_gb_month": Decimal("0.08"),
    "data_out_gb": Decimal("0.09"),  # to the internet (browsers)
    "memorydb_valkey_node_hour:db.t4g.small": Decimal("0.0322"),
    "memorydb_valkey_node_hour:db.t4g.medium": Decimal("0.0644"),
    "memorydb_snapshot_gb_month": Decimal("0.021"),
    "elasticache_valkey_node_hour:cache.t4g.micro": Decimal("0.0128"),
    "elasticache_valkey_node_hour:cache.t4g.small": Decimal("0.0256"),
    "rds_pg_instance_hour:db.t4g.micro": Decimal("0.016"),  # Single-AZ; Multi-AZ twice
    "rds_pg_instance_hour:db.t4g.small": Decimal("0.032"),
    "rds_gp3_gb_month": Decimal("0.115"),  # Single-AZ; Multi-AZ twice
    "dynamodb_million_wru": Decimal("0.625"),  # on demand
    "dynamodb_million_rru": Decimal("0.125"),
    "dynamodb_gb_month": Decimal("0.25"),
    "dynamodb_pitr_gb_month": Decimal("0.20"),
    "s3_gb_month": Decimal("0.023"),
    "s3_thousand_put": Decimal("0.005"),
    "s3_thousand_get": Decimal("0.0004"),
    "sqs_million_requests": Decimal("0.40"),
    "secret_month": Decimal("0.40"),
    "cloudwatch_alarm_month": Decimal("0.10"),
    "cloudwatch_metric_month": Decimal("0.30"),  # custom metrics (EMF, Container Insights)
    "cloudwatch_dashboard_month": Decimal("3.00"),
    "logs_ingest_gb": Decimal("0.50"),
    "logs_store_gb_month": Decimal("0.03"),
}
FREE = ("AWS Budgets (two free)", "AWS Chatbot", "SNS e-mail (first 1,000)", "SSE-S3/SSE-SQS")


# --- the load ----------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class FeedRate:
    """One feed in production: files per second while the market trades."""

    feed: str
    files_per_s: Decimal
    rows_per_file: int | None  # None: as many as the sample has
    sample: str  # a real file (tests/samples) to size the S3 object and history items
    key: str  # its S3 key, as the feed server writes it


# CME Globex trades ZN Sunday-Friday 17:00-16:00 CT: 23 h a day, 5 days a week.
TRADING_HOURS_MONTH = Decimal(23 * 5 * 52) / 12
FEED_RATES = (
    # shared/FEEDS.md: spot risk and each TT feed every 1-2 s; ~500 rows (DESIGN.md).
    FeedRate(
        feed="spot-risk",
        files_per_s=Decimal("0.67"),
        rows_per_file=500,
        sample="actant/bav_analysis_20250721_203007.csv",
        key="actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
    ),
    FeedRate(
        feed="tt-positions",
        files_per_s=Decimal("0.67"),
        rows_per_file=None,  # the desk's positions, as TT returned them
        sample="tt/positions_response.json",
        key="tt/positions/2025-07-21/positions_20250721_203007.json",
    ),
    FeedRate(
        feed="tt-orders",
        files_per_s=Decimal("0.67"),
        rows_per_file=None,  # the desk's working orders, as TT returned them
        sample="tt/working_orders_response.json",
        key="tt/orders/2025-07-21/working_orders_20250721_203007.json",
    ),
    # a few times an hour
    FeedRate(
        feed="vtexp",
        files_per_s=Decimal(4) / 3600,
        rows_per_file=None,
        sample="actant/vtexp_20250721_203256.csv",
        key="actant/vtexp/2025-07-21/vtexp_20250721_203256.csv",
    ),
)
# Traders' browsers: websocket pushes through the ALB and out to the internet.
CLIENTS = 25
PUSH_BYTES_PER_S_PER_CLIENT = 2_000
ALB_IDLE_LCU = Decimal("0.1")  # health checks, connections and rules off hours
# Logs: each file leaves about one log line and one EMF line in the worker's log.
LOG_BYTES_PER_FILE = 1_200
LOG_BYTES_PER_TASK_HOUR = 2_000_000  # requests, health checks, scheduler runs
# EMF metrics (custom, billed each): FRGM/Ingest per file (feeds/pipeline.py _emit and
# the refused/missing counts: FilesIngested, EndToEndLatency, 6 Stage* timings,
# ParseErrors, MissingObjects) per feed and across feeds; FRGM/Health (ops/health_metrics):
# FeedStalled per watched feed, WorkerHeartbeat, SchedulerHeartbeat, SecretRotationOverdue.
INGEST_METRIC_NAMES = 10
INGEST_FEEDS = 5
EMF_METRICS = INGEST_METRIC_NAMES * (INGEST_FEEDS + 1) + 4 + 3
CONTAINER_INSIGHTS_METRICS = {"cluster": 8, "service": 11}
SQS_REQUESTS_PER_FILE = Decimal("3.2")  # send (S3), receive, delete, visibility
SQS_EMPTY_POLLS_PER_TASK_HOUR = 180  # 20 s long polls while idle
NAT_GB_MONTH = Decimal(5)  # Slack, TT's API, image pulls, AWS APIs without endpoints
STATE_STORE_GB = Decimal("0.5")  # snapshot size of the MemoryDB data
HISTORY_READS_MILLION_RRU = Decimal(1)  # charts and rebuilds


@dataclass(frozen=True)
class Line:
    resource: str
    usd: Decimal
    how: str


# --- reading the template -------------------------------------------------------------
def _of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for r in template["Resources"].values() if r["Type"] == kind]


def _container_env(template: dict[str, Any], name: str) -> str:
    values = {
        item["Value"]
        for props in _of_type(template, "AWS::ECS::TaskDefinition")
        for container in props["ContainerDefinitions"]
        for item in container.get("Environment", [])
        if item["Name"] == name
    }
    if len(values) != 1:
        raise ValueError(f"the task definitions disagree on {name}: {values}")
    return str(values.pop())


def _price(name: str) -> Decimal:
    if name not in PRICES:
        raise KeyError(f"no unit price for {name}: add it to PRICES (deploy/cdk/cost.py)")
    return PRICES[name]


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


# --- the feed load, from the samples ------------------------------------------------------
@dataclass(frozen=True)
class FeedLoad:
    feed: str
    files_month: Decimal
    object_bytes: int
    write_units_per_file: int  # both items, each rounded up to 1 KB
    stored_bytes_per_file: int


def dynamodb_item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item: attribute names plus values (numbers ~ digits / 2)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        kind, raw = next(iter(value.items()))
        if kind == "S":
            size += len(raw.encode())
        elif kind == "B":
            size += len(raw)
        elif kind == "N":
            size += math.ceil(len(raw.lstrip("-").replace(".", "")) / 2) + 1
        else:  # BOOL, NULL
            size += 1
    return size


def feed_loads(*, retention_days: int) -> list[FeedLoad]:
    """Each feed's month: files, object size and the history items feeds/history.py
    builds for its sample file, scaled to the production rows per file."""
    from feeds.derive import file_derive
    from feeds.history import history_items_build
    from feeds.parsers.registry import file_parse

    loads = []
    for rate in FEED_RATES:
        data = _sample_bytes(rate)
        derived = file_derive(file_parse(key=rate.key, data=data))
        rows = rate.rows_per_file or len(derived.rows)
        scale = Decimal(rows) / max(1, len(derived.rows))
        items = history_items_build(
            feed=derived.feed,
            trading_date=date(2025, 7, 21),
            file_time=None,
            object_key=rate.key,
            version_id="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
            rows=derived.rows,
            metrics=derived.metrics,
            attributes={"s3_event_time": "2025-07-21T20:30:07Z", "chunk": None, "chunks": None},
            retention_days=retention_days,
        )
        sizes = [dynamodb_item_bytes(items[0]) * scale, Decimal(dynamodb_item_bytes(items[1]))]
        loads.append(
            FeedLoad(
                feed=rate.feed,
                files_month=rate.files_per_s * 3600 * TRADING_HOURS_MONTH,
                object_bytes=int(len(data) * scale),
                write_units_per_file=sum(math.ceil(s / 1024) for s in sizes),
                stored_bytes_per_file=int(sum(sizes)),
            )
        )
    return loads


def _sample_bytes(rate: FeedRate) -> bytes:
    return (SAMPLES / rate.sample).read_bytes()


# --- the estimate ------------------------------------------------------------------------
def estimate(template: dict[str, Any]) -> list[Line]:
    """The month's cost of one environment's template, a line per resource."""
    lines: list[Line] = []
    add = lines.append
    hours = HOURS

    # network
    nats = len(_of_type(template, "AWS::EC2::NatGateway"))
    eips = len(_of_type(template, "AWS::EC2::EIP"))
    if nats:
        add(Line("NAT gateways", nats * hours * _price("nat_hour"), f"{nats} x 730 h"))
        add(Line("NAT data", NAT_GB_MONTH * _price("nat_gb"), f"{NAT_GB_MONTH} GB"))
    instances = _of_type(template, "AWS::EC2::Instance")
    for instance in instances:
        disk = sum(
            int(m["Ebs"].get("VolumeSize", 8)) for m in instance.get("BlockDeviceMappings", [])
        )
        add(
            Line(
                f"NAT instance {instance['AvailabilityZone']}",
                hours * _price(f"ec2_hour:{instance['InstanceType']}")
                + disk * _price("ebs_gp3_gb_month"),
                f"{instance['InstanceType']}, {disk} GB gp3",
            )
        )
    instance_ips = sum(
        1
        for instance in instances
        for nic in instance.get("NetworkInterfaces", [])
        if nic.get("AssociatePublicIpAddress")
    )
    interface = [
        e
        for e in _of_type(template, "AWS::EC2::VPCEndpoint")
        if e.get("VpcEndpointType") == "Interface"
    ]
    azs = len({s.get("AvailabilityZone") for s in _of_type(template, "AWS::EC2::Subnet")})
    add(
        Line(
            "VPC interface endpoints",
            len(interface) * azs * hours * _price("interface_endpoint_hour"),
            f"{len(interface)} x {azs} AZ",
        )
    )

    # web entry
    albs = _of_type(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    alb_nodes = sum(len(a.get("Subnets", [])) for a in albs)
    push_gb = Decimal(CLIENTS * PUSH_BYTES_PER_S_PER_CLIENT) * 3600 * TRADING_HOURS_MONTH / 10**9
    # An LCU-hour is 1 GB processed (websockets: bytes, not new connections, dominate).
    lcu_hours = push_gb + ALB_IDLE_LCU * hours
    add(
        Line(
            "ALB",
            len(albs) * (hours * _price("alb_hour") + lcu_hours * _price("alb_lcu_hour")),
            f"{len(albs)} ALB, {lcu_hours:.0f} LCU-hours",
        )
    )
    add(
        Line(
            "Public IPv4 addresses",
            (eips + instance_ips + alb_nodes) * hours * _price("public_ipv4_hour"),
            f"{eips + instance_ips} NAT + {alb_nodes} ALB nodes",
        )
    )
    add(Line("Data out to browsers", push_gb * _price("data_out_gb"), f"{push_gb:.0f} GB"))

    # ECS services
    definitions = {
        k: r["Properties"]
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::ECS::TaskDefinition"
    }
    task_hours = Decimal(0)
    for service in _of_type(template, "AWS::ECS::Service"):
        definition = definitions[service["TaskDefinition"]["Ref"]]
        vcpu = Decimal(definition["Cpu"]) / 1024
        gb = Decimal(definition["Memory"]) / 1024
        count = int(service["DesiredCount"])
        task_hours += count * hours
        on_demand = count
        for strategy in service.get("CapacityProviderStrategy", []):
            if strategy["CapacityProvider"] == "FARGATE" and not strategy.get("Weight"):
                on_demand = min(count, int(strategy.get("Base", 0)))
        spot = count - on_demand
        task_month = hours * (vcpu * _price("fargate_vcpu_hour") + gb * _price("fargate_gb_hour"))
        add(
            Line(
                f"Fargate {service['ServiceName']}",
                task_month * (on_demand + spot * (1 - _price("fargate_spot_discount"))),
                f"{count} x {vcpu} vCPU / {gb} GB" + (f", {spot} on Spot" if spot else ""),
            )
        )

    # state store, messaging, database
    for cluster in _of_type(template, "AWS::MemoryDB::Cluster"):
        nodes = int(cluster["NumShards"]) * (1 + int(cluster["NumReplicasPerShard"]))
        node = cluster["NodeType"]
        snapshots = int(cluster.get("SnapshotRetentionLimit", 0))
        add(
            Line(
                "MemoryDB (Valkey)",
                nodes * hours * _price(f"memorydb_valkey_node_hour:{node}")
                + snapshots * STATE_STORE_GB * _price("memorydb_snapshot_gb_month"),
                f"{nodes} x {node}, {snapshots} daily snapshots kept",
            )
        )
    for group in _of_type(template, "AWS::ElastiCache::ReplicationGroup"):
        nodes = int(group["NumCacheClusters"])
        node = group["CacheNodeType"]
        add(
            Line(
                "ElastiCache (Valkey)",
                nodes * hours * _price(f"elasticache_valkey_node_hour:{node}"),
                f"{nodes} x {node}",
            )
        )
    for db in _of_type(template, "AWS::RDS::DBInstance"):
        copies = 2 if db.get("MultiAZ") else 1
        klass = db["DBInstanceClass"]
        storage = int(db["AllocatedStorage"])
        add(
            Line(
                "RDS PostgreSQL",
                copies
                * (
                    hours * _price(f"rds_pg_instance_hour:{klass}")
                    + storage * _price("rds_gp3_gb_month")
                ),
                f"{klass}, {'Multi-AZ' if copies == 2 else 'Single-AZ'}, {storage} GB gp3",
            )
        )

    # history and the feed archive
    retention = int(_container_env(template, "FRGM_HISTORY_RETENTION_DAYS"))
    loads = feed_loads(retention_days=retention)
    files = sum((load.files_month for load in loads), Decimal(0))
    wru = sum((load.files_month * load.write_units_per_file for load in loads), Decimal(0))
    stored_gb = (
        sum((load.files_month * load.stored_bytes_per_file for load in loads), Decimal(0))
        * Decimal(retention)
        / 30
        / 10**9
    )
    for table in _of_type(template, "AWS::DynamoDB::Table"):
        pitr = table.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        add(
            Line(
                "DynamoDB writes",
                wru / 10**6 * _price("dynamodb_million_wru")
                + HISTORY_READS_MILLION_RRU * _price("dynamodb_million_rru"),
                f"{wru / 10**6:.1f} M WRU ({files / 10**6:.2f} M files)",
            )
        )
        add(
            Line(
                "DynamoDB storage" + (" + PITR" if pitr else ""),
                stored_gb
                * (_price("dynamodb_gb_month") + (_price("dynamodb_pitr_gb_month") if pitr else 0)),
                f"{stored_gb:.1f} GB ({retention} days TTL)",
            )
        )
    for bucket in _of_type(template, "AWS::S3::Bucket"):
        [rule] = bucket["LifecycleConfiguration"]["Rules"]
        expiry = int(rule["ExpirationInDays"])
        s3_gb = (
            sum((load.files_month * load.object_bytes for load in loads), Decimal(0))
            * Decimal(expiry)
            / 30
            / 10**9
        )
        add(
            Line(
                "S3 feed archive",
                s3_gb * _price("s3_gb_month")
                + files / 1000 * (_price("s3_thousand_put") + _price("s3_thousand_get")),
                f"{s3_gb:.1f} GB kept {expiry} days, {files / 10**6:.2f} M PUT+GET",
            )
        )
    queues = _of_type(template, "AWS::SQS::Queue")
    worker_hours = sum(
        (
            int(s["DesiredCount"]) * hours
            for s in _of_type(template, "AWS::ECS::Service")
            if s["ServiceName"].endswith("-worker")
        ),
        Decimal(0),
    )
    requests = files * SQS_REQUESTS_PER_FILE + worker_hours * SQS_EMPTY_POLLS_PER_TASK_HOUR
    add(
        Line(
            "SQS",
            (requests / 10**6 * _price("sqs_million_requests")) if queues else Decimal(0),
            f"{requests / 10**6:.1f} M requests",
        )
    )

    # operations
    secrets = len(_of_type(template, "AWS::SecretsManager::Secret"))
    add(Line("Secrets Manager", secrets * _price("secret_month"), f"{secrets} secrets"))
    alarms = len(_of_type(template, "AWS::CloudWatch::Alarm"))
    dashboards = len(_of_type(template, "AWS::CloudWatch::Dashboard"))
    add(
        Line(
            "CloudWatch alarms and dashboard",
            alarms * _price("cloudwatch_alarm_month")
            + dashboards * _price("cloudwatch_dashboard_month"),
            f"{alarms} alarms, {dashboards} dashboard",
        )
    )
    services = len(_of_type(template, "AWS::ECS::Service"))
    insights = any(
        s.get("Value") in ("enabled", "enhanced")
        for c in _of_type(template, "AWS::ECS::Cluster")
        for s in c.get("ClusterSettings", [])
    )
    metrics = EMF_METRICS + (
        CONTAINER_INSIGHTS_METRICS["cluster"] + services * CONTAINER_INSIGHTS_METRICS["service"]
        if insights
        else 0
    )
    add(
        Line(
            "CloudWatch metrics",
            metrics * _price("cloudwatch_metric_month"),
            f"{metrics} (EMF{' + Container Insights' if insights else ''})",
        )
    )
    log_days = max(
        int(g.get("RetentionInDays", 0)) for g in _of_type(template, "AWS::Logs::LogGroup")
    )
    logs_gb = (files * LOG_BYTES_PER_FILE + task_hours * LOG_BYTES_PER_TASK_HOUR) / 10**9
    add(
        Line(
            "CloudWatch Logs",
            logs_gb * _price("logs_ingest_gb")
            + logs_gb * Decimal(log_days) / 30 * _price("logs_store_gb_month"),
            f"{logs_gb:.1f} GB a month, kept {log_days} days",
        )
    )
    return [Line(line.resource, _money(Decimal(line.usd)), line.how) for line in lines]


def total(lines: Iterable[Line]) -> Decimal:
    return sum((line.usd for line in lines), Decimal(0))


def report(templates: dict[str, dict[str, Any]], *, out: Callable[[str], None] = print) -> None:
    out(f"FRGM Live: monthly AWS estimate, USD (us-east-1 on-demand prices of {PRICES_AS_OF})")
    for env, template in templates.items():
        lines = estimate(template)
        out(f"\n{env}")
        for line in lines:
            out(f"  {line.resource:<34} {line.usd:>9}   {line.how}")
        out(f"  {'total':<34} {total(lines):>9}")
    out(f"\nNot charged: {', '.join(FREE)}. Prices and load: deploy/cdk/cost.py; docs/COST.md.")


def templates_load(outdir: Path = CDK_OUT) -> dict[str, dict[str, Any]]:
    return {
        env: json.loads((outdir / f"frgm-{env}.template.json").read_text())
        for env in ("dev", "prod")
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frgm_site.settings")
    import django

    django.setup()  # the parsers and feeds.history read settings
    from deploy.cdk.app import app_build, example_context

    # The templates `make synth` writes, made fresh so they match the code.
    app_build({**example_context(), "aws:cdk:disable-asset-staging": True}, str(CDK_OUT)).synth()
    report(templates_load())


if __name__ == "__main__":
    main()
