"""Base websocket consumer that checks the session and role on connect."""

from __future__ import annotations

from typing import ClassVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.roles import Role, user_has_role

# Close codes in the application range (4000-4999), mirroring HTTP.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class RoleGatedConsumer(AsyncJsonWebsocketConsumer):
    """Accepts only a logged-in user holding ``required_role``.

    The socket is accepted before it is closed so the browser sees the close
    code (a refused handshake carries none) and can tell "log in" from "denied".
    """

    required_role: ClassVar[Role]

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
        await self.on_authorized()

    async def on_authorized(self) -> None:
        """Join groups and send the first snapshot; subclasses override."""
