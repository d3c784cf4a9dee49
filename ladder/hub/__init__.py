"""The live hub: one channel-layer subscriber per web process, fanning out to local sockets.

Why: one Channels consumer per socket fed by ``group_send`` delivered a broadcast
to 1,000 sockets at p99 0.65-0.84 s on our 2-core machines; one subscriber per
process writing one pre-serialised frame to every local socket reached ~0.2 s
(issue 5, "Benchmark"). So:

- the hub joins the feeds' all-updates groups (``feed.<feed>``) with ONE
  channel for the whole process and reads ``FeedUpdate`` messages
  (``process_hub``);
- it keeps the state of each live view (``spot-risk``, ``ladder:<instrument>``,
  ``slide:<parameters>``) in memory, one room each (``View`` in ``view``;
  ``SpotRiskRoom``, ``LadderRoom``, ``SlideRoom``: one per distinct parameter set,
  computed once per update for all of its sockets, in the web process's compute
  process (``lib.compute_process``) so it never holds the loop's GIL; the pages'
  read models are ``ladder.selectors``' ``SpotRiskView`` and ``LadderView``),
  formats cells as the pages do (``ladder.formatting``), coalesces updates
  per view (a short settle, a file's last part and a spot-risk chunk batch's
  last chunk, then at most one frame per ``FRGM_LIVE_INTERVAL_S``:
  ``coalescing``), numbers the view's frames (``seq``) and serialises each
  frame once (spot-risk frames packed: ``ladder.frames``, ``cells``); a view's
  snapshot is built and encoded once per state of the view and shared by every
  socket that asks while it is current (``snapshots``: a restarted web process
  is asked for hundreds at once);
- every socket is a ``Subscriber`` with a bounded queue (``subscriber``); a full
  queue means the browser is too slow: its queue is cleared and it gets one
  ``resync``, and nothing else until it asks for a snapshot. Nobody waits for it.
- one heartbeat loop pings every socket and closes the silent ones; one
  health loop tells browsers when each feed's last file arrived
  (``control_frames``).

All of it runs in the web process's event loop; the ladder and slide recomputes
run in the compute process, other Redis reads (view loads, feed health:
``state_reads``) through ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from ladder.hub.cells import (
    Cells,
    FrameCell,
    PackedCells,
    packed_cells,
    packed_row,
    row_frame_cells,
    spot_risk_columns,
    spot_risk_totals,
)
from ladder.hub.config import (
    GROUPS_REFRESH_S,
    LADDER_FEEDS,
    SUBSCRIBED_FEEDS,
)
from ladder.hub.encoding import encode
from ladder.hub.keys import (
    DEFAULT_INSTRUMENT,
    DEFAULT_TICKS,
    LADDER_PREFIX,
    MAX_TICKS,
    SLIDE_PREFIX,
    SPOT_RISK_VIEW,
    ladder_view_key,
)
from ladder.hub.ladder_view import (
    LadderCompute,
    LadderRoom,
    LadderUnavailable,
    ladder_compute_default,
)
from ladder.hub.process_hub import LiveHub
from ladder.hub.slide_view import SlideCompute, SlideRoom, slide_view_key, slide_view_query
from ladder.hub.spot_risk_view import SpotRiskRoom
from ladder.hub.subscriber import Subscriber
from ladder.hub.view import View

__all__ = [
    "DEFAULT_INSTRUMENT",
    "DEFAULT_TICKS",
    "GROUPS_REFRESH_S",
    "LADDER_FEEDS",
    "LADDER_PREFIX",
    "MAX_TICKS",
    "SLIDE_PREFIX",
    "SPOT_RISK_VIEW",
    "SUBSCRIBED_FEEDS",
    "Cells",
    "FrameCell",
    "LadderCompute",
    "LadderRoom",
    "LadderUnavailable",
    "LiveHub",
    "PackedCells",
    "SlideCompute",
    "SlideRoom",
    "SpotRiskRoom",
    "Subscriber",
    "View",
    "encode",
    "ladder_compute_default",
    "ladder_view_key",
    "live_hub",
    "live_hub_lifespan",
    "live_hub_stop",
    "packed_cells",
    "packed_row",
    "row_frame_cells",
    "slide_view_key",
    "slide_view_query",
    "spot_risk_columns",
    "spot_risk_totals",
]

log = logging.getLogger(__name__)

_HUBS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveHub] = weakref.WeakKeyDictionary()


def live_hub() -> LiveHub:
    """This event loop's hub (created on first use; started by the first subscriber)."""
    loop = asyncio.get_running_loop()
    hub = _HUBS.get(loop)
    if hub is None:
        hub = _HUBS[loop] = LiveHub()
    return hub


async def live_hub_stop() -> None:
    """Stop this event loop's hub, if it has one: its channel leaves every feed group."""
    hub = _HUBS.pop(asyncio.get_running_loop(), None)
    if hub is not None:
        await hub.stop()


async def live_hub_lifespan(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """The ASGI lifespan app: at shutdown (after the sockets closed) the process's hub
    leaves its feed groups, so a restarted web process's old channel is not sent
    every update until channels-redis expires it."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await live_hub_stop()
            except Exception:  # shutting down regardless
                log.exception("live hub: stop failed")
            await send({"type": "lifespan.shutdown.complete"})
            return
