"""Where a form may send the browser next: only somewhere on this site."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request: HttpRequest, *, default: str) -> str:
    """The ``next`` a form posted (or a link carried) when it points into this site,
    else ``default`` (a URL name or path): a crafted form or link must not turn the
    portal into a redirect to elsewhere."""
    candidate = request.POST.get("next") or request.GET.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
