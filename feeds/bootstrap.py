"""Create the feed bucket, queues, notification and history table if missing.

Idempotent: each step looks before it creates and reports what it did, so a
second run reports nothing created and changes nothing. Locally this runs
against moto's server; in AWS the CDK app owns these resources instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from botocore.exceptions import ClientError
from django.conf import settings

from lib.aws import client

# Short enough that a crashed worker's message is redelivered within the 15 s
# recovery target; the consumer extends it while a slow file is in flight.
QUEUE_VISIBILITY_TIMEOUT_S = 10
QUEUE_RETENTION_S = 4 * 24 * 3600
DLQ_RETENTION_S = 14 * 24 * 3600


@dataclass
class BootstrapReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _bucket_ensure(report: BootstrapReport, bucket: str) -> None:
    s3 = client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
        report.unchanged.append(f"bucket {bucket}")
    except ClientError:
        s3.create_bucket(Bucket=bucket)
        report.created.append(f"bucket {bucket}")
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    if status != "Enabled":
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        report.updated.append(f"bucket {bucket} versioning")


def _queue_ensure(report: BootstrapReport, name: str, attributes: dict[str, str]) -> str:
    sqs = client("sqs")
    try:
        url: str = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        report.created.append(f"queue {name}")
        return url
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    drift = {k: v for k, v in attributes.items() if _attr_differs(current.get(k), v)}
    if drift:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=drift)
        report.updated.append(f"queue {name} ({', '.join(sorted(drift))})")
    else:
        report.unchanged.append(f"queue {name}")
    return url


def _attr_differs(current: str | None, wanted: str) -> bool:
    if current is None:
        return True
    try:
        return json.loads(current) != json.loads(wanted)
    except ValueError:
        return current != wanted


def _queue_arn(url: str) -> str:
    attrs = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attrs["Attributes"]["QueueArn"])


def _notification_ensure(report: BootstrapReport, bucket: str, queue_arn: str) -> None:
    s3 = client("s3")
    wanted = [{"Id": "frgm-feed-objects", "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
    current = s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations", [])
    if [(c.get("QueueArn"), sorted(c.get("Events", []))) for c in current] == [
        (queue_arn, ["s3:ObjectCreated:*"])
    ]:
        report.unchanged.append(f"notification {bucket} -> queue")
        return
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": wanted}
    )
    report.created.append(f"notification {bucket} -> queue")


def _table_ensure(report: BootstrapReport, table: str) -> None:
    ddb = client("dynamodb")
    try:
        ddb.describe_table(TableName=table)
        report.unchanged.append(f"table {table}")
    except ddb.exceptions.ResourceNotFoundException:
        ddb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        ddb.get_waiter("table_exists").wait(TableName=table)
        report.created.append(f"table {table}")
    backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    if pitr != "ENABLED":
        ddb.update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
        report.updated.append(f"table {table} point-in-time recovery")


def local_resources_ensure() -> BootstrapReport:
    """Everything the worker and web need, created where missing."""
    report = BootstrapReport()
    bucket = settings.FRGM_FEED_BUCKET
    _bucket_ensure(report, bucket)
    dlq_url = _queue_ensure(
        report, settings.FRGM_FEED_DLQ, {"MessageRetentionPeriod": str(DLQ_RETENTION_S)}
    )
    redrive = json.dumps(
        {
            "deadLetterTargetArn": _queue_arn(dlq_url),
            "maxReceiveCount": settings.FRGM_FEED_MAX_RECEIVES,
        }
    )
    queue_url = _queue_ensure(
        report,
        settings.FRGM_FEED_QUEUE,
        {
            "VisibilityTimeout": str(QUEUE_VISIBILITY_TIMEOUT_S),
            "MessageRetentionPeriod": str(QUEUE_RETENTION_S),
            "ReceiveMessageWaitTimeSeconds": "20",
            "RedrivePolicy": redrive,
        },
    )
    _notification_ensure(report, bucket, _queue_arn(queue_url))
    _table_ensure(report, settings.FRGM_HISTORY_TABLE)
    return report
