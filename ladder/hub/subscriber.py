"""One local socket's side of the hub: a bounded queue of pre-serialised frames.

A full queue means the browser is too slow: its queue is cleared and it gets one
``resync``, and nothing else until it asks for a snapshot. Nobody waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

from django.conf import settings

from ladder.frames import ResyncFrame
from ladder.hub.encoding import encode


class Subscriber:
    """One local socket: a bounded queue of pre-serialised frames."""

    def __init__(
        self, *, close: Callable[[int], Coroutine[Any, Any, None]], queue_size: int | None = None
    ) -> None:
        size = queue_size or settings.FRGM_LIVE_QUEUE_SIZE
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=size)
        self.view = ""
        self.behind = False  # sent a resync; waits for the browser's snapshot request
        self.closing = False
        self.resyncs = 0
        self.last_seen = time.monotonic()
        self.close = close

    def offer(self, text: str) -> bool:
        """Queue a view frame; a full queue turns into one resync frame."""
        if self.behind:
            return False
        try:
            self.queue.put_nowait(text)
            return True
        except asyncio.QueueFull:
            self.behind = True
            self.resyncs += 1
            self._clear()
            self.queue.put_nowait(
                encode(ResyncFrame(type="resync", view=self.view, reason="too far behind"))
            )
            return False

    def offer_control(self, text: str) -> None:
        """Queue a ping or health frame; dropped silently when there is no room."""
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(text)

    def restart(self, text: str) -> None:
        """Replace whatever is queued by a snapshot: the browser starts over from it."""
        self._clear()
        self.behind = False
        self.queue.put_nowait(text)

    def seen(self) -> None:
        self.last_seen = time.monotonic()

    def _clear(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
