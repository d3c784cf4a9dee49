"""The socket guard: one per web process (event loop), closing its sockets that
lost their session, user or role (``accounts.sockets`` says which).

Like the live hub (``ladder.hub``), it holds ONE channel-layer channel for the
whole process, in ``SOCKETS_GROUP``, not one per socket: a revocation costs one
Redis message per process. It runs while the process has guarded sockets and
stops with the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import TimeoutError as RedisTimeoutError

from accounts.sockets import (
    CLOSE_UNAUTHENTICATED,
    SOCKETS_GROUP,
    SocketIdentity,
    sockets_refused,
)

log = logging.getLogger(__name__)
RETRY_S = 1.0


class GuardedSocket(Protocol):
    guard_identity: SocketIdentity | None

    async def revoke(self, code: int) -> None: ...


@dataclass
class _Run:
    """One start of the guard: its channel, its loops and the event that ends them."""

    channel: str
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class SocketGuard:
    def __init__(self) -> None:
        self.sockets: set[GuardedSocket] = set()
        self.closed = 0
        self._run: _Run | None = None

    @property
    def channel(self) -> str | None:
        return self._run.channel if self._run is not None else None

    async def add(self, socket: GuardedSocket) -> None:
        self.sockets.add(socket)
        if self._run is None:
            # A plain channel, not a process-specific one (``new_channel``): its receive
            # is a BZPOPMIN of its own, not a turn at the lock channels-redis shares
            # between the process's specific channels (the hub's, each ops socket's).
            run = self._run = _Run(channel=f"{SOCKETS_GROUP}.{uuid.uuid4().hex}")
            run.tasks = [
                asyncio.create_task(self._read_loop(run), name="socket-guard-read"),
                asyncio.create_task(self._recheck_loop(run), name="socket-guard-recheck"),
            ]

    async def discard(self, socket: GuardedSocket) -> None:
        self.sockets.discard(socket)
        if self.sockets or self._run is None:
            return
        # The run is detached first: a socket that connects meanwhile starts a new
        # one at once instead of waiting for this one to wind down.
        run, self._run = self._run, None
        run.stopping.set()
        for task in run.tasks:
            task.cancel()
        # Bounded: a receive cancelled just after a message can take a while to end
        # inside channels-redis; its loop then sees ``stopping`` and returns.
        await asyncio.wait(run.tasks, timeout=RETRY_S)
        layer = get_channel_layer()
        if layer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(layer.group_discard(SOCKETS_GROUP, run.channel), RETRY_S)

    async def revoke(self, *, session_keys: set[str], user_ids: set[int]) -> None:
        """Close the sockets of ended sessions; re-check those of changed users."""
        ended = [s for s in self.sockets if _identity(s).session_key in session_keys]
        for socket in ended:
            await self._close(socket, CLOSE_UNAUTHENTICATED)
        await self.recheck([s for s in self.sockets if _identity(s).user_id in user_ids])

    async def recheck(self, sockets: list[GuardedSocket]) -> None:
        if not sockets:
            return
        identities = [_identity(s) for s in sockets]
        codes = await database_sync_to_async(sockets_refused)(sockets=identities)
        for socket, code in zip(sockets, codes, strict=True):
            if code is not None:
                await self._close(socket, code)

    async def _close(self, socket: GuardedSocket, code: int) -> None:
        if socket not in self.sockets:
            return  # closed already, or gone
        self.sockets.discard(socket)
        self.closed += 1
        log.info("sockets: closing user %s's socket (%s)", _identity(socket).user_id, code)
        try:
            await socket.revoke(code)
        except Exception:
            log.warning("sockets: closing a socket failed", exc_info=True)

    async def _read_loop(self, run: _Run) -> None:
        layer = get_channel_layer()
        if layer is None:
            return  # no channel layer: the periodic re-check is all there is
        failing = False
        while not run.stopping.is_set():
            try:
                await layer.group_add(SOCKETS_GROUP, run.channel)
                if failing:
                    log.info("sockets: channel layer back")
                    failing = False
                while not run.stopping.is_set():
                    message = await layer.receive(run.channel)
                    try:
                        await self._handle(message)
                    except Exception:  # the database is away: the re-check loop retries
                        log.warning("sockets: revocation failed", exc_info=True)
            except asyncio.CancelledError:
                raise
            except (TimeoutError, RedisTimeoutError):
                # redis-py >= 8 times out an idle BZPOPMIN (django/channels_redis#422)
                continue
            except Exception:
                if not failing:
                    log.warning("sockets: channel layer unavailable", exc_info=True)
                failing = True
                await asyncio.sleep(RETRY_S)

    async def _handle(self, message: dict[str, Any]) -> None:
        if message.get("type") != "sockets.revoke":
            return
        await self.revoke(
            session_keys=set(message.get("session_keys") or ()),
            user_ids={int(i) for i in message.get("user_ids") or ()},
        )

    async def _recheck_loop(self, run: _Run) -> None:
        failing = False
        while not run.stopping.is_set():
            await asyncio.sleep(float(settings.FRGM_SOCKET_RECHECK_S))
            layer = get_channel_layer()
            if layer is not None:
                # Group membership expires in channels-redis: stay in it.
                with contextlib.suppress(Exception):
                    await layer.group_add(SOCKETS_GROUP, run.channel)
            try:
                await self.recheck(list(self.sockets))
                failing = False
            except Exception:  # the database is away: once per outage, try again next time
                if not failing:
                    log.warning("sockets: periodic re-check failed", exc_info=True)
                failing = True


def _identity(socket: GuardedSocket) -> SocketIdentity:
    identity = socket.guard_identity
    assert identity is not None, "only authorised sockets are guarded"
    return identity


_GUARDS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SocketGuard] = (
    weakref.WeakKeyDictionary()
)


def socket_guard() -> SocketGuard:
    """This event loop's guard (created on first use)."""
    loop = asyncio.get_running_loop()
    guard = _GUARDS.get(loop)
    if guard is None:
        guard = _GUARDS[loop] = SocketGuard()
    return guard
