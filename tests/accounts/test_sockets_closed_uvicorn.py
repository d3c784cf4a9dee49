"""The same through a real uvicorn and a real websocket client: a logged-out
socket closes with 4401, and the next socket is served at once after it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from websockets.asyncio.client import connect

from accounts.sockets import CLOSE_UNAUTHENTICATED
from tests.browser.support import served_app

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("local_stack")]


def _headers(base: str, client: Client) -> dict[str, str]:
    name = django_settings.SESSION_COOKIE_NAME
    return {"Cookie": f"{name}={client.cookies[name].value}", "Origin": base}


async def _close_code(ws: Any, within: float = 5.0) -> int | None:
    try:
        async with asyncio.timeout(within):
            async for _ in ws:
                pass
    except TimeoutError:
        return None  # still open
    except Exception:  # noqa: S110 - a close without a clean handshake still has its code
        pass
    return ws.close_code


def test_under_uvicorn_a_logged_out_socket_closes_and_the_next_is_served(
    oncall, settings: Any
) -> None:
    settings.FRGM_SOCKET_RECHECK_S = 3600.0  # only the logout can close it in time
    settings.FRGM_OPS_PUSH_EVERY_S = 0.2
    leaving, staying = Client(), Client()
    leaving.force_login(oncall)
    staying.force_login(oncall)
    with served_app() as base:
        url = base.replace("http://", "ws://") + "/ws/ops/"

        async def scenario() -> None:
            async with connect(url, additional_headers=_headers(base, leaving)) as ws:
                await asyncio.wait_for(ws.recv(), 10)
                await asyncio.to_thread(leaving.post, reverse("logout"))
                assert await _close_code(ws) == CLOSE_UNAUTHENTICATED
            # The guard that closed it winds down; a new socket must not wait for it.
            async with connect(url, additional_headers=_headers(base, staying)) as ws:
                first = await asyncio.wait_for(ws.recv(), 5)
                assert '"type": "rows"' in first or '"type":"rows"' in first

        asyncio.run(scenario())
