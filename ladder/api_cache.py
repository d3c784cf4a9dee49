"""The read API's answers, computed once per state and reused until the state moves.

Why: every ``/api/ladder/`` call read ~370 Redis keys (three feeds' health
counters, then every row of four feeds) and rebuilt the ladder, so 50 calls a
second took a web process down (issue 10). A script polls far faster than
files arrive, so a web process keeps one computed body per (endpoint,
parameters) and answers from it while the state is the same, with no Redis
round trip per call.

How it knows the state moved:

- the process's live hub (``ladder.hub``, started by the first API call) hears
  every ``FeedUpdate`` the worker publishes right after it writes the state;
  each one bumps its feed's generation here, and an answer computed at an
  older generation of one of its feeds is computed again by the next call;
- and at least every ``RECHECK_S`` a call reads each feed's version and
  last-file stamps (``feed_latest``: one pipelined round trip). They move with
  every file the worker finishes, so a missed message (messaging down, a hub
  not started) costs at most ``RECHECK_S`` of staleness, and the ``feeds``
  stamps of an answer are never older than that. ``age_s`` is counted at the
  moment of each answer.

A store that cannot be read on a recheck is ``StateStoreUnavailable``. Bounded:
at most ``MAX_ENTRIES`` bodies (least recently used go first), and one refresh
(recheck or computation) per key at a time: the call that finds the entry old
refreshes it and answers from the new one, so a caller that waits for its
answer always sees the state as of its call; calls that arrive during that
refresh answer from the entry as it is (a refresh slowed by a busy store or
CPU holds up one call, not every call of those milliseconds).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpResponse

from feeds.messages import FeedUpdate
from feeds.records import Feed
from ladder.hub import live_hub
from ladder.selectors import FeedAge, feed_ages

log = logging.getLogger(__name__)

MAX_ENTRIES = 64  # (endpoint, parameters) pairs: every desk script's, with room to spare
RECHECK_S = 0.5  # the longest an answer trusts the hub alone

Generation = tuple[int, ...]
Stamps = tuple[tuple[str, str | None, datetime | None], ...]


@dataclass(frozen=True)
class _Entry:
    generation: Generation  # the hub's count of updates to each feed when computed
    stamps: Stamps  # each feed's version and last ingest when computed
    checked: float  # monotonic time of the last read of ``ages``
    ages: tuple[FeedAge, ...]
    status: int
    head: bytes  # the JSON object up to where ``"feeds"`` goes, its last member


_entries: OrderedDict[Hashable, _Entry] = OrderedDict()
_computing: dict[Hashable, threading.Lock] = {}
_generations: dict[str, int] = {}
_guard = threading.Lock()


def feeds_json(feeds: Iterable[FeedAge], *, now: float | None = None) -> dict[str, dict[str, Any]]:
    """The ``feeds`` object of an API answer: each feed's age, last file and version
    (``age_s`` counted to ``now`` when given, else as read)."""
    return {
        age.feed: {
            "age_s": age.age_s
            if now is None or age.last_ingested_at is None
            else round(max(0.0, now - age.last_ingested_at.timestamp()), 1),
            "last_file_time": None
            if age.last_file_time is None
            else age.last_file_time.isoformat(),
            "last_latency_ms": age.last_latency_ms,
            "version": age.version,
        }
        for age in feeds
    }


def api_answer_cached(
    *,
    key: Hashable,
    feeds: Iterable[Feed],
    compute: Callable[[], tuple[int, dict[str, Any]]],
) -> HttpResponse:
    """The JSON answer for ``key``: ``compute()``'s (status, body without ``feeds``),
    computed at most once per state of ``feeds``, with their ages added as of now.

    Raises ``StateStoreUnavailable`` (the store is down) and whatever ``compute``
    raises (nothing is cached then).
    """
    wanted = tuple(feeds)
    generation = _generation_of(wanted)  # before any read: an update after it recomputes
    entry = _entry_get(key)
    if entry is None:
        with _lock_of(key):  # one computation: the other calls wait for it and use it
            entry = _entry_get(key)
            if entry is None:
                entry = _entry_refresh(key, None, generation, wanted, compute)
    elif entry.generation != generation or _stale(entry):
        lock = _lock_of(key)
        if lock.acquire(blocking=False):  # this call refreshes it, and waits for that
            try:
                entry = _entry_refresh(key, entry, generation, wanted, compute)
            finally:
                lock.release()
        # else another call is refreshing it: answer from the entry as it is meanwhile
    feeds_text = json.dumps(feeds_json(entry.ages, now=time.time())).encode()
    return HttpResponse(
        entry.head + b'"feeds":' + feeds_text + b"}",
        status=entry.status,
        content_type="application/json",
    )


def api_cache_update_heard(update: FeedUpdate) -> None:
    """The hub heard the worker change a feed's state: answers over it are old now."""
    with _guard:
        _generations[update["feed"]] = _generations.get(update["feed"], 0) + 1


async def api_cache_hub_attach() -> None:
    """Start this event loop's live hub (if no socket has yet) and hear its updates."""
    hub = live_hub()
    if api_cache_update_heard not in hub.update_listeners:
        hub.update_listeners.append(api_cache_update_heard)
    await hub.ensure_started()


def api_cache_clear() -> None:
    with _guard:
        _entries.clear()


def _generation_of(feeds: tuple[Feed, ...]) -> Generation:
    with _guard:
        return tuple(_generations.get(str(feed), 0) for feed in feeds)


def _stale(entry: _Entry) -> bool:
    return time.monotonic() - entry.checked >= RECHECK_S


def _entry_refresh(
    key: Hashable,
    entry: _Entry | None,
    generation: Generation,
    feeds: tuple[Feed, ...],
    compute: Callable[[], tuple[int, dict[str, Any]]],
) -> _Entry:
    """Read the feeds' stamps: the entry's own, it is good for ``RECHECK_S`` more;
    else compute the answer again."""
    ages = feed_ages(feeds=feeds)
    stamps: Stamps = tuple((age.feed, age.version, age.last_ingested_at) for age in ages)
    if entry is not None and entry.generation == generation and entry.stamps == stamps:
        return _entry_put(key, dataclasses.replace(entry, checked=time.monotonic(), ages=ages))
    return _entry_compute(key, generation, stamps, ages, compute)


def _entry_get(key: Hashable) -> _Entry | None:
    with _guard:
        entry = _entries.get(key)
        if entry is not None:
            _entries.move_to_end(key)
        return entry


def _entry_put(key: Hashable, entry: _Entry) -> _Entry:
    with _guard:
        _entries[key] = entry
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return entry


def _entry_compute(
    key: Hashable,
    generation: Generation,
    stamps: Stamps,
    ages: tuple[FeedAge, ...],
    compute: Callable[[], tuple[int, dict[str, Any]]],
) -> _Entry:
    # The stamps were read before the rows: rows can only be as new or newer than
    # them, so an entry is never labelled newer than what it holds.
    status, body = compute()
    text = json.dumps({k: v for k, v in body.items() if k != "feeds"}).encode()
    head = text[:-1] + (b"," if len(text) > 2 else b"")
    return _entry_put(
        key,
        _Entry(
            generation=generation,
            stamps=stamps,
            checked=time.monotonic(),
            ages=ages,
            status=status,
            head=head,
        ),
    )


def _lock_of(key: Hashable) -> threading.Lock:
    with _guard:
        lock = _computing.get(key)
        if lock is None:
            if len(_computing) > MAX_ENTRIES * 4:  # keys long evicted: forget their locks
                _computing.clear()
            lock = _computing[key] = threading.Lock()
        return lock
