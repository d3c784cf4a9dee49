"""The data the portal keeps: feed bucket, notification queue and DLQ, DynamoDB
history, the MemoryDB state store and the RDS database for Django."""

from __future__ import annotations

import json

from aws_cdk import Aws, Duration, RemovalPolicy, SecretValue
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_memorydb as memorydb
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from deploy.cdk.environments import EnvironmentProps
from deploy.cdk.network import POSTGRES_PORT, REDIS_PORT, Network
from feeds.history import TTL_ATTRIBUTE

# The feed server's contract (shared/FEEDS.md; feeds/replay.py FEED_PREFIXES): only
# these prefixes notify the queue, and the feed server may write under them only.
FEED_PREFIXES = (
    "actant/spot-risk/",
    "actant/vtexp/",
    "tt/positions/",
    "tt/orders/",
    "tt/instruments/",
)
# What feeds/sqs_consumer.py expects (settings FRGM_CONSUMER_VISIBILITY_S and
# FRGM_FEED_MAX_RECEIVES; feeds/bootstrap.py makes the same queue locally): short, so
# a crashed worker's file comes back within the 15 s recovery target; the consumer
# extends it while a file is in flight.
QUEUE_VISIBILITY_S = 10
QUEUE_WAIT_S = 20
QUEUE_RETENTION_DAYS = 4
DLQ_RETENTION_DAYS = 14
MAX_RECEIVES = 5
DATABASE_NAME = "frgm"
STATE_ENGINE_VERSION = "7.2"  # Valkey: MemoryDB charges no data-written fee for it


class Data(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: EnvironmentProps, network: Network
    ) -> None:
        super().__init__(scope, construct_id)
        env = props.name
        removal = RemovalPolicy.RETAIN if props.retain_data else RemovalPolicy.DESTROY
        self.feed_prefixes = FEED_PREFIXES

        # --- feed bucket ---------------------------------------------------------
        self.bucket = s3.Bucket(
            self,
            "FeedBucket",
            bucket_name=f"frgm-{env}-feeds-{Aws.ACCOUNT_ID}-{Aws.REGION}",
            versioned=True,  # a re-upload of a key is a new file (feeds/history.py)
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal,
            auto_delete_objects=not props.retain_data,  # dev tears down in one command
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="feed-files",
                    expiration=Duration.days(props.feed_object_expiry_days),
                    # S3 skips objects under 128 KB here by default, which is right:
                    # Standard-IA would bill each small file as 128 KB.
                    noncurrent_version_transitions=[
                        s3.NoncurrentVersionTransition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(props.noncurrent_to_ia_days),
                        )
                    ],
                    noncurrent_version_expiration=Duration.days(props.noncurrent_expiry_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )

        # --- queue -----------------------------------------------------------------
        self.dlq = sqs.Queue(
            self,
            "FeedEventsDlq",
            queue_name=f"frgm-{env}-feed-events-dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,  # S3 cannot send to a KMS-keyed queue
            enforce_ssl=True,
            retention_period=Duration.days(DLQ_RETENTION_DAYS),
        )
        self.queue = sqs.Queue(
            self,
            "FeedEvents",
            queue_name=f"frgm-{env}-feed-events",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(QUEUE_VISIBILITY_S),
            receive_message_wait_time=Duration.seconds(QUEUE_WAIT_S),
            retention_period=Duration.days(QUEUE_RETENTION_DAYS),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=MAX_RECEIVES),
        )
        for prefix in FEED_PREFIXES:
            self.bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED,
                s3n.SqsDestination(self.queue),
                s3.NotificationKeyFilter(prefix=prefix),
            )
        # The feed server (on the desk's network) writes with this user's access key,
        # created by hand (deploy/cdk/README.md), never by the stack. Its producer
        # (python -m feeds.push) puts files and, after a crash mid-upload, asks with a
        # HEAD (s3:GetObject) whether the PUT got through before sending it again.
        self.feed_server = iam.User(self, "FeedServer", user_name=f"frgm-{env}-feed-server")
        self.feed_server.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject"],
                resources=[self.bucket.arn_for_objects(f"{prefix}*") for prefix in FEED_PREFIXES],
            )
        )

        # --- history -----------------------------------------------------------------
        self.table = dynamodb.Table(
            self,
            "History",
            table_name=f"frgm-{env}-history",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,  # the worker writes it on every item
            removal_policy=removal,
            deletion_protection=props.deletion_protection,
        )
        self.history_retention_days = props.history_retention_days

        # --- state store: MemoryDB ----------------------------------------------------
        state_user = f"frgm-{env}-app"
        self.state_secret = secretsmanager.Secret(
            self,
            "StateUser",
            secret_name=f"frgm-{env}/state-store-user",
            description="MemoryDB ACL user of the web, worker and scheduler tasks",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": state_user}),
                generate_string_key="password",
                exclude_punctuation=True,  # MemoryDB refuses some; URLs stay plain
                password_length=32,
            ),
        )
        user = memorydb.CfnUser(
            self,
            "StateAclUser",
            user_name=state_user,
            access_string="on ~* &* +@all",
            authentication_mode={
                "Type": "password",
                "Passwords": [
                    SecretValue.secrets_manager(
                        self.state_secret.secret_arn, json_field="password"
                    ).unsafe_unwrap()  # a dynamic reference: CloudFormation resolves it
                ],
            },
        )
        acl = memorydb.CfnACL(
            self, "StateAcl", acl_name=f"frgm-{env}-state", user_names=[state_user]
        )
        acl.add_resource_dependency(user)
        subnets = network.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        state_subnets = memorydb.CfnSubnetGroup(
            self,
            "StateSubnets",
            subnet_group_name=f"frgm-{env}-state",
            subnet_ids=subnets.subnet_ids,
        )
        self.state_cluster = memorydb.CfnCluster(
            self,
            "State",
            cluster_name=f"frgm-{env}-state",
            engine="valkey",
            engine_version=STATE_ENGINE_VERSION,
            node_type=props.memorydb_node_type,
            num_shards=1,
            num_replicas_per_shard=props.memorydb_replicas,
            acl_name=acl.acl_name,
            subnet_group_name=state_subnets.subnet_group_name,
            security_group_ids=[network.data_group.security_group_id],
            tls_enabled=True,
            port=REDIS_PORT,
            snapshot_retention_limit=props.memorydb_snapshot_days,
            final_snapshot_name=f"frgm-{env}-state-final" if props.retain_data else None,
            auto_minor_version_upgrade=True,
        )
        self.state_cluster.add_resource_dependency(acl)
        self.state_cluster.add_resource_dependency(state_subnets)
        self.state_cluster.apply_removal_policy(removal)

        # --- Django's database: RDS PostgreSQL ------------------------------------------
        self.database = rds.DatabaseInstance(
            self,
            "Database",
            instance_identifier=f"frgm-{env}",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17_9),
            instance_type=ec2.InstanceType(props.rds_instance),
            vpc=network.vpc,
            vpc_subnets=network.private_subnets,
            security_groups=[network.data_group],
            port=POSTGRES_PORT,
            database_name=DATABASE_NAME,
            credentials=rds.Credentials.from_generated_secret(
                "frgm", secret_name=f"frgm-{env}/database"
            ),
            multi_az=props.rds_multi_az,
            allocated_storage=props.rds_storage_gib,
            storage_type=rds.StorageType.GP3,
            storage_encrypted=True,
            backup_retention=Duration.days(props.rds_backup_days),
            deletion_protection=props.deletion_protection,
            removal_policy=RemovalPolicy.SNAPSHOT if props.retain_data else RemovalPolicy.DESTROY,
            auto_minor_version_upgrade=True,
        )
        assert self.database.secret is not None  # from_generated_secret always makes one
        self.database_secret: secretsmanager.ISecret = self.database.secret

    @property
    def state_endpoint(self) -> str:
        return self.state_cluster.attr_cluster_endpoint_address
