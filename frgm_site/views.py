"""Site-level views: home, health probes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.roles import Role, user_has_role, user_roles
from frgm_site.client_address import request_forwarded
from frgm_site.health import process_restarts, processes_down, readiness_check

LOOPBACK = {"127.0.0.1", "::1"}


def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the first area their role opens."""
    roles = user_roles(request.user)
    if Role.TRADER in roles:
        return redirect("ladder:ladder")
    if Role.ONCALL in roles:
        return redirect("ops:health")
    return render(request, "no_role.html", status=403)


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says (the admin's pages say
    nothing): the site's icon, not a 404 in the log for every page view."""
    return redirect(static("frgm/favicon.svg"), permanent=True)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    results = readiness_check()
    ready = all(r.ok for r in results)
    # On the box itself (the container's HEALTHCHECK, an engineer's curl) the peer
    # is loopback and nothing forwarded the request; a forwarded one came through
    # a proxy, whatever address its header names.
    on_the_box = request.META.get("REMOTE_ADDR") in LOOPBACK and not request_forwarded(request)
    show_details = on_the_box or user_has_role(request.user, Role.ADMIN)
    checks: dict[str, dict[str, object]] = {}
    for result in results:
        entry: dict[str, object] = {"ok": result.ok, "ms": result.millis}
        if show_details and not result.ok:
            entry["detail"] = result.detail
        checks[result.name] = entry
    payload: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": checks}
    restarts = process_restarts()
    if restarts is not None:
        # Under `make run`: how often each process died and was started again.
        payload["restarts"] = restarts
        down = processes_down()
        if down:  # a dead worker or scheduler: the stack only looks healthy
            payload["down"] = down
            payload["status"] = "unavailable"
            ready = False
    return JsonResponse(payload, status=200 if ready else 503)
