"""The messaging Redis: ElastiCache (Valkey, cluster mode off) for the channel layer
and the Celery broker. Nothing in it must survive a restart, so no snapshots."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from deploy.cdk.environments import EnvironmentProps
from deploy.cdk.network import REDIS_PORT, Network

MESSAGING_ENGINE_VERSION = "7.2"


class Messaging(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: EnvironmentProps, network: Network
    ) -> None:
        super().__init__(scope, construct_id)
        env = props.name
        self.auth_secret = secretsmanager.Secret(
            self,
            "AuthToken",
            secret_name=f"frgm-{env}/messaging-auth-token",
            description="AUTH token of the messaging Redis (ElastiCache)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True,  # ElastiCache refuses some; URLs stay plain
                password_length=32,
            ),
        )
        subnets = network.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        subnet_group = elasticache.CfnSubnetGroup(
            self,
            "Subnets",
            cache_subnet_group_name=f"frgm-{env}-messaging",
            description=f"frgm {env} messaging Redis",
            subnet_ids=subnets.subnet_ids,
        )
        replicated = props.messaging_replicas > 0
        self.group = elasticache.CfnReplicationGroup(
            self,
            "Group",
            replication_group_id=f"frgm-{env}-messaging",
            replication_group_description=f"frgm {env}: channel layer and Celery broker",
            engine="valkey",
            engine_version=MESSAGING_ENGINE_VERSION,
            cache_node_type=props.messaging_node_type,
            num_cache_clusters=1 + props.messaging_replicas,
            automatic_failover_enabled=replicated,
            multi_az_enabled=replicated,
            transit_encryption_enabled=True,
            at_rest_encryption_enabled=True,
            auth_token=self.auth_secret.secret_value.unsafe_unwrap(),  # a dynamic reference
            cache_subnet_group_name=subnet_group.cache_subnet_group_name,
            security_group_ids=[network.data_group.security_group_id],
            port=REDIS_PORT,
            snapshot_retention_limit=0,
            auto_minor_version_upgrade=True,
        )
        self.group.add_resource_dependency(subnet_group)

    @property
    def endpoint(self) -> str:
        return self.group.attr_primary_end_point_address
