"""The ops pages' websockets: the feed and alarm rows every few seconds, and the
ops task runs as they change.

A handful of on-call people watch this page, so each socket renders its own
rows; the markup is the page's own, so a live update reads like a reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from accounts.consumers import RoleGatedConsumer
from accounts.roles import Role
from lib.loops import LoopHealth
from ops.live import ops_rows_frame, task_run_html
from ops.messages import OPS_TASKS_GROUP, OpsTaskUpdate

log = logging.getLogger(__name__)


class OpsConsumer(RoleGatedConsumer):
    required_role = Role.ONCALL
    _pusher: asyncio.Task[None] | None = None

    async def on_authorized(self) -> None:
        self._pusher = asyncio.create_task(self._push())

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
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher


class OpsTasksConsumer(RoleGatedConsumer):
    """The ops task runs, live: every change of a run, as its row (``ops.task_runs``)."""

    required_role = Role.ONCALL
    _joined = False

    async def on_authorized(self) -> None:
        await self.channel_layer.group_add(OPS_TASKS_GROUP, self.channel_name)
        self._joined = True

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
