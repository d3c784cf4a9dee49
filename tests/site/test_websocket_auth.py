"""Websockets need a session, the right role, and a same-host Origin."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from accounts.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from frgm_site.asgi import application

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("live_hub_stopped"),  # the ladder socket starts the hub
]

SAME_ORIGIN = (b"origin", b"http://127.0.0.1:8000")


@sync_to_async
def _session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def _connect(path: str, headers: list[tuple[bytes, bytes]]):
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_a_websocket_without_a_session_is_closed_with_4401(local_stack) -> None:
    communicator, connected, _ = await _connect("/ws/ladder/", [SAME_ORIGIN])
    assert connected
    closed = await communicator.receive_output()
    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


async def test_a_trader_is_refused_the_ops_websocket_with_4403(local_stack, trader) -> None:
    cookie = await _session_cookie(trader)
    communicator, connected, _ = await _connect("/ws/ops/", [SAME_ORIGIN, (b"cookie", cookie)])
    assert connected
    closed = await communicator.receive_output()
    assert closed == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


async def test_a_trader_keeps_the_ladder_websocket_open(local_stack, trader) -> None:
    cookie = await _session_cookie(trader)
    communicator, connected, _ = await _connect("/ws/ladder/", [SAME_ORIGIN, (b"cookie", cookie)])
    assert connected
    first = await communicator.receive_json_from(timeout=5)
    assert first["type"] == "snapshot"  # the socket is open and serving the trader
    await communicator.disconnect()


async def test_a_websocket_from_a_foreign_origin_is_refused(local_stack, trader) -> None:
    cookie = await _session_cookie(trader)
    headers = [(b"origin", b"https://evil.example.com"), (b"cookie", cookie)]
    communicator, connected, _ = await _connect("/ws/ladder/", headers)
    assert not connected
    await communicator.disconnect()
