"""The live hub's loops outlive any exception a client library raises (logged once per
outage), and a stopping web process takes its channel out of every feed group."""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis
from channels.layers import get_channel_layer
from django.test import override_settings
from redis.exceptions import RedisClusterException

import ladder.hub.process_hub as process_hub
import lib.loops
from accounts.sockets import SOCKETS_GROUP
from feeds.messages import feed_all_group_name
from feeds.publish import updates_publish
from frgm_site.asgi import application
from ladder.hub import SUBSCRIBED_FEEDS, live_hub

from .conftest import connect, frame, spot_row, spot_update

pytestmark = pytest.mark.django_db(transaction=True)


async def _until(condition, timeout_s: float = 5.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_the_reader_outlives_failing_receives_and_says_so_once(
    stack, trader, live_settings, caplog, monkeypatch
) -> None:
    caplog.set_level(logging.INFO, logger="ladder.hub.process_hub")
    monkeypatch.setattr(lib.loops, "BACKOFF_FIRST_S", 0.05)
    layer = get_channel_layer()
    real_receive = layer.receive
    failures: list[Exception] = [
        RedisClusterException("Redis Cluster cannot be connected"),
        RuntimeError("connection pool closed"),
        KeyError("channel"),
    ]

    async def flaky_receive(channel: str):
        # the hub's reader only: the socket guard reads its own channel on this layer too
        if failures and not channel.startswith(SOCKETS_GROUP):
            raise failures.pop(0)
        return await real_receive(channel)

    monkeypatch.setattr(layer, "receive", flaky_receive)
    socket = await connect("/ws/spot-risk/", trader)
    await frame(socket)  # the snapshot
    assert await _until(lambda: not failures)

    await asyncio.to_thread(updates_publish, [spot_update(1, {"K1": spot_row("K1", "1.5")})])
    delta = await frame(socket)
    assert delta["seq"] == 1  # the reader kept going
    await socket.disconnect()

    lines = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.getMessage().startswith("live hub reader")
    ]
    assert len(lines) == 2, lines  # the outage began, then ended: not once a failure
    assert "RedisClusterException" in lines[0]
    assert "recovered after" in lines[1]


async def test_the_ping_and_health_loops_outlive_an_exception(
    stack, trader, live_settings, monkeypatch
) -> None:
    pings: list[int] = []
    healths: list[int] = []

    def ping(**kwargs) -> None:
        pings.append(1)
        if len(pings) == 1:
            raise RuntimeError("a bug in a ping")

    def health(**kwargs) -> None:
        healths.append(1)
        if len(healths) == 1:
            raise RedisClusterException("Redis Cluster cannot be connected")

    monkeypatch.setattr(process_hub, "heartbeat_send", ping)
    monkeypatch.setattr(process_hub, "health_send", health)
    with override_settings(FRGM_LIVE_PING_S=0.05, FRGM_LIVE_HEALTH_S=0.05):
        socket = await connect("/ws/spot-risk/", trader)
        await frame(socket)
        assert await _until(lambda: len(pings) >= 3 and len(healths) >= 3)
        await socket.disconnect()


def _members(port: int, group: str) -> set[str]:
    conn = redis.Redis(port=port)
    try:
        key = get_channel_layer()._group_key(group)
        return {member.decode() for member in conn.zrange(key, 0, -1)}
    finally:
        conn.close()


async def test_a_stopping_web_process_takes_its_channel_out_of_every_feed_group(
    stack, trader, live_settings
) -> None:
    socket = await connect("/ws/spot-risk/", trader)
    await frame(socket)
    channel = live_hub().channel
    port = stack.messaging.port
    groups = [feed_all_group_name(feed) for feed in SUBSCRIBED_FEEDS]
    for group in groups:
        assert channel in await asyncio.to_thread(_members, port, group)
    await socket.disconnect()

    # What uvicorn sends the app when the process stops (after closing the sockets).
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return inbox.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    lifespan = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    await asyncio.wait_for(application(lifespan, receive, send), 10)

    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    for group in groups:
        assert channel not in await asyncio.to_thread(_members, port, group), group
