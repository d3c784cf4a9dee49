"""The channel layer's configuration, in one place for settings and tests."""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Any

from channels_redis.core import RedisChannelLayer

log = logging.getLogger(__name__)

# channels-redis waits up to 5 s in BRPOP for a message; redis-py 8 would cut
# that wait off with its own socket timeout and kill an idle consumer
# (django/channels_redis#422). The socket must outwait the pop.
SOCKET_TIMEOUT_S = 15


def channel_layers_config(url: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "frgm_site.channel_layers.FeedChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, "socket_timeout": SOCKET_TIMEOUT_S}],
                "capacity": 200,
                "expiry": 10,
            },
        }
    }


# KEYS: one channel key per (message, channel key) pair, in send order;
# ARGV: the serialised messages in the same order, then each pair's capacity,
# then the first score, the step between scores and the expiry.
_SEND_MANY_LUA = """
local n = #KEYS
local first = tonumber(ARGV[2 * n + 1])
local step = tonumber(ARGV[2 * n + 2])
local expiry = ARGV[2 * n + 3]
local over_capacity = 0
for i = 1, n do
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], first + (i - 1) * step, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


# Pops up to ARGV[1] messages off a process's channel key (KEYS[1]) into its
# backup (KEYS[2]) in one round trip. The backup first: ARGV[2] == "1" when the
# last pop was cut off (a cancelled receive) and may hold messages nobody got,
# which go back in front; else it holds messages already handed out: dropped.
_POP_MANY_LUA = """
if ARGV[2] == '1' then
    local backed_up = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
    for i = #backed_up, 1, -2 do
        redis.call('ZADD', KEYS[1], backed_up[i], backed_up[i - 1])
    end
end
redis.call('DEL', KEYS[2])
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[1]))
for i = 1, #popped, 2 do
    redis.call('ZADD', KEYS[2], popped[i + 1], popped[i])
end
return popped
"""
# Messages one round trip takes off a process's channel key at most.
RECEIVE_MANY = 50


class FeedChannelLayer(RedisChannelLayer):
    """channels-redis, plus several messages to one group in one round trip, and
    several messages off a process's channels in one round trip.

    The worker publishes one message per changed group of a file (a dozen for a
    spot-risk file), all to the feed's group. ``group_send`` costs four Redis
    round trips and the member lookup each time; ``group_send_many`` looks the
    members up once and delivers every message with one script per Redis host,
    in order (increasing scores: receivers pop the lowest first).

    On the receiving side every channel of a web process (its live hub's, each
    ops socket's) shares one Redis key, and channels-redis pops it one message
    at a time with four round trips each, strictly in turn: a 16-chunk batch is
    ~400 messages there, so the last chunk's arrival queued behind ~1,500 round
    trips on a busy event loop (0.1-0.5 s, measured by ``bench.pixel``).
    ``receive_single`` here takes what is waiting, up to ``RECEIVE_MANY``, in one
    script, and hands it out in order; it blocks (BZPOPMIN, as channels-redis)
    only when nothing waits.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._popped: dict[str, deque[bytes]] = defaultdict(deque)
        self._cut_off: dict[str, bool] = {}  # channel key -> its last pop may be lost

    async def receive_single(self, channel: str) -> tuple[str, dict[str, Any]]:
        if "!" not in channel:  # a shared (worker) channel: channels-redis's own way
            return await super().receive_single(channel)
        assert self.require_valid_channel_name(channel, receive=True), "Channel name invalid"
        channel_key = self.prefix + channel
        popped = self._popped[channel_key]
        if not popped:
            await self._pop_many(self.consistent_hash(channel), channel_key, popped)
        message = self.deserialize(popped.popleft())
        if "__asgi_channel__" in message:  # the full channel name it was sent to
            channel = message.pop("__asgi_channel__")
        return channel, message

    async def _pop_many(self, index: int, channel_key: str, into: deque[bytes]) -> None:
        """Wait for the next messages of ``channel_key``; put them ``into`` in order.

        Safe to cancel: until the messages are in ``into`` they are in the backup
        key too, and the next pop puts them back in front (channels-redis's
        guarantee, kept)."""
        connection = self.connection(index)
        backup = self._backup_channel_name(channel_key)
        restore = self._cut_off.get(channel_key, True)
        self._cut_off[channel_key] = True
        while True:
            popped = await connection.eval(
                _POP_MANY_LUA, 2, channel_key, backup, RECEIVE_MANY, "1" if restore else "0"
            )
            restore = False  # the backup is empty now, or holds what ``popped`` returned
            if popped:
                members = popped[0::2]
                break
            # Nothing waits: block for the next message, as channels-redis does.
            result = await connection.bzpopmin(channel_key, timeout=self.brpop_timeout)
            if result is not None:
                _, member, score = result
                await connection.zadd(backup, {member: float(score)})
                members = [member]
                break
        into.extend(members)
        self._cut_off[channel_key] = False

    async def group_send_many(self, group: str, messages: Sequence[dict[str, Any]]) -> int:
        """Send ``messages`` to every channel in ``group``; returns how many
        deliveries were dropped because a channel was over capacity."""
        assert self.require_valid_group_name(group), "Group name not valid"
        key = self._group_key(group)
        connection = self.connection(self.consistent_hash(group))
        now = time.time()
        await connection.zremrangebyscore(key, min=0, max=int(now) - self.group_expiry)
        channel_names = [name.decode("utf8") for name in await connection.zrange(key, 0, -1)]
        if not channel_names:
            return 0
        # Per Redis host: (channel key, serialised message, capacity), in send order.
        pending: dict[int, list[tuple[str, bytes, int]]] = defaultdict(list)
        for message in messages:
            by_host, serialised, capacity = self._map_channel_keys_to_connection(
                channel_names, message
            )
            for index, channel_keys in by_host.items():
                pending[index] += [(k, serialised[k], capacity[k]) for k in channel_keys]
        dropped = 0
        for index, sends in pending.items():
            host = self.connection(index)
            keys = [channel_key for channel_key, _, _ in sends]
            async with host.pipeline(transaction=False) as pipe:
                for channel_key in dict.fromkeys(keys):
                    pipe.zremrangebyscore(channel_key, min=0, max=int(now) - int(self.expiry))
                await pipe.execute()
            dropped += await host.eval(
                _SEND_MANY_LUA,
                len(keys),
                *keys,
                *(body for _, body, _ in sends),
                *(capacity for _, _, capacity in sends),
                now,
                1e-6,  # scores a microsecond apart keep the messages in send order
                self.expiry,
            )
        if dropped:  # as channels-redis's own group_send says it
            log.info("%s deliveries over capacity in group %s", dropped, group)
        return dropped
