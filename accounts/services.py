"""Recording the audit trail; creating the local persona users; keeping the admin
role's permissions whole."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from accounts.models import AuditEvent
from accounts.roles import ALL_ROLES, Role


def audit_record(
    *, actor: User | None, action: str, target: str = "", detail: str = ""
) -> AuditEvent:
    """One line of the audit trail: who (None: the system) did what to what.

    Every app records its actions here (ops' on-call actions, accounts' tokens and
    unlocks, the admin's changes), so none reaches a sibling app to audit."""
    return AuditEvent.objects.create(actor=actor, action=action, target=target, detail=detail)


@dataclass(frozen=True)
class CreatedUser:
    username: str
    role: Role
    password: str | None  # None when the user existed and was left alone


def admin_permissions_ensure(*, using: str = "default") -> int:
    """Give the admin group every permission there is; how many it lacked.

    The admin role reaches everything, the Django admin included, and the admin
    checks model permissions: a model added later brings new permissions, so this
    runs after every ``migrate`` (``AccountsConfig``) and in ``create_role_users``.
    """
    group, _ = Group.objects.using(using).get_or_create(name=Role.ADMIN)
    missing = list(Permission.objects.using(using).exclude(group=group))
    group.permissions.add(*missing)
    return len(missing)


@transaction.atomic
def role_users_ensure(*, password: str | None, reset: bool = False) -> list[CreatedUser]:
    """One user per role, named after it; existing users are left as they are
    unless ``reset``, which gives them a new password (for a lost one).

    ``password`` is used for every user it sets; without it each gets a random
    one, returned so it can be shown once. The admin persona holds the admin role
    and nothing more (no superuser flag): what it can do is what the role grants.
    """
    admin_permissions_ensure()
    created: list[CreatedUser] = []
    for role in ALL_ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        user = User.objects.filter(username=role).first()
        if user is not None and not reset:
            created.append(CreatedUser(username=role, role=role, password=None))
            continue
        user_password = password or secrets.token_urlsafe(12)
        if user is None:
            user = User.objects.create_user(username=role, password=user_password)
        else:
            user.set_password(user_password)
            user.save(update_fields=["password"])
        user.groups.add(group)
        created.append(CreatedUser(username=role, role=role, password=user_password))
    return created
