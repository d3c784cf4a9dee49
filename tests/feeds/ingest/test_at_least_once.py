"""At-least-once delivery, exactly-once effects; older files never regress state."""

from __future__ import annotations

import json

from django.conf import settings

from feeds.messages import feed_all_group_name
from lib.aws import client
from lib.redis_clients import state_store
from tests.feeds.ingest.conftest import (
    POSITIONS_KEY,
    SPOT_KEY,
    history_count,
    latest_rows,
    sample,
)

OLDER_POSITIONS_KEY = "tt/positions/2025-07-21/positions_20250721_203001.json"


def _positions_with(net: int) -> bytes:
    body = json.loads(sample("tt/positions_response.json"))
    body["positions"][0]["netPosition"] = float(net)
    return json.dumps(body).encode()


def test_a_duplicated_notification_writes_and_pushes_nothing_twice(feed_queue, channel_listener):
    pushes = channel_listener(feed_all_group_name("spot-risk"))
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    [first] = [m for m in feed_queue.receive() if "Records" in m["Body"]] or [None]
    assert first is not None
    # The same notification delivered twice, as SQS may.
    client("sqs").send_message(QueueUrl=feed_queue.url, MessageBody=first["Body"])
    client("sqs").send_message(QueueUrl=feed_queue.url, MessageBody=first["Body"])
    assert all(feed_queue.drain())
    assert history_count("spot-risk", "2025-07-21") == 1
    groups = [push["group"] for push in pushes()]
    assert "SEP25" in groups
    assert len(groups) == len(set(groups))  # one push per group, none repeated
    health = state_store().hget("frgm:{spot-risk}:health", "files_total")
    assert health == b"1"


def test_an_older_file_arriving_late_lands_in_history_but_not_in_latest(
    feed_queue, channel_listener
):
    pushes = channel_listener(feed_all_group_name("tt-positions"))
    feed_queue.put(POSITIONS_KEY, _positions_with(300))  # 20:30:08
    feed_queue.drain()
    feed_queue.put(OLDER_POSITIONS_KEY, _positions_with(100))  # 20:30:01, arrives late
    feed_queue.drain()
    [position] = latest_rows("tt-positions").values()
    assert position["net_position"] == 300
    assert history_count("tt-positions", "2025-07-21") == 2
    assert [next(iter(p["changed"].values()))["net_position"] for p in pushes()] == [300]


def test_a_newer_file_replaces_rows_and_removes_what_it_lacks(feed_queue, channel_listener):
    pushes = channel_listener(feed_all_group_name("tt-orders"))
    orders = json.loads(sample("tt/working_orders_response.json"))
    feed_queue.put(
        "tt/orders/2025-07-21/working_orders_20250721_203001.json", json.dumps(orders).encode()
    )
    feed_queue.drain()
    filled = orders["orders"][0]["orderId"]
    orders["orders"] = [o for o in orders["orders"] if o["orderId"] != filled]
    feed_queue.put(
        "tt/orders/2025-07-21/working_orders_20250721_203002.json", json.dumps(orders).encode()
    )
    feed_queue.drain()
    assert filled not in latest_rows("tt-orders")
    second = pushes()[-1]
    assert second["changed"] == {filled: None}  # only the filled order, sent as gone
    assert second["seq"] == 2


def test_the_s3_test_event_is_removed_and_changes_nothing(feed_queue):
    client("sqs").send_message(
        QueueUrl=feed_queue.url,
        MessageBody=json.dumps(
            {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": settings.FRGM_FEED_BUCKET}
        ),
    )
    assert all(feed_queue.drain())
    assert feed_queue.depth() == 0


def test_several_records_in_one_message_with_encoded_keys_are_all_ingested(feed_queue):
    keys = [
        "tt/positions/2025-07-21/positions_20250721_203010.json",
        "tt/orders/2025-07-21/working_orders_20250721_203010.json",
    ]
    feed_queue.put(keys[0], sample("tt/positions_response.json"))
    feed_queue.put(keys[1], sample("tt/working_orders_response.json"))
    feed_queue.drain()  # ingests both; now replay them as one message, keys encoded
    records = [
        {
            "eventName": "ObjectCreated:Put",
            "eventTime": "2025-07-21T20:30:10.000Z",
            "s3": {
                "bucket": {"name": settings.FRGM_FEED_BUCKET},
                "object": {"key": key.replace("/", "%2F"), "sequencer": "0A1"},
            },
        }
        for key in keys
    ]
    # Different identity (no version, new sequencer): treated as new deliveries.
    client("sqs").send_message(
        QueueUrl=feed_queue.url, MessageBody=json.dumps({"Records": records})
    )
    assert all(feed_queue.drain())
    assert history_count("tt-positions", "2025-07-21") == 1  # same file: history once
    recent = state_store().lrange("frgm:{tt-orders}:recent", 0, -1)
    assert len(recent) == 2


def test_a_notification_for_a_deleted_object_is_recorded_not_retried(feed_queue):
    from feeds.models import QuarantinedFile

    put = feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    client("s3").delete_object(
        Bucket=settings.FRGM_FEED_BUCKET, Key=POSITIONS_KEY, VersionId=put["VersionId"]
    )
    assert all(feed_queue.drain())
    record = QuarantinedFile.objects.get(key=POSITIONS_KEY)
    assert record.kind == "missing_object"
    assert "no longer exists" in record.reason
    assert latest_rows("tt-positions") == {}
