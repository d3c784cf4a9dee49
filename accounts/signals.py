"""What closes a user's live sockets: each receiver publishes one ``SocketsRevoke``
(``accounts.sockets``); connected in ``AccountsConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.utils import timezone

from accounts.sockets import sockets_revoke_publish

# A login only stamps last_login: nothing to re-check.
_HARMLESS_UPDATES = frozenset({"last_login"})


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    sockets_revoke_publish(session_keys=[getattr(session, "session_key", None) or ""])


def _session_deleted(sender: Any, instance: Session, **kwargs: Any) -> None:
    # An expired session's sockets are the periodic re-check's: clearsessions
    # deleting thousands of them publishes nothing.
    if instance.expire_date > timezone.now():
        sockets_revoke_publish(session_keys=[instance.session_key])


def _user_saved(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    # Deactivated, a new password (its sessions end), superuser flag dropped...
    if created or (update_fields is not None and set(update_fields) <= _HARMLESS_UPDATES):
        return
    sockets_revoke_publish(user_ids=[instance.pk])


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    sockets_revoke_publish(user_ids=[instance.pk])


def _groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    """A role (group) taken from users, from either side of the relation."""
    if action == "pre_clear" and reverse:
        # group.user_set.clear(): who they were is unknown afterwards
        instance._frgm_cleared_user_ids = list(instance.user_set.values_list("pk", flat=True))
    elif action == "post_clear":
        ids = getattr(instance, "_frgm_cleared_user_ids", []) if reverse else [instance.pk]
        sockets_revoke_publish(user_ids=ids)
    elif action == "post_remove":
        sockets_revoke_publish(user_ids=pk_set if reverse else [instance.pk])


def _group_deleting(sender: Any, instance: Group, **kwargs: Any) -> None:
    # Sent after the commit, when the group and its memberships are gone.
    sockets_revoke_publish(user_ids=instance.user_set.values_list("pk", flat=True))


def socket_signals_connect() -> None:
    user_model = get_user_model()
    uid = "accounts.sockets."
    user_logged_out.connect(_logged_out, dispatch_uid=uid + "logged_out")
    post_delete.connect(_session_deleted, sender=Session, dispatch_uid=uid + "session")
    post_save.connect(_user_saved, sender=user_model, dispatch_uid=uid + "user_saved")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid=uid + "user_deleted")
    m2m_changed.connect(
        _groups_changed, sender=user_model.groups.through, dispatch_uid=uid + "groups"
    )
    pre_delete.connect(_group_deleting, sender=Group, dispatch_uid=uid + "group_deleted")
