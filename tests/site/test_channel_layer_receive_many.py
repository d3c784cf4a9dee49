"""A web process takes a burst of messages off its channels in a few Redis round
trips, not four each in turn: the last file of a chunk batch reaches the pages
without queueing behind every message before it. Nothing is lost or reordered."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis

from frgm_site.channel_layers import FeedChannelLayer

pytestmark = pytest.mark.asyncio


def layer_on(stack, **config) -> FeedChannelLayer:
    return FeedChannelLayer(hosts=[stack.messaging_url], **config)


def count_round_trips(layer: FeedChannelLayer) -> list[str]:
    """The Redis commands ``layer`` sends from now on (one round trip each)."""
    sent: list[str] = []
    connection = layer.connection(0)
    real = connection.execute_command

    async def counted(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await real(*args, **options)

    connection.execute_command = counted  # type: ignore[method-assign]
    return sent


async def test_a_burst_reaches_a_processs_channels_in_a_few_round_trips_in_order(stack):
    layer = layer_on(stack, capacity=500)
    hub, ops = await layer.new_channel(), await layer.new_channel()  # one process's two
    await layer.group_add("feed.spot-risk", hub)
    await layer.group_add("feed.files", ops)
    for chunk in range(16):  # a batch: a dozen updates and one arrival per chunk
        updates = [{"type": "feed.update", "chunk": chunk, "seq": n} for n in range(12)]
        await layer.group_send_many("feed.spot-risk", updates)
        await layer.group_send_many("feed.files", [{"type": "feed.file", "chunk": chunk}])
    sent = count_round_trips(layer)
    to_hub = [await layer.receive(hub) for _ in range(16 * 12)]
    to_ops = [await layer.receive(ops) for _ in range(16)]
    assert [(m["chunk"], m["seq"]) for m in to_hub] == [
        (chunk, n) for chunk in range(16) for n in range(12)
    ]
    assert [m["chunk"] for m in to_ops] == list(range(16))
    # 208 messages: channels-redis alone needs four round trips for each (832)
    assert len(sent) <= 10, sent
    await layer.flush()


async def test_a_receive_cancelled_while_it_waits_loses_nothing(stack):
    layer = layer_on(stack)
    channel = await layer.new_channel()
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0.1)  # blocked in Redis, nothing there yet
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await layer.send(channel, {"type": "feed.file", "n": 1})
    await layer.send(channel, {"type": "feed.file", "n": 2})
    assert [(await layer.receive(channel))["n"] for _ in range(2)] == [1, 2]
    await layer.flush()


async def test_messages_popped_by_a_receive_cut_off_in_redis_come_back_in_front(stack):
    """The round trip that popped them never answered (a cancel at the wrong
    moment): the backup puts them back in front of what came after."""
    layer = layer_on(stack)
    channel = await layer.new_channel()
    channel_key = layer.prefix + channel
    backup = layer._backup_channel_name(channel_key)
    await layer.send(channel, {"type": "feed.file", "n": 3})
    plain = redis.Redis.from_url(stack.messaging_url)
    try:
        # what the cut-off pop did in Redis: the waiting message, moved to the backup
        for member, score in plain.zrange(channel_key, 0, -1, withscores=True):
            plain.zadd(backup, {member: score})
            plain.zrem(channel_key, member)
    finally:
        plain.close()
    layer._cut_off[channel_key] = True
    await layer.send(channel, {"type": "feed.file", "n": 4})
    assert [(await layer.receive(channel))["n"] for _ in range(2)] == [3, 4]
    await layer.flush()
