"""The LiveHub: one channel-layer subscriber per process, its views and its loops."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import uuid
from collections.abc import Callable
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import TimeoutError as RedisTimeoutError

from feeds.messages import FeedFile, FeedUpdate
from ladder.frames import FeedStamp
from ladder.hub.coalescing import flush_delay, view_delta_send, view_settle
from ladder.hub.config import GROUPS_REFRESH_S, HUB_GROUPS
from ladder.hub.control_frames import health_send, heartbeat_send
from ladder.hub.keys import (
    DEFAULT_INSTRUMENT,
    DEFAULT_TICKS,
    LADDER_PREFIX,
    SLIDE_PREFIX,
    SPOT_RISK_VIEW,
)
from ladder.hub.ladder_view import LadderCompute, LadderRoom, ladder_compute_default
from ladder.hub.slide_view import SlideCompute, SlideRoom, slide_compute_default
from ladder.hub.snapshots import snapshot_queue
from ladder.hub.spot_risk_view import SpotRiskRoom
from ladder.hub.state_reads import feed_stamps
from ladder.hub.subscriber import Subscriber
from ladder.hub.view import View
from lib.compute_process import compute_process_start
from lib.loops import LoopHealth

log = logging.getLogger(__name__)

LEAVE_GROUPS_S = 3.0  # a stopping web process waits this long at most to leave its groups
# ... and this long for its cancelled loops: a loop stuck in a client library's
# cancellation (a blocking receive that swallows the cancel) must not hold the
# process in "Waiting for application shutdown" (the web-restart drill saw 4 min).
LOOPS_STOP_S = 2.0
# Allocations between young collections, young collections between middle ones, and
# middle ones between full ones (CPython's defaults: 700, 10, 10).
GC_THRESHOLDS = (50_000, 20, 100)
# What the compute process imports before it takes work (the recomputes' modules).
COMPUTE_MODULES = (ladder_compute_default.__module__, slide_compute_default.__module__)


class LiveHub:
    """One per event loop (one per web process in production)."""

    def __init__(
        self,
        *,
        ladder_compute: LadderCompute | None = None,
        slide_compute: SlideCompute | None = None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.views: dict[str, View] = {}
        self.feeds: dict[str, FeedStamp] = {}
        self.ladder_compute: LadderCompute = ladder_compute or ladder_compute_default
        self.slide_compute: SlideCompute = slide_compute or slide_compute_default
        self.channel: str | None = None
        self.frames_sent = 0
        # What the hub has heard, as a mark the recomputes share a state read by
        # (``ladder.selectors.scenario.ladder_inputs_shared``): it moves with every
        # update, file and read error, and no two hubs share one.
        self._mark_id = uuid.uuid4().hex
        self.heard = 0
        self._group_seq: dict[tuple[str, str], int] = {}
        self._start_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        # Told of every update first (the API's per-state cache: ``ladder.api_cache``).
        self.update_listeners: list[Callable[[FeedUpdate], None]] = []

    # lifecycle

    async def ensure_started(self) -> None:
        async with self._start_lock:
            if self._tasks:
                return
            layer = get_channel_layer()
            if layer is None:
                raise RuntimeError("no channel layer configured: the live hub needs one")
            # Django, the apps and the settings are loaded by now and live as long as the
            # process: move them out of the collector's sight, so a full collection
            # (which stops the event loop) scans the live objects only, not the startup heap.
            gc.freeze()
            # Each recompute's answer (the ladder's and the slide's rows, ~10,000
            # objects) lives until the next one: at the default 700 allocations a
            # young collection, it was promoted to the oldest generation every time,
            # and the full collections that followed (50-125 ms over 1,000 sockets'
            # objects, the loop stopped) were the fan-out's slowest frames.
            gc.set_threshold(*GC_THRESHOLDS)
            self.channel = await layer.new_channel()
            await self._join(layer)
            try:
                self.feeds = await asyncio.to_thread(feed_stamps)
            except Exception:
                log.warning("live hub: feed health unavailable at start", exc_info=True)
            self._tasks = [
                asyncio.create_task(self._read_loop(layer), name="live-hub-read"),
                asyncio.create_task(self._heartbeat_loop(), name="live-hub-heartbeat"),
                asyncio.create_task(self._health_loop(layer), name="live-hub-health"),
            ]
            log.info("live hub started on %s", self.channel)

    async def stop(self) -> None:
        """Stop the loops and leave every feed group: left in them, this process's
        channel would be sent every update until channels-redis expires it."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if tasks:
            done, stuck = await asyncio.wait(tasks, timeout=LOOPS_STOP_S)
            for task in done:  # retrieved, so asyncio does not log it at exit
                if not task.cancelled():
                    task.exception()
            if stuck:
                log.warning(
                    "live hub: %s did not stop within %.0f s; stopping without them",
                    ", ".join(sorted(t.get_name() for t in stuck)),
                    LOOPS_STOP_S,
                )
        layer = get_channel_layer()
        if layer is not None and self.channel:
            try:
                await asyncio.wait_for(self._leave(layer), LEAVE_GROUPS_S)
            except Exception as exc:  # messaging down: the group expiry cleans up
                log.warning("live hub: could not leave the feed groups: %r", exc)

    async def _leave(self, layer: Any) -> None:
        for group in HUB_GROUPS:
            await layer.group_discard(group, self.channel)

    async def _join(self, layer: Any) -> None:
        for group in HUB_GROUPS:
            await layer.group_add(group, self.channel)

    # subscribers

    async def subscribe(self, key: str, subscriber: Subscriber) -> None:
        """Add a socket to a view and queue its first snapshot."""
        await self.ensure_started()
        view = self.views.get(key)
        if view is None:
            view = self.views[key] = self._view_create(key)
        subscriber.view = key
        async with view.lock:
            view.subscribers.add(subscriber)
            await snapshot_queue(view=view, subscriber=subscriber, feeds=self.feeds)

    async def snapshot(self, subscriber: Subscriber) -> None:
        """A fresh snapshot for a socket that asked for one (gap, resync)."""
        view = self.views.get(subscriber.view)
        if view is None:
            return
        async with view.lock:
            await snapshot_queue(view=view, subscriber=subscriber, feeds=self.feeds)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        view = self.views.get(subscriber.view)
        if view is None:
            return
        view.subscribers.discard(subscriber)
        if not view.subscribers:
            del self.views[subscriber.view]
            if view.flush_task is not None:
                view.flush_task.cancel()

    def writes_pending(self) -> bool:
        """Some socket still has frames queued (the recomputes wait for them to go out)."""
        return any(
            not subscriber.queue.empty()
            for view in self.views.values()
            for subscriber in view.subscribers
        )

    def subscriber_count(self) -> int:
        return sum(len(view.subscribers) for view in self.views.values())

    def _view_create(self, key: str) -> View:
        if key == SPOT_RISK_VIEW:
            return SpotRiskRoom()
        # the recomputes' process, started with the first view that recomputes
        compute_process_start(preload=COMPUTE_MODULES)
        if key.startswith(LADDER_PREFIX):
            instrument, _, ticks = key.removeprefix(LADDER_PREFIX).partition(":")
            return LadderRoom(
                key,
                instrument_id=None if instrument == DEFAULT_INSTRUMENT else instrument,
                ticks=int(ticks) if ticks else DEFAULT_TICKS,
                compute=self.ladder_compute,
                writes_pending=self.writes_pending,
                state_mark=self.state_mark,
            )
        if key.startswith(SLIDE_PREFIX):
            return SlideRoom(
                key,
                compute=self.slide_compute,
                writes_pending=self.writes_pending,
                state_mark=self.state_mark,
            )
        raise ValueError(f"unknown live view {key!r}")

    # updates

    def state_mark(self) -> tuple[str, int]:
        """Equal marks: the hub heard nothing in between (no update, file or error)."""
        return self._mark_id, self.heard

    def dispatch(self, update: FeedUpdate) -> None:
        """One FeedUpdate from the channel layer: fold it into every view it touches."""
        self.heard += 1
        feed, group, seq = update["feed"], update["group"], int(update["seq"])
        last = self._group_seq.get((feed, group))
        gap = last is not None and seq > last + 1
        if gap:
            log.warning("live hub: %s/%s jumped from seq %s to %s", feed, group, last, seq)
        self._group_seq[(feed, group)] = seq  # lower: the worker's counters restarted
        for listener in self.update_listeners:
            try:
                listener(update)
            except Exception:
                log.exception("live hub: update listener %r failed", listener)
        self._stamp(feed, update["ingested_at"], update["file_time"], update["s3_event_time"])
        for view in list(self.views.values()):
            if view.wants(update):
                view.absorb(update, gap=gap)
                self._schedule(view)
            elif feed in view.shown_feeds:
                # the page shows this feed's age but not its rows: tell it in its next frame
                view.news = True
                self._schedule(view)

    def file_landed(self, landed: FeedFile) -> None:
        """A file the worker finished. One that sent updates reaches the pages with
        them (a delta, or a health frame when it changed nothing on a page); one that
        sent none is told to the pages showing its feed in their next frame (the
        settle, or the rest of the interval), not at the next health turn."""
        self.heard += 1
        feed = landed["feed"]
        self._stamp(feed, landed["ingested_at"], landed["file_time"], landed["s3_event_time"])
        if landed["updates"]:
            return
        for view in list(self.views.values()):
            if view.file_absorb(landed):  # a chunk of a batch: its mark may move
                view.dirty = True
            if feed in view.shown_feeds:
                view.news = True
                self._schedule(view)

    def _stamp(
        self, feed: str, ingested_at: float, file_time: str | None, event_time: str | None
    ) -> None:
        stamp = self.feeds.get(feed)
        if stamp is None or (stamp["ingested_at"] or 0) <= ingested_at:
            self.feeds[feed] = FeedStamp(
                ingested_at=ingested_at, file_time=file_time, event_time=event_time
            )

    def _schedule(self, view: View) -> None:
        if view.flush_task is not None and not view.flush_task.done():
            return
        delay = flush_delay(view=view, now=self.loop.time())
        view.flush_task = asyncio.create_task(self._flush_later(view, delay))

    async def _flush_later(self, view: View, delay: float) -> None:
        await asyncio.sleep(delay)
        await view_settle(view=view, loop=self.loop)
        try:
            await self.flush(view)
        finally:
            view.flush_task = None
            if (view.dirty or view.news) and self.views.get(view.key) is view:
                self._schedule(view)

    async def flush(self, view: View) -> None:
        """Send one frame with everything pending for ``view``: a delta if anything on
        the page changed (it carries the news of files that changed nothing, too),
        else a health frame with those files' arrival."""
        view.news = False
        sent = False
        if view.dirty:
            sent = await view_delta_send(view=view, loop=self.loop, feeds=self.feeds)
            if sent:
                self.frames_sent += 1
        if not sent:
            health_send(views=[view], feeds=self.feeds)

    # loops

    async def _read_loop(self, layer: Any) -> None:
        """Read the feed groups; a failing receive is logged once per outage, backed
        off and retried (re-joining the groups), never the end of the loop."""
        health = LoopHealth("live hub reader", logger=log, stamps=False)
        while True:
            try:
                message = await layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except (TimeoutError, RedisTimeoutError):
                # redis-py >= 8 times out an idle BZPOPMIN after its socket timeout
                # (django/channels_redis#422): nothing was lost, block again at once
                continue
            except Exception as exc:
                self.heard += 1  # updates may be lost with the connection: read anew
                await asyncio.sleep(health.failed(exc, what="receive failed"))
                with contextlib.suppress(Exception):
                    await self._join(layer)
                continue
            health.ok()
            kind = message.get("type")
            try:
                if kind == "feed.update":
                    self.dispatch(message)
                elif kind == "feed.file":
                    self.file_landed(message)
            except Exception:
                log.exception("live hub: bad %s message %r", kind, message.get("key"))

    async def _heartbeat_loop(self) -> None:
        health = LoopHealth("live hub heartbeat", logger=log, stamps=False)
        while True:
            await asyncio.sleep(settings.FRGM_LIVE_PING_S)
            try:
                heartbeat_send(views=list(self.views.values()))
            except Exception as exc:
                health.failed(exc)
            else:
                health.ok()

    async def _health_loop(self, layer: Any) -> None:
        """Re-join the groups now and then, and tell browsers of files their deltas
        did not; the state store being away (or anything else) skips a turn only."""
        health = LoopHealth("live hub feed health", logger=log, stamps=False)
        joined = self.loop.time()
        while True:
            await asyncio.sleep(settings.FRGM_LIVE_HEALTH_S)
            if self.loop.time() - joined > GROUPS_REFRESH_S:
                with contextlib.suppress(Exception):
                    await self._join(layer)
                    joined = self.loop.time()
            if not self.subscriber_count():
                continue
            try:
                await self._health_turn()
            except Exception as exc:
                health.failed(exc)
            else:
                health.ok()

    async def _health_turn(self) -> None:
        stamps = await asyncio.to_thread(feed_stamps)
        for feed, stamp in stamps.items():
            known = self.feeds.get(feed)
            if known is None or (known["ingested_at"] or 0) < (stamp["ingested_at"] or 0):
                self.feeds[feed] = stamp
        self.health_broadcast()

    def health_broadcast(self) -> None:
        """Tell each view's sockets about files their deltas did not tell them of."""
        health_send(views=list(self.views.values()), feeds=self.feeds)
