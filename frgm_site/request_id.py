"""A request id on every log line written while a request is served."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
# The ALB sends X-Amzn-Trace-Id; a client may send X-Request-Id. Accept only
# a short token so a header cannot inject text into our logs.
_SAFE_ID = re.compile(r"^[A-Za-z0-9=;.\-]{1,128}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        if request_id == "-":
            # django.request logs a response's status after the middleware chain
            # returns, outside our context; it passes the request along instead.
            request = getattr(record, "request", None)
            request_id = getattr(request, "frgm_request_id", "-")
        record.request_id = request_id
        return True


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id") or request.headers.get("X-Amzn-Trace-Id")
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        # An attribute of our own on the request, as Django's middlewares add theirs
        # (request.user): RequestIdFilter reads it on django.request's lines.
        request.frgm_request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-Id"] = request_id
        return response
