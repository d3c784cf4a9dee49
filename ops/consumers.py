"""The ops pages' websockets: the feed and alarm rows every few seconds, each file's
arrival as it lands, and the ops task runs as they change.

A handful of on-call people watch this page, so each socket renders its own
rows; the markup is the page's own, so a live update reads like a reload.
Between renders, every file the worker finishes is sent as a small ``file``
frame (its feed, arrival and latency: ``ops.live.file_frame``), so a feed's
"last file" cell moves when the file lands, not at the next render.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, cast

from channels.db import database_sync_to_async
from django.conf import settings

from accounts.consumers import RoleGatedConsumer
from accounts.roles import Role
from feeds.messages import FEED_FILES_GROUP, FeedFile
from lib.loops import LoopHealth
from ops.live import file_frame, ops_rows_frame, task_run_html, task_run_update
from ops.messages import OPS_TASKS_GROUP, OpsTaskUpdate
from ops.selectors import recent_task_runs

log = logging.getLogger(__name__)


class OpsConsumer(RoleGatedConsumer):
    required_role = Role.ONCALL
    _pusher: asyncio.Task[None] | None = None
    _told: dict[str, float] | None = None  # feed -> newest arrival sent

    async def on_authorized(self) -> None:
        try:
            await self.channel_layer.group_add(FEED_FILES_GROUP, self.channel_name)
        except Exception as exc:  # messaging away: the rows still come every few seconds
            log.warning("ops page: file arrivals unavailable: %r", exc)
        self._pusher = asyncio.create_task(self._push())

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale DB connections (a hop through the one DB thread, busy
        # rendering rows) before every handler; a file's arrival touches no database:
        # skip it, or the arrival waits behind every socket's render.
        if message["type"] == "feed.file":
            await self.feed_file(cast(FeedFile, message))
            return
        await super().dispatch(message)

    async def feed_file(self, message: FeedFile) -> None:
        """A file landed: its feed's arrival and latency, at once. Two workers finish
        files out of order now and then: an arrival older than one sent is not news."""
        told = self._told if self._told is not None else {}
        self._told = told
        if message["ingested_at"] <= told.get(message["feed"], 0.0):
            return
        told[message["feed"]] = message["ingested_at"]
        await self.send_json(file_frame(message))

    async def _push(self) -> None:
        """A frame every few seconds; one that cannot be rendered (a store away) is
        skipped, logged once per outage: the page keeps its rows and updates again
        when the store is back, without a reload."""
        health = LoopHealth("ops page push", logger=log, stamps=False)
        while True:
            try:
                frame = await database_sync_to_async(ops_rows_frame)()
            except Exception as exc:
                health.failed(exc, what="could not render its rows")
            else:
                health.ok()
                await self.send_json(frame)
            await asyncio.sleep(settings.FRGM_OPS_PUSH_EVERY_S)

    async def disconnect(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.channel_layer.group_discard(FEED_FILES_GROUP, self.channel_name)
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher


def _recent_task_updates() -> list[OpsTaskUpdate]:
    return [task_run_update(run) for run in reversed(recent_task_runs())]


class OpsTasksConsumer(RoleGatedConsumer):
    """The ops task runs, live: every change of a run, as its row (``ops.task_runs``)."""

    required_role = Role.ONCALL
    _joined = False

    async def on_authorized(self) -> None:
        await self.channel_layer.group_add(OPS_TASKS_GROUP, self.channel_name)
        self._joined = True
        # The recent runs as they are now, oldest first (each lands on top): a page
        # that reconnects after a drop shows what changed while it was away.
        updates = await database_sync_to_async(_recent_task_updates)()
        for update in updates:
            await self.ops_task(update)
        await self.send_json({"type": "synced", "runs": len(updates)})  # the page is current

    async def ops_task(self, event: OpsTaskUpdate) -> None:
        await self.send_json(
            {
                "type": "task",
                "run": event["run"],
                "status": event["status"],
                "done": event["done"],
                "total": event["total"],
                "html": task_run_html(event),
            }
        )

    async def disconnect(self, code: int) -> None:
        if self._joined:
            await self.channel_layer.group_discard(OPS_TASKS_GROUP, self.channel_name)
