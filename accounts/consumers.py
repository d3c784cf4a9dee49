"""Base websocket consumer that checks the session and role on connect, and
closes the socket as soon as either is lost (``accounts.socket_guard``); and the
auth stack in front of it, which reads the session, the user and the user's roles
in one trip to the database."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, ClassVar

from channels.auth import AuthMiddleware
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.contrib import auth

from accounts.roles import Role, user_has_role, user_roles, user_roles_known
from accounts.socket_guard import socket_guard
from accounts.sockets import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, SocketIdentity

__all__ = [
    "CLOSE_FORBIDDEN",
    "CLOSE_UNAUTHENTICATED",
    "RoleGatedConsumer",
    "SocketAuthMiddleware",
    "socket_auth_stack",
    "socket_user",
]


def socket_user(scope: dict[str, Any]) -> Any:
    """The user of the scope's session, checked as Django checks a request's (the
    session's auth hash, with the secret key's fallbacks), with its roles read:
    cached on the user, so the consumer's role check needs no trip of its own."""
    user = auth.get_user(SimpleNamespace(session=scope["session"]))  # type: ignore[arg-type]
    user_roles(user)
    return user


class SocketAuthMiddleware(AuthMiddleware):
    """Channels' ``AuthMiddleware`` with the user's roles read in the same trip.

    Every ``database_sync_to_async`` call is a turn on the process's ONE database
    thread, and each opened its own connection (``CONN_MAX_AGE`` 0): a web process
    restarted under 500 sockets queued 500 x 2 turns there (session and user, then
    the roles), the busiest thread of the reconnect storm (docs/RELIABILITY.md).
    """

    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        scope["user"]._wrapped = await database_sync_to_async(socket_user)(scope)


def socket_auth_stack(inner: Any) -> Any:
    """Channels' ``AuthMiddlewareStack`` (cookies, session, user) with the roles read too."""
    return CookieMiddleware(SessionMiddleware(SocketAuthMiddleware(inner)))


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
        roles = user_roles_known(user)  # read with the user (``socket_auth_stack``)
        if roles is None:
            allowed = await database_sync_to_async(user_has_role)(user, self.required_role)
        else:
            allowed = self.required_role in roles
        if not allowed:
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
