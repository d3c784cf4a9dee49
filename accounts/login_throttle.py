"""Login throttling around django-axes: a delay per username, the lockout page, unlocking.

django-axes counts failed logins per (username, address) pair and locks that
pair only (``AXES_LOCKOUT_PARAMETERS`` in settings): wrong passwords typed from
one address cannot lock the owner out from another, and a good login resets
only its own pair, so an attacker's login to their own account clears nothing
of anyone else's. Guesses spread over many addresses are slowed per username
instead: each recent failure adds ``FRGM_LOGIN_DELAY_STEP_S`` before the
password is checked, up to ``FRGM_LOGIN_DELAY_MAX_S``.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.roles import UserLike
from accounts.services import audit_record

log = logging.getLogger(__name__)

LOCKED_OUT_TEMPLATE = "registration/locked_out.html"
LOCKED_OUT_STATUS = 429

# The login view sleeps in its own request thread (Django gives each ASGI request
# one), never in the event loop; a name of our own so a test can watch it.
_sleep = time.sleep


def login_delay_s(*, failures: int) -> float:
    """Seconds to wait before checking a password of a username with ``failures``."""
    step = float(settings.FRGM_LOGIN_DELAY_STEP_S)
    return min(max(failures, 0) * step, float(settings.FRGM_LOGIN_DELAY_MAX_S))


def login_failures_recent(*, username: str) -> int:
    """Failed logins for ``username`` from every address within the cool-off time."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return int(total or 0)


def login_throttle_wait(*, username: str) -> float:
    """Wait the username's delay (blocking the calling thread); the seconds waited."""
    if not username:
        return 0.0
    delay = login_delay_s(failures=login_failures_recent(username=username))
    if delay > 0:
        _sleep(delay)
    return delay


def login_unlock(
    *, username: str, ip_address: str | None = None, actor: UserLike | None, via: str
) -> int:
    """Forget the username's failed logins (from ``ip_address``, or from every
    address); how many records went. Audited when anything was locked."""
    count = int(reset(username=username, ip=ip_address) or 0)
    if count:
        target = username if ip_address is None else f"{username} from {ip_address}"
        audit_record(actor=actor, action="login.unlock", target=target, detail=via)
        log.info("login: %s unlocked by %s (%s)", target, actor, via)
    return count


def login_lockout_minutes() -> int:
    return max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def login_lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' answer to a locked pair (``AXES_LOCKOUT_CALLABLE``): what
    happened, for how long, and who can lift it."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {"username": username, "minutes": login_lockout_minutes()}
    return render(request, LOCKED_OUT_TEMPLATE, context, status=LOCKED_OUT_STATUS)
