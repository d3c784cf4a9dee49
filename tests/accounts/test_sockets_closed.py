"""Logging out, a deactivated user or a removed role closes that user's live
sockets within seconds (4401 / 4403); nobody else's socket is touched.

Through the real ASGI app and a real messaging Redis channel layer: the signal
publishes to the sockets group, the process's socket guard closes the socket.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.sockets import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from frgm_site.asgi import application

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("local_stack", "live_hub_stopped"),
]

SAME_ORIGIN = (b"origin", b"http://127.0.0.1:8000")
CLOSED_WITHIN_S = 5.0  # "within seconds"; the periodic re-check is set far longer below
ROUTES = {"/ws/ladder/": "trader", "/ws/spot-risk/": "trader", "/ws/ops/": "oncall"}


@pytest.fixture(autouse=True)
def _no_periodic_recheck(settings: Any) -> None:
    settings.FRGM_SOCKET_RECHECK_S = 3600.0  # only the signals can close within the test
    settings.FRGM_OPS_PUSH_EVERY_S = 0.2


@sync_to_async
def _user(username: str, role: str) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@sync_to_async
def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def _open(path: str, client: Client) -> WebsocketCommunicator:
    name = settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}".encode()
    communicator = WebsocketCommunicator(
        application, path, headers=[SAME_ORIGIN, (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_output(timeout=5)
    assert first["type"] == "websocket.send", first  # served
    return communicator


async def _close_code(communicator: WebsocketCommunicator, within: float = CLOSED_WITHIN_S) -> int:
    """Wait for the server's close, skipping the frames before it; its code."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"the socket was still open after {within} s")
        try:
            event = await communicator.receive_output(timeout=left)
        except TimeoutError:
            continue
        if event["type"] == "websocket.close":
            return int(event["code"])


async def _still_served(communicator: WebsocketCommunicator) -> None:
    """The socket keeps getting frames (the ops page pushes every 0.2 s here)."""
    for _ in range(3):
        event = await communicator.receive_output(timeout=5)
        assert event["type"] == "websocket.send", event


@pytest.mark.parametrize("path", list(ROUTES))
async def test_logging_out_closes_the_users_sockets(path: str) -> None:
    user = await _user("lou-logout", ROUTES[path])
    client = await _logged_in(user)
    communicator = await _open(path, client)
    response = await sync_to_async(client.post)(reverse("logout"))
    assert response.status_code == 302
    assert await _close_code(communicator) == CLOSE_UNAUTHENTICATED
    await communicator.disconnect()


@pytest.mark.parametrize("path", list(ROUTES))
async def test_deactivating_a_user_closes_their_sockets(path: str) -> None:
    user = await _user("dee-deactivated", ROUTES[path])
    communicator = await _open(path, await _logged_in(user))
    user.is_active = False
    await sync_to_async(user.save)()
    assert await _close_code(communicator) == CLOSE_UNAUTHENTICATED
    await communicator.disconnect()


@pytest.mark.parametrize("path", list(ROUTES))
async def test_removing_the_role_closes_the_users_sockets(path: str) -> None:
    user = await _user("rory-removed", ROUTES[path])
    communicator = await _open(path, await _logged_in(user))
    group = await sync_to_async(Group.objects.get)(name=ROUTES[path])
    await sync_to_async(user.groups.remove)(group)
    assert await _close_code(communicator) == CLOSE_FORBIDDEN
    await communicator.disconnect()


async def test_removing_users_from_the_group_side_closes_their_sockets() -> None:
    user = await _user("gina-group", "oncall")
    communicator = await _open("/ws/ops/", await _logged_in(user))
    group = await sync_to_async(Group.objects.get)(name="oncall")
    await sync_to_async(group.user_set.clear)()
    assert await _close_code(communicator) == CLOSE_FORBIDDEN
    await communicator.disconnect()


async def test_another_users_socket_stays_open() -> None:
    leaving = await _user("dee-deactivated", "oncall")
    staying = await _user("sam-stays", "oncall")
    closed = await _open("/ws/ops/", await _logged_in(leaving))
    kept = await _open("/ws/ops/", await _logged_in(staying))
    leaving.is_active = False
    await sync_to_async(leaving.save)()
    assert await _close_code(closed) == CLOSE_UNAUTHENTICATED
    await _still_served(kept)
    await closed.disconnect()
    await kept.disconnect()


async def test_logging_out_one_browser_leaves_the_other_open() -> None:
    user = await _user("tom-two-browsers", "oncall")
    first_browser = await _logged_in(user)
    first = await _open("/ws/ops/", first_browser)
    second = await _open("/ws/ops/", await _logged_in(user))
    await sync_to_async(first_browser.post)(reverse("logout"))
    assert await _close_code(first) == CLOSE_UNAUTHENTICATED
    await _still_served(second)
    await first.disconnect()
    await second.disconnect()


async def test_the_periodic_recheck_closes_a_socket_whose_session_expired(settings: Any) -> None:
    settings.FRGM_SOCKET_RECHECK_S = 0.5
    user = await _user("ed-expired", "oncall")
    client = await _logged_in(user)
    communicator = await _open("/ws/ops/", client)
    key = client.session.session_key
    # An update sends no signal: only the periodic re-check can notice.
    await sync_to_async(Session.objects.filter(session_key=key).update)(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert await _close_code(communicator) == CLOSE_UNAUTHENTICATED
    await communicator.disconnect()


async def test_a_new_socket_is_served_after_a_revoked_one_went() -> None:
    user = await _user("nina-next", "oncall")
    first_browser = await _logged_in(user)
    first = await _open("/ws/ops/", first_browser)
    await sync_to_async(first_browser.post)(reverse("logout"))
    assert await _close_code(first) == CLOSE_UNAUTHENTICATED
    await first.disconnect()
    second = await _open("/ws/ops/", await _logged_in(user))
    await _still_served(second)
    await second.disconnect()
