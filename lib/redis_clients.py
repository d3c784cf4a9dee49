"""The two Redis roles: the state store (cluster client) and messaging (plain).

The state store is MemoryDB in AWS, which speaks only the cluster protocol;
locally it is a one-node cluster, so the code path tested is the AWS one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from functools import cache
from typing import ParamSpec, TypeVar

import redis
from django.conf import settings
from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException, RedisError

P = ParamSpec("P")
T = TypeVar("T")

# Everything redis-py raises: RedisClusterException (the cluster client could not
# reach any node, e.g. while re-mapping the slots of a dead node) is no RedisError.
STATE_STORE_ERRORS = (RedisError, RedisClusterException)


class StateStoreUnavailable(RuntimeError):
    """The state store could not be reached."""


def state_store() -> RedisCluster:
    """The cluster client; it maps the slots on creation, so an unreachable
    store fails here, as ``StateStoreUnavailable``."""
    try:
        return _state_store()
    except STATE_STORE_ERRORS as exc:
        raise StateStoreUnavailable(f"state store: {type(exc).__name__}: {exc}") from exc


def state_store_call(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` with every redis-py failure as ``StateStoreUnavailable``.

    A ``RedisClusterException`` means the cluster client gave up re-mapping the
    slots: the cached client is dropped, so the next call maps them afresh.
    """
    try:
        return fn(*args, **kwargs)
    except RedisClusterException as exc:
        state_store_reset()
        raise StateStoreUnavailable(f"state store: {type(exc).__name__}: {exc}") from exc
    except RedisError as exc:
        raise StateStoreUnavailable(f"state store: {type(exc).__name__}: {exc}") from exc


def state_store_reset() -> None:
    """Forget the cluster client (closing it); the next ``state_store()`` makes a new one."""
    if _state_store.cache_info().currsize:
        client = _state_store()
        _state_store.cache_clear()
        with suppress(Exception):  # closing a client of a dead store may fail: it is gone
            client.close()


@cache
def _state_store() -> RedisCluster:
    # A blocking pool: a call waits a moment for a free connection instead of failing
    # at once with MaxConnectionsError (issue 10), and never opens more than the cap.
    return RedisCluster.from_url(
        settings.FRGM_STATE_REDIS_URL,
        socket_timeout=settings.FRGM_REDIS_TIMEOUT_S,
        socket_connect_timeout=settings.FRGM_REDIS_TIMEOUT_S,
        decode_responses=False,
        connection_pool_class=redis.BlockingConnectionPool,
        max_connections=settings.FRGM_STATE_REDIS_MAX_CONNECTIONS,
        timeout=settings.FRGM_STATE_REDIS_POOL_WAIT_S,
    )


@cache
def messaging() -> redis.Redis:
    return redis.Redis.from_url(
        settings.FRGM_MESSAGING_REDIS_URL,
        socket_timeout=settings.FRGM_REDIS_TIMEOUT_S,
        socket_connect_timeout=settings.FRGM_REDIS_TIMEOUT_S,
    )


def redis_clients_reset() -> None:
    for factory in (_state_store, messaging):
        if factory.cache_info().currsize:
            factory().close()
        factory.cache_clear()
