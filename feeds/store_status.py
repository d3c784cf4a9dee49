"""Is the state store answering? What the web's reads go through, and what the banner asks.

Every read the pages, the API and the live hub make goes through ``state_read``:

- any error a Redis client raises becomes ``StateStoreUnavailable`` with a text
  that names no host or port (users see it; the log keeps the cause). redis-py's
  cluster client raises ``RedisClusterException`` when no node answers, which is
  not a ``RedisError``: it escaped as a 500 before.
- after a failure, reads fail at once for ``FAIL_FAST_S`` instead of each
  waiting for its own connect timeout (a page makes a dozen reads; a store that
  drops packets would hold every worker thread for the timeout each time).

``state_store_down`` is the site-wide banner's check: the outcome of the latest
read when it is recent, else one PING, cached for ``CHECK_EVERY_S`` per process.
Nothing is cached across an outage but these timestamps, so the pages recover
by themselves within seconds of the store coming back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from redis.exceptions import RedisClusterException, RedisError

from lib.redis_clients import StateStoreUnavailable, state_store, state_store_call

log = logging.getLogger(__name__)

FAIL_FAST_S = 1.0
CHECK_EVERY_S = 2.0
UNAVAILABLE_TEXT = "the state store is unavailable"
# What a Redis client can raise when the store is down, restarting or refusing:
# StateStoreUnavailable (state_store() could not map the cluster), RedisError, and
# RedisClusterException (not a RedisError), and the OSError a socket may leak.
STORE_ERRORS: tuple[type[BaseException], ...] = (
    StateStoreUnavailable,
    RedisError,
    RedisClusterException,
    OSError,
)

T = TypeVar("T")


class _Outcomes:
    """What this process knows of one store (by URL: a test pointing at a dead port
    must not make the real store look down to the next test)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.at = 0.0  # monotonic time of the latest read or check
        self.ok = True
        self.failed_at = -FAIL_FAST_S
        self.logged = False  # the outage is in the log already


_outcomes: dict[str, _Outcomes] = {}


def _current() -> _Outcomes:
    url = settings.FRGM_STATE_REDIS_URL
    found = _outcomes.get(url)
    if found is None:
        found = _outcomes.setdefault(url, _Outcomes())
    return found


def state_outcome_record(*, ok: bool) -> None:
    """Remember how the latest read went (the banner and the fail-fast window use it)."""
    outcomes = _current()
    now = time.monotonic()
    outcomes.at, outcomes.ok = now, ok
    if ok:
        if outcomes.logged:
            log.info("state store answering again")
        outcomes.logged = False
    else:
        outcomes.failed_at = now


def state_read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, a read of the state store; ``StateStoreUnavailable``
    (with a text safe to show) when the store cannot answer."""
    outcomes = _current()
    if time.monotonic() - outcomes.failed_at < FAIL_FAST_S:
        raise StateStoreUnavailable(UNAVAILABLE_TEXT)
    try:
        # state_store_call also drops a cluster client that gave up re-mapping the
        # slots, so the web, like the worker, reconnects once the store is back.
        result = state_store_call(fn, *args, **kwargs)
    except STORE_ERRORS as exc:
        state_outcome_record(ok=False)
        if not outcomes.logged:  # once per outage, with the detail (hosts) for the log only
            log.warning("state store read failed: %s: %s", type(exc).__name__, exc)
            outcomes.logged = True
        raise StateStoreUnavailable(UNAVAILABLE_TEXT) from exc
    state_outcome_record(ok=True)
    return result


def state_store_down() -> bool:
    """Whether the state store is down now, as far as this process can tell cheaply."""
    outcomes = _current()
    if time.monotonic() - outcomes.at < CHECK_EVERY_S:
        return not outcomes.ok
    if not outcomes.lock.acquire(blocking=False):  # another thread is asking: use what we know
        return not outcomes.ok
    try:
        state_read(lambda: state_store().ping())
    except StateStoreUnavailable:
        return True
    finally:
        outcomes.lock.release()
    return False
