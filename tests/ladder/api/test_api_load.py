"""The API under load: answers reused per state but never after it moved; a full
process says 503 + Retry-After in JSON; a store outage is a 503, not a 500.

Timing targets are in ``bench/api_load.py`` and docs/PERFORMANCE.md, not here.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from accounts.api_auth import api_token_create, api_token_revoke
from devstack.processes import free_port, redis_start
from feeds.messages import feed_all_group_name
from frgm_site.api_asgi import ApiServer
from ladder import api_cache
from ladder.hub import LiveHub
from lib.redis_clients import redis_clients_reset
from tests.conftest import logged_in
from tests.feeds.ingest.conftest import ORDERS_KEY, FeedQueue, channel_listener, sample

__all__ = ["channel_listener"]  # a fixture

LADDER = reverse("api:ladder")
SPOT_RISK = reverse("api:spot_risk")
ORDER_PRICE = "110.171875"  # the sample's first working order: a buy of 80
LATER_ORDERS_KEY = ORDERS_KEY.replace("203008", "203011")


def buy_qty_at(body: dict[str, Any], price: str) -> int:
    (row,) = (r for r in body["rows"] if r["price"] == price)
    return int(row["buy_qty"])


def orders_with_ten_more() -> bytes:
    """The sample's orders, the first one (a buy at ORDER_PRICE) ten lots bigger."""
    text = sample("tt/working_orders_response.json").decode()
    return text.replace('"leavesQuantity": 80.0', '"leavesQuantity": 90.0', 1).encode()


# --- the cache never outlives the state -----------------------------------------------


def test_a_new_file_is_in_the_very_next_answer(desk: FeedQueue, trader: Any) -> None:
    client = logged_in(trader)
    before = client.get(LADDER).json()
    again = client.get(LADDER).json()
    trusted_until = time.monotonic() + api_cache.RECHECK_S
    assert again["feeds"]["tt-orders"]["version"] == before["feeds"]["tt-orders"]["version"]

    desk.put(LATER_ORDERS_KEY, orders_with_ten_more())
    assert all(desk.drain())
    # No hub runs in this process to hear the worker: the recheck finds the file, and
    # the answer is trusted for RECHECK_S at most. Past that, the very next one is new.
    time.sleep(max(0.0, trusted_until - time.monotonic()))
    after = client.get(LADDER).json()

    assert after["feeds"]["tt-orders"]["version"] != before["feeds"]["tt-orders"]["version"]
    assert after["feeds"]["tt-orders"]["version"].endswith(LATER_ORDERS_KEY)
    assert buy_qty_at(after, ORDER_PRICE) == buy_qty_at(before, ORDER_PRICE) + 10


def test_an_update_the_hub_hears_makes_the_next_answer_new(
    desk: FeedQueue, trader: Any, channel_listener: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the store's stamps trusted for an hour, only the hub's message can tell."""
    monkeypatch.setattr(api_cache, "RECHECK_S", 3600.0)
    heard = channel_listener(feed_all_group_name("tt-orders"))
    client = logged_in(trader)
    before = client.get(LADDER).json()

    desk.put(LATER_ORDERS_KEY, orders_with_ten_more())
    assert all(desk.drain())
    reused = client.get(LADDER).json()  # nothing has told this process yet
    assert reused["rows"] == before["rows"]
    assert reused["feeds"]["tt-orders"]["version"] == before["feeds"]["tt-orders"]["version"]

    updates = [m for m in heard(2.0) if m.get("type") == "feed.update"]
    assert updates, "the worker published no update for the new orders file"
    for update in updates:
        api_cache.api_cache_update_heard(update)  # what the hub does with each
    after = client.get(LADDER).json()
    assert buy_qty_at(after, ORDER_PRICE) == buy_qty_at(before, ORDER_PRICE) + 10


async def test_the_hub_tells_its_update_listeners() -> None:
    hub = LiveHub()
    heard: list[str] = []
    hub.update_listeners.append(lambda update: heard.append(update["version"]))
    hub.dispatch(
        {
            "type": "feed.update",
            "feed": "tt-orders",
            "group": "all",
            "seq": 1,
            "version": "v1",
            "key": "tt/orders/x.json",
            "changed": {},
            "file_time": None,
            "s3_event_time": None,
            "ingested_at": 1.0,
        }
    )
    assert heard == ["v1"]


# --- a full process answers 503 at once ----------------------------------------------


async def _call(app: Any, path: str) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


async def _pages(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"page"})


async def test_a_call_beyond_the_limit_is_a_503_with_retry_after_in_json() -> None:
    release = threading.Event()

    def slow_api(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait(10)  # a call that holds its place, as a slow store would
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"path": "%s"}' % environ["PATH_INFO"].encode()]

    server = ApiServer(_pages, wsgi=slow_api, max_in_flight=1, threads=2)
    first = asyncio.create_task(_call(server, "/api/ladder/"))
    async with asyncio.timeout(5):
        while server.in_flight < 1:
            await asyncio.sleep(0.01)

    status, headers, body = await _call(server, "/api/spot-risk/")
    assert status == 503
    assert headers["retry-after"] == "1"
    assert headers["content-type"] == "application/json"
    assert "busy" in json.loads(body)["error"]
    assert await _call(server, "/ladder/") == (200, {}, b"page")  # pages are not limited

    release.set()
    assert (await first)[0] == 200
    assert (await _call(server, "/api/spot-risk/"))[0] == 200  # room again


def test_the_web_process_serves_the_api_through_the_limit() -> None:
    from frgm_site.asgi import application

    http = application.application_mapping["http"]
    while not isinstance(http, ApiServer) and hasattr(http, "app"):  # request id, static files
        http = http.app
    assert isinstance(http, ApiServer)
    assert http.max_in_flight == settings.FRGM_API_MAX_IN_FLIGHT


# --- a store that cannot be reached --------------------------------------------------


@pytest.fixture
def own_state_store(tmp_path: Any, stack: Any) -> Iterator[Any]:
    """A state store of this test's own (a one-node cluster), so it can be stopped."""
    server = redis_start(
        name="state-outage",
        port=free_port(),
        data_dir=tmp_path / "state",
        cluster=True,
        durable=False,
    )
    try:
        with override_settings(FRGM_STATE_REDIS_URL=f"redis://127.0.0.1:{server.port}/0"):
            redis_clients_reset()
            api_cache.api_cache_clear()
            yield server
    finally:
        server.stop()
        redis_clients_reset()
        api_cache.api_cache_clear()


@pytest.mark.parametrize("url", [LADDER, SPOT_RISK])
def test_a_store_outage_is_a_503_in_json_not_a_500(
    own_state_store: Any, trader: Any, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_cache, "RECHECK_S", 0.0)  # every call reads the store
    client = logged_in(trader)
    assert client.get(url).status_code == 404  # reachable, empty
    own_state_store.stop()
    response = client.get(url)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "state store" in response.json()["error"]


# --- bearer tokens are remembered, not trusted past a revocation -----------------------


def test_a_remembered_token_revoked_is_refused_at_once(desk: FeedQueue, trader: Any) -> None:
    token, raw = api_token_create(user=trader, name="poller")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(LADDER).status_code == 200
    assert client.get(LADDER).status_code == 200  # from the remembered lookup
    api_token_revoke(token=token)
    assert client.get(LADDER).status_code == 401
