"""The cost model reads the synthesized stacks: a property that changes the bill
changes the estimate, and prod stays within the $300 target."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal
from typing import Any

import pytest

from deploy.cdk.cost import estimate, feed_loads, report, total
from deploy.cdk.environments import PROD, EnvironmentProps, ServiceSize
from tests.cdk.conftest import Synthesized

Template = dict[str, Any]


def _each(template: Template, kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def _service(
    role: str, change: Callable[[dict[str, Any], dict[str, Any]], None]
) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        for service in _each(template, "AWS::ECS::Service"):
            if service["ServiceName"].endswith(f"-{role}"):
                definition = template["Resources"][service["TaskDefinition"]["Ref"]]
                change(service, definition["Properties"])

    return mutate


def _set(kind: str, key: str, value: Any) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        for props in _each(template, kind):
            props[key] = value

    return mutate


def _history_days(days: str) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        for definition in _each(template, "AWS::ECS::TaskDefinition"):
            for container in definition["ContainerDefinitions"]:
                for item in container.get("Environment", []):
                    if item["Name"] == "FRGM_HISTORY_RETENTION_DAYS":
                        item["Value"] = days

    return mutate


def _drop_one(kind: str) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        name = next(k for k, r in template["Resources"].items() if r["Type"] == kind)
        del template["Resources"][name]

    return mutate


def _alb_subnets(template: Template) -> None:
    for alb in _each(template, "AWS::ElasticLoadBalancingV2::LoadBalancer"):
        alb["Subnets"] = alb["Subnets"][:1]


def _expiry(template: Template) -> None:
    for bucket in _each(template, "AWS::S3::Bucket"):
        bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] = 7


def _sized(role: str) -> list[Callable[[Template], None]]:
    return [
        _service(role, lambda s, d: d.update(Cpu="1024")),
        _service(role, lambda s, d: d.update(Memory="4096")),
        _service(role, lambda s, d: s.update(DesiredCount=s["DesiredCount"] + 1)),
    ]


# How the model reads each environment property from the template: a change there
# must change the estimate. A property the bill does not depend on says why.
READ: dict[str, list[Callable[[Template], None]]] = {
    "availability_zones": [_alb_subnets],  # ALB nodes (public IPv4) per AZ
    "nat_gateways": [_drop_one("AWS::EC2::Instance")],
    "nat_instance_type": [_set("AWS::EC2::Instance", "InstanceType", "t4g.micro")],
    "web": _sized("web"),
    "worker": [
        *_sized("worker"),
        _service("worker", lambda s, d: s.pop("CapacityProviderStrategy", None)),
    ],
    "scheduler": _sized("scheduler"),
    "memorydb_node_type": [_set("AWS::MemoryDB::Cluster", "NodeType", "db.t4g.medium")],
    "memorydb_replicas": [_set("AWS::MemoryDB::Cluster", "NumReplicasPerShard", 0)],
    "memorydb_snapshot_days": [_set("AWS::MemoryDB::Cluster", "SnapshotRetentionLimit", 0)],
    "messaging_node_type": [
        _set("AWS::ElastiCache::ReplicationGroup", "CacheNodeType", "cache.t4g.small")
    ],
    "messaging_replicas": [_set("AWS::ElastiCache::ReplicationGroup", "NumCacheClusters", 1)],
    "rds_instance": [_set("AWS::RDS::DBInstance", "DBInstanceClass", "db.t4g.small")],
    "rds_multi_az": [_set("AWS::RDS::DBInstance", "MultiAZ", False)],
    "rds_storage_gib": [_set("AWS::RDS::DBInstance", "AllocatedStorage", "40")],
    "history_retention_days": [_history_days("7")],
    "feed_object_expiry_days": [_expiry],
    "log_retention_days": [_set("AWS::Logs::LogGroup", "RetentionInDays", 7)],
}
FREE = {
    "name": "a label",
    "cidr": "addresses cost nothing",
    "rds_backup_days": "backup storage up to the database's size is free",
    "noncurrent_to_ia_days": "old versions exist only for re-uploads: too few to price",
    "noncurrent_expiry_days": "the same",
    "retain_data": "what happens on delete, not monthly",
    "deletion_protection": "the same",
}


def test_every_environment_property_is_read_by_the_model_or_says_why_not() -> None:
    names = {f.name for f in fields(EnvironmentProps)}
    assert names == set(READ) | set(FREE), "classify the new property in READ or FREE"
    assert {f.name for f in fields(ServiceSize)} == {
        "cpu",
        "memory_mib",
        "desired",
        "max_tasks",
        "on_demand_base",
    }, "a new service property: add its mutation under web/worker/scheduler"


@pytest.mark.parametrize(
    ("prop", "index"), [(p, i) for p, mutations in READ.items() for i in range(len(mutations))]
)
def test_changing_a_property_in_the_stack_changes_the_estimate(
    synthesized: Synthesized, prop: str, index: int
) -> None:
    template = synthesized.raw("prod")
    before = total(estimate(template))
    changed = copy.deepcopy(template)
    READ[prop][index](changed)
    assert total(estimate(changed)) != before, f"the model does not read {prop}"


def test_prod_stays_within_300_dollars_a_month_with_every_ha_choice(
    synthesized: Synthesized,
) -> None:
    assert PROD.rds_multi_az
    assert PROD.memorydb_replicas >= 1
    assert PROD.messaging_replicas >= 1
    assert PROD.nat_gateways == len(PROD.availability_zones) == 2
    assert PROD.web.desired >= 2
    assert PROD.worker.desired >= 2
    prod = total(estimate(synthesized.raw("prod")))
    dev = total(estimate(synthesized.raw("dev")))
    assert prod <= Decimal(300), prod
    assert dev < prod


def test_history_items_are_sized_as_feeds_history_writes_them() -> None:
    loads = {load.feed: load for load in feed_loads(retention_days=30)}
    spot = loads["spot-risk"]
    # ~500 rows compress to a few tens of KB: far below DynamoDB's 400 KB item limit
    assert 5_000 < spot.stored_bytes_per_file < 400_000
    assert spot.write_units_per_file == pytest.approx(spot.stored_bytes_per_file / 1024, abs=2)


def test_the_report_prints_both_environments_per_resource(synthesized: Synthesized) -> None:
    lines: list[str] = []
    report({env: synthesized.raw(env) for env in ("dev", "prod")}, out=lines.append)
    text = "\n".join(lines)
    assert "\ndev\n" in text
    assert "\nprod\n" in text
    assert "MemoryDB (Valkey)" in text
    assert "total" in text
    assert "prices of 20" in text  # the prices' date
