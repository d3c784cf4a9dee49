"""What arrives but must not be applied: a file stamped in the future, and an
event naming a bucket that is not ours."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.conf import settings

from feeds.models import QuarantinedFile
from lib.aws import client
from lib.redis_clients import state_store
from tests.feeds.ingest.conftest import ORDERS_KEY, POSITIONS_KEY, latest_rows, sample

FROM_2099 = "tt/orders/2099-12-31/working_orders_20991231_235959.json"


def _order_ids() -> set[str]:
    return set(latest_rows("tt-orders"))


def test_a_file_from_the_future_is_quarantined_and_the_next_real_file_is_applied(
    feed_queue,
) -> None:
    orders = json.loads(sample("tt/working_orders_response.json"))
    first_only = {**orders, "orders": orders["orders"][:1]}
    feed_queue.put(FROM_2099, json.dumps(first_only).encode())
    assert all(feed_queue.drain())
    record = QuarantinedFile.objects.get(key=FROM_2099)
    assert record.reason.startswith("from the future: stamped 2099-12-31 23:59:59 CST")
    assert "a file may be at most 300 s ahead" in record.reason
    assert latest_rows("tt-orders") == {}

    feed_queue.put(ORDERS_KEY, sample("tt/working_orders_response.json"))
    assert all(feed_queue.drain())
    assert len(_order_ids()) > 1  # the real file applied, not "stale"


def _event_body(bucket: str, key: str) -> str:
    record = {
        "eventName": "ObjectCreated:Put",
        "eventTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "s3": {
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 700, "sequencer": "0B1"},
        },
    }
    return json.dumps({"Records": [record]})


def test_an_event_naming_another_bucket_is_refused_counted_and_never_read(feed_queue) -> None:
    other = f"{settings.FRGM_FEED_BUCKET}-elsewhere"
    client("s3").create_bucket(Bucket=other)
    planted = json.loads(sample("tt/positions_response.json"))
    planted["positions"][0]["netPosition"] = 424242
    client("s3").put_object(Bucket=other, Key=POSITIONS_KEY, Body=json.dumps(planted).encode())
    client("sqs").send_message(
        QueueUrl=feed_queue.url, MessageBody=_event_body(other, POSITIONS_KEY)
    )

    assert all(feed_queue.drain())
    assert latest_rows("tt-positions") == {}
    assert state_store().hget("frgm:{other}:health", "foreign_bucket_total") == b"1"
    last = json.loads(state_store().lindex("frgm:{other}:refused", 0))
    assert (last["kind"], last["bucket"], last["key"]) == ("foreign_bucket", other, POSITIONS_KEY)
