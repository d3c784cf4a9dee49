"""The client's address: REMOTE_ADDR, as the web server resolved it.

uvicorn believes X-Forwarded-For only from ``FRGM_TRUSTED_PROXIES`` (the ALB's
subnets; the Dockerfile passes the same variable) and takes the rightmost entry
none of them wrote, so REMOTE_ADDR is the address the ALB saw and nothing a
client writes into the header. Nothing here reads that header again.
"""

from __future__ import annotations

from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: pinned, so that django-ipware, which
    axes uses whenever it is importable, cannot bring back a header's leftmost entry."""
    return request.META.get("REMOTE_ADDR") or None


def request_forwarded(request: HttpRequest) -> bool:
    """The request came through a proxy (whatever address it claims to be for)."""
    return "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META
