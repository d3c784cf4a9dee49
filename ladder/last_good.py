"""The last view each page read successfully, for the page to show while the store is down.

In memory, per process, a few entries per page (a 400-tick ladder is ~800 rows):
a trader who loses the state store sees the numbers of a moment ago, marked as
such, rather than nothing. Nothing here is ever served as live: the page says
when it was read.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")

LAST_GOOD_ENTRIES = 16


@dataclass(frozen=True)
class Remembered(Generic[T]):
    value: T
    read_at: float  # epoch seconds


class LastGood(Generic[T]):
    """A small LRU of the last value read for each key."""

    def __init__(self, size: int = LAST_GOOD_ENTRIES) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Remembered[T]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, key: Hashable, value: T) -> None:
        entry = (settings.FRGM_STATE_REDIS_URL, key)  # what one store said, never another's
        with self._lock:
            self._entries[entry] = Remembered(value, time.time())
            self._entries.move_to_end(entry)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def recall(self, key: Hashable) -> Remembered[T] | None:
        with self._lock:
            return self._entries.get((settings.FRGM_STATE_REDIS_URL, key))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
