"""No 500 for a dependency that is down, and JSON errors everywhere under ``/api/``.

``ErrorResponsesMiddleware``:

- under ``/api/``, every error response is JSON (``{"error": ..., "status": ...,
  "request_id": ...}``), whoever made it: Django's 404 for an unknown path, the
  405 of ``require_GET``, a CSRF 403, the 500 of an uncaught exception. Scripts
  parse the body; an HTML page there broke them;
- a 503 under ``/api/`` always carries ``Retry-After``;
- a view that lets the state store's or AWS's unavailability escape answers
  503 (JSON under ``/api/``, a page with the banner elsewhere) instead of 500.
  The pages and the API handle these themselves; this is the net under them,
  for a read path added later (the API's read path is being reworked for load).

Texts never carry the exception's own message: a client's error names internal
hosts, ports and endpoint URLs. The log keeps the detail, by request id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from feeds.store_status import STORE_ERRORS, UNAVAILABLE_TEXT
from frgm_site.request_id import current_request_id
from lib.aws import AwsUnavailable

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
RETRY_AFTER_S = 5  # the state store's fail-fast window and banner check are shorter
_COPIED_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After", "X-Request-Id")
_MESSAGES = {
    404: "no such API endpoint",
    405: "method not allowed",
    500: "internal error; the request id names it in the server's log",
    503: "a service behind the API is unavailable; try again shortly",
}


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error_json(response: HttpResponse, *, request_id: str) -> HttpResponse:
    """``response`` as the API's JSON error, when it is an error and not JSON already."""
    status = response.status_code
    if status < 400:
        return response
    if response.get("Content-Type", "").startswith("application/json"):
        out = response
    else:
        message = _MESSAGES.get(status) or HTTPStatus(status).phrase.lower()
        out = JsonResponse({"error": message, "status": status, "request_id": request_id})
        out.status_code = status
        for name in _COPIED_HEADERS:
            if name in response:
                out[name] = response[name]
    if status == 503 and "Retry-After" not in out:
        out["Retry-After"] = str(RETRY_AFTER_S)
    return out


def dependency_unavailable_response(
    request: HttpRequest, exc: BaseException
) -> HttpResponse | None:
    """The answer for an escaped dependency failure (None: not one, let Django 500)."""
    if isinstance(exc, STORE_ERRORS):
        what = UNAVAILABLE_TEXT
    elif isinstance(exc, AwsUnavailable):
        what = "an AWS service (history, archive or queue) is unavailable"
    else:
        return None
    log.warning("%s %s: %s: %s", request.method, request.path, type(exc).__name__, exc)
    if _is_api(request):
        body = {"error": f"{what}; try again shortly", "status": 503}
        response: HttpResponse = JsonResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
    context = {"what": what, "state_store_down": isinstance(exc, STORE_ERRORS)}
    return render(request, "503.html", context, status=503)


class ErrorResponsesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_api(request):
            return api_error_json(response, request_id=current_request_id())
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return dependency_unavailable_response(request, exception)
