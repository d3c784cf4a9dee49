"""The channel layer's configuration, in one place for settings and tests."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
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


class FeedChannelLayer(RedisChannelLayer):
    """channels-redis, plus several messages to one group in one round trip.

    The worker publishes one message per changed group of a file (a dozen for a
    spot-risk file), all to the feed's group. ``group_send`` costs four Redis
    round trips and the member lookup each time; ``group_send_many`` looks the
    members up once and delivers every message with one script per Redis host,
    in order (increasing scores: receivers pop the lowest first).
    """

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
