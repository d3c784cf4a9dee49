"""Which live sockets must close now: the channel-layer message that says so,
its one publisher, and the check of a socket's session, user and role.

Logging out, deleting a session, deactivating or changing a user, and removing
a role publish one ``SocketsRevoke`` to ``SOCKETS_GROUP``; every web process's
socket guard (``accounts.socket_guard``) closes its own sockets of that session
(4401) or re-checks its sockets of those users (4401 or 4403). The guard also
re-checks every socket every ``FRGM_SOCKET_RECHECK_S``, so a lost message or a
change no signal reports (an expired session) closes them too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.roles import Role, roles_from_groups

log = logging.getLogger(__name__)

SOCKETS_GROUP = "accounts.sockets"
PUBLISH_TIMEOUT_S = 2.0
# Close codes in the application range (4000-4999), mirroring HTTP.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
_DB_SESSION_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}


class SocketsRevoke(TypedDict):
    """Close the sockets of these sessions; re-check the sockets of these users."""

    type: Literal["sockets.revoke"]
    session_keys: list[str]
    user_ids: list[int]


@dataclass(frozen=True)
class SocketIdentity:
    """What a socket was opened as: checked again whenever it may have changed."""

    user_id: int
    session_key: str
    role: Role


def sockets_revoke_publish(
    *, session_keys: Iterable[str] = (), user_ids: Iterable[int] = ()
) -> None:
    """Tell every web process, once the current transaction commits (so the
    re-check reads the change). Never raises: the periodic re-check is the backstop."""
    message = SocketsRevoke(
        type="sockets.revoke",
        session_keys=sorted({k for k in session_keys if k}),
        user_ids=sorted({int(i) for i in user_ids}),
    )
    if message["session_keys"] or message["user_ids"]:
        transaction.on_commit(lambda: _send(message))


def _send(message: SocketsRevoke) -> None:
    try:
        async_to_sync(_group_send)(message)
    except Exception:  # the messaging Redis is away: the periodic re-check closes them later
        log.warning("sockets: could not publish %s", message, exc_info=True)


async def _group_send(message: SocketsRevoke) -> None:
    layer = get_channel_layer()
    if layer is not None:
        # Bounded: a logout or an admin save must not hang on an unreachable Redis.
        await asyncio.wait_for(layer.group_send(SOCKETS_GROUP, dict(message)), PUBLISH_TIMEOUT_S)


def sockets_refused(*, sockets: Sequence[SocketIdentity]) -> list[int | None]:
    """For each socket, the close code it must get now, or None while it may stay:
    4401 when its session is gone or expired, names another user, or was made
    before a password change, or the user is gone or inactive; 4403 when the
    user no longer holds the socket's role. A few queries for any number."""
    sessions = _sessions_decoded({s.session_key for s in sockets})
    users = {
        user.pk: user
        for user in get_user_model().objects.filter(pk__in={s.user_id for s in sockets})
    }
    memberships = get_user_model().groups.through.objects.filter(user_id__in=users)
    groups: dict[int, set[str]] = {}
    for user_id, name in memberships.values_list("user_id", "group__name"):
        groups.setdefault(user_id, set()).add(name)
    codes: list[int | None] = []
    for socket in sockets:
        user = users.get(socket.user_id)
        if (
            user is None
            or not user.is_active
            or not _session_holds(sessions.get(socket.session_key), user)
        ):
            codes.append(CLOSE_UNAUTHENTICATED)
        elif socket.role not in roles_from_groups(
            groups.get(user.pk, ()), is_superuser=user.is_superuser
        ):
            codes.append(CLOSE_FORBIDDEN)
        else:
            codes.append(None)
    return codes


def _sessions_decoded(keys: set[str]) -> dict[str, dict[str, Any]]:
    """The live sessions among ``keys``, decoded (expired ones are left out)."""
    if settings.SESSION_ENGINE in _DB_SESSION_ENGINES:
        rows = Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
        return {row.session_key: row.get_decoded() for row in rows}
    store = import_module(settings.SESSION_ENGINE).SessionStore
    loaded = {key: store(session_key=key).load() for key in keys}
    return {key: data for key, data in loaded.items() if data}


def _session_holds(data: dict[str, Any] | None, user: Any) -> bool:
    """As ``django.contrib.auth.get_user`` decides whether a session is still the user's."""
    if not data or str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    if data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return False
    session_hash = data.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    return any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    )
