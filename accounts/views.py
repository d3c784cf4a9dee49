"""The login page: Django's, behind the per-username delay (``accounts.login_throttle``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse

from accounts.login_throttle import login_throttle_wait


class ThrottledLoginView(LoginView):
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Before the password is checked, so a guess costs the wait whatever it is.
        login_throttle_wait(username=str(request.POST.get("username", ""))[:150])
        return super().post(request, *args, **kwargs)
