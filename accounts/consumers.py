"""Base websocket consumer that checks the session and role on connect, and
closes the socket as soon as either is lost (``accounts.socket_guard``)."""

from __future__ import annotations

from typing import Any, ClassVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.roles import Role, user_has_role
from accounts.socket_guard import socket_guard
from accounts.sockets import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, SocketIdentity

__all__ = ["CLOSE_FORBIDDEN", "CLOSE_UNAUTHENTICATED", "RoleGatedConsumer"]


class RoleGatedConsumer(AsyncJsonWebsocketConsumer):
    """Accepts only a logged-in user holding ``required_role``.

    The socket is accepted before it is closed so the browser sees the close
    code (a refused handshake carries none) and can tell "log in" from "denied".
    An accepted socket is guarded: logging out, a deactivated user or a removed
    role closes it with the same codes within seconds.
    """

    required_role: ClassVar[Role]
    guard_identity: SocketIdentity | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await database_sync_to_async(user_has_role)(user, self.required_role):
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept()
        session = self.scope.get("session")
        self.guard_identity = SocketIdentity(
            user_id=user.pk,
            session_key=getattr(session, "session_key", None) or "",
            role=self.required_role,
        )
        await socket_guard().add(self)
        await self.on_authorized()

    async def on_authorized(self) -> None:
        """Join groups and send the first snapshot; subclasses override."""

    async def revoke(self, code: int) -> None:
        """The guard found the session, user or role gone: close now."""
        await self.close(code=code)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        if self.guard_identity is not None:
            await socket_guard().discard(self)
        await super().websocket_disconnect(message)
