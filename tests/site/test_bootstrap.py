"""The local bootstrap creates the AWS resources once and changes nothing after."""

from __future__ import annotations

import json
import uuid
from urllib.parse import unquote_plus

import pytest
from django.core.management import call_command
from django.test import override_settings

from feeds.bootstrap import local_resources_ensure
from lib.aws import client


@pytest.fixture
def fresh_names(local_stack):
    suffix = uuid.uuid4().hex[:8]
    with override_settings(
        FRGM_FEED_BUCKET=f"feed-{suffix}",
        FRGM_FEED_QUEUE=f"events-{suffix}",
        FRGM_FEED_DLQ=f"events-{suffix}-dlq",
        FRGM_HISTORY_TABLE=f"history-{suffix}",
    ) as names:
        yield names


def test_bootstrap_twice_creates_then_changes_nothing(fresh_names) -> None:
    first = local_resources_ensure()
    assert len(first.created) == 5  # bucket, dlq, queue, notification, table
    second = local_resources_ensure()
    assert second.created == []
    assert second.updated == []
    assert len(second.unchanged) == 5


def test_bootstrap_makes_what_the_design_asks_for(fresh_names) -> None:
    from django.conf import settings

    local_resources_ensure()
    s3, sqs, ddb = client("s3"), client("sqs"), client("dynamodb")
    assert s3.get_bucket_versioning(Bucket=settings.FRGM_FEED_BUCKET)["Status"] == "Enabled"
    queue_url = sqs.get_queue_url(QueueName=settings.FRGM_FEED_QUEUE)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attrs["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == 5
    assert redrive["deadLetterTargetArn"].endswith(settings.FRGM_FEED_DLQ)
    backups = ddb.describe_continuous_backups(TableName=settings.FRGM_HISTORY_TABLE)
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_an_object_put_in_the_bucket_notifies_the_queue(fresh_names) -> None:
    from django.conf import settings

    local_resources_ensure()
    key = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv"
    client("s3").put_object(Bucket=settings.FRGM_FEED_BUCKET, Key=key, Body=b"x")
    sqs = client("sqs")
    queue_url = sqs.get_queue_url(QueueName=settings.FRGM_FEED_QUEUE)["QueueUrl"]
    bodies = []
    for _ in range(3):  # S3 first sends an s3:TestEvent, as AWS does
        reply = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1, MaxNumberOfMessages=10)
        bodies += [json.loads(m["Body"]) for m in reply.get("Messages", [])]
    assert any(body.get("Event") == "s3:TestEvent" for body in bodies)
    records = [r for body in bodies for r in body.get("Records", [])]
    assert [unquote_plus(r["s3"]["object"]["key"]) for r in records] == [key]
    assert records[0]["eventName"].startswith("ObjectCreated")


def test_the_bootstrap_command_says_what_it_did(fresh_names, capsys) -> None:
    call_command("bootstrap_local")
    call_command("bootstrap_local")
    out = capsys.readouterr().out
    assert out.count("created") == 5
    assert out.count("unchanged") == 5
