"""Live websocket consumers: thin sockets on the per-process live hub (ladder.hub).

A consumer checks the session and role (``RoleGatedConsumer``), registers a
``Subscriber`` with the hub (which queues the first snapshot) and runs one
writer task that sends the hub's pre-serialised frames as they are. It reads
two things from the browser: ``{"type": "snapshot"}`` and ``{"type": "pong"}``.
Sockets hold no channel-layer channel of their own: the hub is the process's
only subscriber, so a broadcast costs one Redis message per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs

from django.http import HttpRequest, QueryDict

from accounts.consumers import RoleGatedConsumer
from accounts.roles import Role
from ladder.api import slide_query
from ladder.frames import CLOSE_BAD_REQUEST, ErrorFrame
from ladder.hub import (
    DEFAULT_TICKS,
    MAX_TICKS,
    SPOT_RISK_VIEW,
    LiveHub,
    Subscriber,
    encode,
    ladder_view_key,
    live_hub,
    slide_view_key,
)

log = logging.getLogger(__name__)
_HANDLERS = {  # the socket's messages, handled without Channels' DB clean-up hop
    "websocket.connect": "websocket_connect",
    "websocket.receive": "websocket_receive",
    "websocket.disconnect": "websocket_disconnect",
}
CLOSE_UNAVAILABLE = 1011  # server error: the browser reconnects with backoff
_INSTRUMENT = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
NO_CHANNEL_LAYER = "frgm-live-no-layer"  # an alias that is not configured: no channel per socket


class LiveViewConsumer(RoleGatedConsumer):
    """One socket of one live view. Subclasses say which view from the URL."""

    required_role = Role.TRADER
    channel_layer_alias = NO_CHANNEL_LAYER

    hub: LiveHub | None = None
    subscriber: Subscriber | None = None
    writer: asyncio.Task[None] | None = None

    def view_key(self) -> str:
        raise NotImplementedError

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale DB connections (a hop through the process's one DB
        # thread) before every handler. Browser frames (pongs, snapshot requests) touch
        # no database, and connect and disconnect reach it only through
        # database_sync_to_async, which closes them itself: skip it, so a round of
        # 1,000 pongs, or 500 sockets reconnecting to a restarted web process, queue
        # no hop of their own on that thread.
        handler = _HANDLERS.get(message["type"])
        if handler is None:
            await super().dispatch(message)
            return
        await getattr(self, handler)(message)

    async def on_authorized(self) -> None:
        try:
            key = self.view_key()
        except ValueError as exc:
            await self.send(text_data=encode(_error("bad-request", str(exc))))
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        self.hub = live_hub()
        self.subscriber = Subscriber(close=self._close_for)
        self.writer = asyncio.create_task(self._write(self.subscriber))
        try:
            await self.hub.subscribe(key, self.subscriber)
        except Exception as exc:  # the messaging Redis is away: say so, the browser retries
            log.warning("live: %s unavailable: %s", key, exc)
            await self.send(text_data=encode(_error("unavailable", "live updates unavailable")))
            await self.close(code=CLOSE_UNAVAILABLE)

    async def _write(self, subscriber: Subscriber) -> None:
        """Drain the socket's queue: the frames are sent as serialised, once, by the hub."""
        queue = subscriber.queue
        send = self.base_send  # straight to the server: the frame is text already
        while True:
            text = await queue.get()
            await send({"type": "websocket.send", "text": text})

    async def _close_for(self, code: int) -> None:
        await self.close(code=code)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.subscriber is None or self.hub is None:
            return  # refused or closing
        self.subscriber.seen()
        try:
            content: Any = json.loads(text_data or "")
        except ValueError:
            await self._error("bad-request", "frames are JSON objects")
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "pong":
            return
        if kind == "snapshot":
            await self.hub.snapshot(self.subscriber)
            return
        await self._error("bad-request", f"unknown frame type {kind!r}")

    async def _error(self, code: str, message: str) -> None:
        if self.subscriber is not None:
            self.subscriber.offer_control(encode(_error(code, message)))

    async def disconnect(self, code: int) -> None:
        if self.hub is not None and self.subscriber is not None:
            self.hub.unsubscribe(self.subscriber)
        if self.writer is not None:
            self.writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.writer


class LadderConsumer(LiveViewConsumer):
    """``/ws/ladder/?instrument=<TT instrument id>&ticks=N``: the scenario ladder."""

    def view_key(self) -> str:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        instrument = (query.get("instrument") or [""])[0].strip() or None
        if instrument is not None and not _INSTRUMENT.match(instrument):
            raise ValueError("instrument: letters, digits and . _ : - only")
        raw_ticks = (query.get("ticks") or [""])[0].strip()
        try:
            ticks = int(raw_ticks) if raw_ticks else DEFAULT_TICKS
        except ValueError:
            raise ValueError("ticks: a whole number") from None
        if not 1 <= ticks <= MAX_TICKS:
            raise ValueError(f"ticks: between 1 and {MAX_TICKS}")
        return ladder_view_key(instrument_id=instrument, ticks=ticks)


class SlideConsumer(LiveViewConsumer):
    """``/ws/slide/?moves=&step=&vol_shifts=&days=&by_expiry=&instrument=``: the risk
    slide of one parameter set (checked as ``/api/slide/`` checks them).

    Besides ``snapshot`` and ``pong`` it reads ``{"type": "subscribe", "query":
    "<the same query string>"}``: the socket leaves its view for the new parameters'
    view (a snapshot follows); a bad query is answered with an error and changes
    nothing.
    """

    def view_key(self) -> str:
        return _slide_key(self.scope.get("query_string", b"").decode("latin-1"))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        content: Any = None
        if text_data and "subscribe" in text_data:  # pongs (most frames) parsed once only
            with contextlib.suppress(ValueError):
                content = json.loads(text_data)
        if not (isinstance(content, dict) and content.get("type") == "subscribe"):
            await super().receive(text_data=text_data, bytes_data=bytes_data)
            return
        if self.subscriber is None or self.hub is None:
            return
        self.subscriber.seen()
        try:
            key = _slide_key(str(content.get("query") or ""))
        except ValueError as exc:
            await self._error("bad-request", str(exc))
            return
        if key != self.subscriber.view:
            self.hub.unsubscribe(self.subscriber)
            await self.hub.subscribe(key, self.subscriber)


def _slide_key(query_string: str) -> str:
    """The slide view of a query string; ``ValueError`` (``BadParameter``) names a bad one."""
    request = HttpRequest()
    request.GET = QueryDict(query_string)
    return slide_view_key(**slide_query(request))


class SpotRiskConsumer(LiveViewConsumer):
    """``/ws/spot-risk/``: every instrument of the newest spot-risk state."""

    def view_key(self) -> str:
        return SPOT_RISK_VIEW


def _error(code: str, message: str) -> ErrorFrame:
    return ErrorFrame(type="error", code=code, message=message)
