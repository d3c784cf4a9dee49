"""The channel layer's configuration, in one place for settings and tests."""

from __future__ import annotations

from typing import Any

# channels-redis waits up to 5 s in BRPOP for a message; redis-py 8 would cut
# that wait off with its own socket timeout and kill an idle consumer
# (django/channels_redis#422). The socket must outwait the pop.
SOCKET_TIMEOUT_S = 15


def channel_layers_config(url: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, "socket_timeout": SOCKET_TIMEOUT_S}],
                "capacity": 200,
                "expiry": 10,
            },
        }
    }
