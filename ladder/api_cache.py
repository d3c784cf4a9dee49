"""The read API's answers, computed once per state and reused until the state moves.

Why: every ``/api/ladder/`` call read ~370 Redis keys (three feeds' health
counters, then every row of four feeds) and rebuilt the ladder, so 50 calls a
second took a web process down (issue 10). A script polls far faster than
the files arrive, so one process keeps one computed body per (endpoint,
parameters) and answers from it while the state is the same.

"The same" is checked on every call with ONE small pipelined read (each
feed's version and last-file stamps, ``feeds.selectors.feed_latest``), not
trusted to a timer or to the live hub's messages: a file the worker finished
is served by the next call, wherever it ran. The stamps move with every file
the worker finishes (a chunk can change rows without moving the version);
a store that cannot be read is ``StateStoreUnavailable`` before anything
stale is served. The feeds' ages are from that read, so they are always now's.

Bounded: at most ``MAX_ENTRIES`` bodies (least recently used go first), and
one computation per key at a time (the others wait for it and use its body).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpResponse

from feeds.records import Feed
from ladder.selectors import FeedAge, feed_ages

MAX_ENTRIES = 64  # (endpoint, parameters) pairs: every desk script's, with room to spare

Token = tuple[tuple[str, str | None, datetime | None], ...]


@dataclass(frozen=True)
class _Entry:
    token: Token
    status: int
    head: bytes  # the JSON object up to where ``"feeds"`` goes, its last member


_entries: OrderedDict[Hashable, _Entry] = OrderedDict()
_computing: dict[Hashable, threading.Lock] = {}
_guard = threading.Lock()


def feeds_json(feeds: Iterable[FeedAge]) -> dict[str, dict[str, Any]]:
    """The ``feeds`` object of an API answer: each feed's age, last file and version."""
    return {
        age.feed: {
            "age_s": age.age_s,
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
    ages = feed_ages(feeds=feeds)
    token: Token = tuple((age.feed, age.version, age.last_ingested_at) for age in ages)
    entry = _entry_fresh(key, token)
    if entry is None:
        with _lock_of(key):
            entry = _entry_fresh(key, token)  # computed while this call waited
            if entry is None:
                entry = _entry_compute(key, token, compute)
    body = entry.head + b'"feeds":' + json.dumps(feeds_json(ages)).encode() + b"}"
    return HttpResponse(body, status=entry.status, content_type="application/json")


def api_cache_clear() -> None:
    with _guard:
        _entries.clear()


def _entry_fresh(key: Hashable, token: Token) -> _Entry | None:
    with _guard:
        entry = _entries.get(key)
        if entry is None or entry.token != token:
            return None
        _entries.move_to_end(key)
        return entry


def _entry_compute(
    key: Hashable, token: Token, compute: Callable[[], tuple[int, dict[str, Any]]]
) -> _Entry:
    # The token was read before the rows: rows can only be as new or newer than it,
    # so an entry is never labelled newer than what it holds.
    status, body = compute()
    text = json.dumps({k: v for k, v in body.items() if k != "feeds"}).encode()
    entry = _Entry(token=token, status=status, head=text[:-1] + (b"," if len(text) > 2 else b""))
    with _guard:
        _entries[key] = entry
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return entry


def _lock_of(key: Hashable) -> threading.Lock:
    with _guard:
        lock = _computing.get(key)
        if lock is None:
            if len(_computing) > MAX_ENTRIES * 4:  # keys long evicted: forget their locks
                _computing.clear()
            lock = _computing[key] = threading.Lock()
        return lock
