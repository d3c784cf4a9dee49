"""The ops page's websocket sends its rows, rendered as on the first paint."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client, override_settings
from redis.exceptions import RedisClusterException

import ops.consumers
from accounts.consumers import CLOSE_FORBIDDEN
from frgm_site.asgi import application
from ops.models import AlarmStatus

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


@sync_to_async
def _cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={client.cookies[name].value}".encode())


@override_settings(FRGM_OPS_PUSH_EVERY_S=0.2)
async def test_on_call_gets_the_feed_rows_and_their_changes(stack, oncall):
    communicator = WebsocketCommunicator(
        application, "/ws/ops/", headers=[ORIGIN, await _cookie(oncall)]
    )
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_json_from(timeout=10)
    assert first["type"] == "rows"
    assert 'data-feed="spot-risk"' in first["feeds"]
    assert "No alarm has been evaluated yet" in first["alarms"]
    await sync_to_async(AlarmStatus.objects.create)(
        alarm_id="dlq-not-empty", state="ALARM", since="2025-07-22T10:00:00Z", reason="1 message"
    )
    later = await communicator.receive_json_from(timeout=10)
    assert "Messages in the dead-letter queue" in later["alarms"]
    await communicator.disconnect()


async def test_a_trader_is_refused_the_ops_socket(stack, trader):
    communicator = WebsocketCommunicator(
        application, "/ws/ops/", headers=[ORIGIN, await _cookie(trader)]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_output() == {
        "type": "websocket.close",
        "code": CLOSE_FORBIDDEN,
    }


@override_settings(FRGM_OPS_PUSH_EVERY_S=0.05)
async def test_the_rows_keep_coming_after_a_frame_could_not_be_rendered(stack, oncall, monkeypatch):
    real_frame = ops.consumers.ops_rows_frame
    calls: list[int] = []

    def frame_once_failing():
        calls.append(1)
        if len(calls) == 2:
            raise RedisClusterException("Redis Cluster cannot be connected")
        return real_frame()

    monkeypatch.setattr(ops.consumers, "ops_rows_frame", frame_once_failing)
    communicator = WebsocketCommunicator(
        application, "/ws/ops/", headers=[ORIGIN, await _cookie(oncall)]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["type"] == "rows"
    assert (await communicator.receive_json_from(timeout=10))["type"] == "rows"  # after it
    assert len(calls) >= 3
    await communicator.disconnect()
