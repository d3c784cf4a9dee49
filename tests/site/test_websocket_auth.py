"""Websockets need a session, the right role, and a same-host Origin."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client

from accounts.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, RoleGatedConsumer
from accounts.roles import ALL_ROLES, Role
from frgm_site.asgi import application
from frgm_site.routing import websocket_urlpatterns

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


# Every websocket route, so a new one cannot skip the checks below.
ROUTES = [
    pytest.param("/" + str(route.pattern), route.callback.consumer_class, id=str(route.pattern))
    for route in websocket_urlpatterns
]


@sync_to_async
def _user_with_roles(username: str, roles: list[Role]) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def test_every_websocket_route_checks_the_session_and_a_role() -> None:
    assert len(ROUTES) >= 3
    for route in ROUTES:
        _, consumer = route.values
        assert issubclass(consumer, RoleGatedConsumer), route.id
        assert consumer.required_role in ALL_ROLES, route.id


@pytest.mark.parametrize(("path", "consumer"), ROUTES)
async def test_a_websocket_without_a_session_is_closed_with_4401(
    local_stack, path: str, consumer: type[RoleGatedConsumer]
) -> None:
    communicator, connected, _ = await _connect(path, [SAME_ORIGIN])
    assert connected
    closed = await communicator.receive_output()
    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
    await communicator.disconnect()  # ends the consumer and its channel-layer receive


@pytest.mark.parametrize(("path", "consumer"), ROUTES)
async def test_a_user_without_the_routes_role_is_closed_with_4403(
    local_stack, path: str, consumer: type[RoleGatedConsumer]
) -> None:
    # Every role but the one the route needs (and admin, which holds them all).
    others = [r for r in ALL_ROLES if r not in {consumer.required_role, Role.ADMIN}]
    cookie = await _session_cookie(await _user_with_roles("ollie-other", others))
    communicator, connected, _ = await _connect(path, [SAME_ORIGIN, (b"cookie", cookie)])
    assert connected
    closed = await communicator.receive_output()
    assert closed == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    await communicator.disconnect()


@pytest.mark.parametrize(("path", "consumer"), ROUTES)
async def test_a_user_with_the_routes_role_is_served(
    local_stack, path: str, consumer: type[RoleGatedConsumer]
) -> None:
    user = await _user_with_roles("rita-role", [consumer.required_role])
    cookie = await _session_cookie(user)
    communicator, connected, _ = await _connect(path, [SAME_ORIGIN, (b"cookie", cookie)])
    assert connected
    first = await communicator.receive_output(timeout=5)
    assert first["type"] == "websocket.send", first  # served, not closed
    await communicator.disconnect()


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
