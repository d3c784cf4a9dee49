"""Creating the local persona users."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction

from accounts.roles import ALL_ROLES, Role


@dataclass(frozen=True)
class CreatedUser:
    username: str
    role: Role
    password: str | None  # None when the user existed and was left alone


@transaction.atomic
def role_users_ensure(*, password: str | None, reset: bool = False) -> list[CreatedUser]:
    """One user per role, named after it; existing users are left as they are
    unless ``reset``, which gives them a new password (for a lost one).

    ``password`` is used for every user it sets; without it each gets a random
    one, returned so it can be shown once.
    """
    created: list[CreatedUser] = []
    for role in ALL_ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        user = User.objects.filter(username=role).first()
        if user is not None and not reset:
            created.append(CreatedUser(username=role, role=role, password=None))
            continue
        user_password = password or secrets.token_urlsafe(12)
        if user is None:
            user = User.objects.create_user(
                username=role,
                password=user_password,
                is_staff=role is Role.ADMIN,
                is_superuser=role is Role.ADMIN,
            )
        else:
            user.set_password(user_password)
            user.save(update_fields=["password"])
        user.groups.add(group)
        created.append(CreatedUser(username=role, role=role, password=user_password))
    return created
