"""The Django admin, reachable by the admin role only.

Anonymous users go to the portal's one login page; a logged-in user without
the admin role gets 403 rather than the admin's own login form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, reverse

from accounts.roles import Role, user_has_role
from lib.redirects import next_url


def _drop_admin_login_url(patterns: list[URLPattern | URLResolver]) -> None:
    """LoginRequiredMiddleware honours a view's ``login_url``: one login page for all."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _drop_admin_login_url(pattern.url_patterns)
        else:
            pattern.callback.__dict__.pop("login_url", None)


_View = TypeVar("_View", bound=Callable[..., Any])


class FrgmAdminSite(admin.AdminSite):
    site_header = "FRGM Live administration"
    site_title = "FRGM Live admin"

    def has_permission(self, request: HttpRequest) -> bool:
        # The role decides, not Django's is_staff flag: a member of the admin group
        # opens the admin, and the group holds every model permission
        # (accounts.services.admin_permissions_ensure).
        user = request.user
        return bool(user.is_active and user_has_role(user, Role.ADMIN))

    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        inner = super().admin_view(view, cacheable)

        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not self.has_permission(request):
                raise PermissionDenied("The admin pages need the admin role.")
            return inner(request, *args, **kwargs)

        # The wrapper takes and returns what the view does, as Django's own does.
        return cast(_View, update_wrapper(wrapper, inner))

    def get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super().get_urls()
        _drop_admin_login_url(urls)
        return urls

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """No second login form: anonymous visitors go to the portal's (which
        LoginRequiredMiddleware does first); an admin goes on, to a ``next`` only
        when it stays on this site."""
        if not request.user.is_authenticated:
            return redirect_to_login(next_url(request, default="/admin/"), settings.LOGIN_URL)
        if not self.has_permission(request):
            raise PermissionDenied("The admin pages need the admin role.")
        return redirect(next_url(request, default=reverse("admin:index", current_app=self.name)))
