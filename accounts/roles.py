"""The three roles and what each may reach.

A role is a Django group. ``admin`` reaches everything; ``trader`` reaches the
ladder and analytics; ``oncall`` reaches the ops pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Role(StrEnum):
    TRADER = "trader"
    ONCALL = "oncall"
    ADMIN = "admin"


ALL_ROLES: tuple[Role, ...] = (Role.TRADER, Role.ONCALL, Role.ADMIN)

# Whatever stands for the caller: a User, AnonymousUser, the lazy request.user or a
# websocket scope's user. Any, because user_roles caches the roles on it as an
# attribute of its own, which no Django class declares.
UserLike = Any


class AuthenticatedHttpRequest(HttpRequest):
    """The request a ``role_required`` view or an admin page sees: LoginRequiredMiddleware
    let it in and a role check passed, so its user is an account, never anonymous.

    For the type checker only (Django builds every request): a view annotated with
    it may hand ``request.user`` to a service that records who acted."""

    user: User


def user_roles(user: UserLike) -> frozenset[Role]:
    """The roles a user holds; admins hold every role."""
    known = user_roles_known(user)
    if known is not None:
        return known
    names = set(user.groups.values_list("name", flat=True))
    roles = roles_from_groups(names, is_superuser=getattr(user, "is_superuser", False))
    user._frgm_roles = roles
    return roles


def user_roles_known(user: UserLike) -> frozenset[Role] | None:
    """The roles ``user_roles`` read for this very user object already (no database
    trip), or None when they were not read yet."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_frgm_roles", None)
    return cached


def roles_from_groups(group_names: Iterable[str], *, is_superuser: bool) -> frozenset[Role]:
    """The roles a user's group names (and superuser flag) grant."""
    names = set(group_names)
    if Role.ADMIN in names or is_superuser:
        return frozenset(ALL_ROLES)
    return frozenset(Role(n) for n in names if n in Role.__members__.values())


def user_has_role(user: UserLike, role: Role) -> bool:
    return role in user_roles(user)


View = TypeVar("View", bound=Callable[..., HttpResponse])


def role_required(role: Role) -> Callable[[View], View]:
    """Deny (403) a logged-in user without ``role``.

    Anonymous users never get here: LoginRequiredMiddleware sends them to login.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_has_role(request.user, role):
                raise PermissionDenied(f"This page needs the {role} role.")
            return view(request, *args, **kwargs)

        wrapped.frgm_required_role = role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
