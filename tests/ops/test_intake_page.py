"""The ops intake page: each dead letter's file and last error, ignored keys,
other buckets' events and queue messages that were not S3 events; and an
admin's audited clear of a feed's latest state."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from accounts.models import AuditEvent
from feeds.models import IngestFailure
from feeds.sqs_consumer import message_handle
from lib.aws import client
from tests.conftest import logged_in
from tests.feeds.ingest.conftest import ORDERS_KEY, POSITIONS_KEY, latest_rows, sample

pytestmark = pytest.mark.django_db
FROM_2099 = "tt/orders/2099-12-31/working_orders_20991231_235959.json"


def test_a_dead_letter_shows_its_file_and_last_error(feed_queue, oncall) -> None:
    feed_queue.drain()  # S3's test event
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    with override_settings(FRGM_HISTORY_TABLE="no-such-table"):  # DynamoDB refuses: transient
        message = feed_queue.receive()[0]
        assert not message_handle(message, received_at=0.0, worker="test", queue_url=feed_queue.url)
    failure = IngestFailure.objects.get()
    assert failure.key == POSITIONS_KEY
    assert "DynamoDB" in failure.error
    # After its last receive SQS moves it to the DLQ (here: by hand, as SQS would).
    client("sqs").send_message(QueueUrl=feed_queue.dlq_url, MessageBody=message["Body"])

    page = logged_in(oncall).get(reverse("ops:intake")).content.decode()
    assert f"{settings.FRGM_FEED_BUCKET}/{POSITIONS_KEY}" in page
    # the last error as DynamoDB gave it (the self-heal's history read meets it first
    # on a new state store, the history write otherwise)
    assert "ResourceNotFoundException" in failure.error
    assert "ResourceNotFoundException" in page
    assert "1 message(s) waiting" in page


def test_ignored_keys_and_non_s3_messages_are_listed(feed_queue, oncall) -> None:
    feed_queue.put("actant/readme.txt", b"hello")
    client("sqs").send_message(QueueUrl=feed_queue.url, MessageBody="not json at all")
    assert all(feed_queue.drain())
    page = logged_in(oncall).get(reverse("ops:intake")).content.decode()
    assert "Ignored keys (no feed layout): 1." in page
    assert "actant/readme.txt" in page
    assert "message body is not JSON" in page
    assert "not json at all" in page
    assert "1 in all" in page


def test_an_admin_clears_a_frozen_feed_and_the_next_real_file_is_applied(
    feed_queue, administrator, oncall
) -> None:
    orders = json.loads(sample("tt/working_orders_response.json"))
    with override_settings(FRGM_FEED_FUTURE_TOLERANCE_S=10**10):  # damage from before the check
        feed_queue.put(FROM_2099, json.dumps({**orders, "orders": orders["orders"][:1]}).encode())
        assert all(feed_queue.drain())
    feed_queue.put(ORDERS_KEY, sample("tt/working_orders_response.json"))
    assert all(feed_queue.drain())
    assert len(latest_rows("tt-orders")) == 1  # frozen: the real file was "stale"

    url = reverse("ops:feed_clear", kwargs={"feed": "tt-orders"})
    assert logged_in(oncall).post(url, {"confirm": "tt-orders"}).status_code == 403
    admin = logged_in(administrator)
    assert admin.get(url).status_code == 405
    admin.post(url, {"confirm": "wrong"})
    assert len(latest_rows("tt-orders")) == 1  # not confirmed: nothing cleared
    response = admin.post(url, {"confirm": "tt-orders"}, follow=True)
    assert "Cleared the latest state of tt-orders" in response.content.decode()
    assert latest_rows("tt-orders") == {}
    audit = AuditEvent.objects.get(action="feed.state_clear")
    assert (audit.actor, audit.target) == (administrator, "tt-orders")

    feed_queue.put(
        ORDERS_KEY.replace("203008", "203009"), sample("tt/working_orders_response.json")
    )
    assert all(feed_queue.drain())
    assert len(latest_rows("tt-orders")) > 1


def test_the_clear_form_is_shown_to_admins_only(stack, administrator, oncall) -> None:
    url = reverse("ops:feed", kwargs={"feed": "tt-orders"})
    assert "Clear state" in logged_in(administrator).get(url).content.decode()
    assert "Clear state" not in logged_in(oncall).get(url).content.decode()
