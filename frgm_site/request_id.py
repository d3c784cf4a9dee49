"""A request id on every log line written while a request is served.

``RequestIdASGI`` chooses it first, outside Django, so uvicorn's access line,
a static file's answer and Django's own lines all carry the same one: it sets
the id for the request's task (uvicorn writes its access line from there) and
hands it to Django as the ``X-Request-Id`` header, which ``RequestIdMiddleware``
(ASGI pages and the WSGI-served ``/api/`` alike) then keeps.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

from frgm_site.api_asgi import AsgiApp, Receive, Scope, Send

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
# The ALB sends X-Amzn-Trace-Id; a client may send X-Request-Id. Accept only
# a short token so a header cannot inject text into our logs.
_SAFE_ID = re.compile(r"^[A-Za-z0-9=;.\-]{1,128}$")


def current_request_id() -> str:
    return _request_id.get()


def request_id_choose(headers: Mapping[str, str]) -> str:
    """The caller's id (``X-Request-Id``, else the ALB's ``X-Amzn-Trace-Id``) when it
    is a short safe token, else a new one. ``headers``: lower-case names."""
    incoming = headers.get("x-request-id") or headers.get("x-amzn-trace-id")
    return incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex


class RequestIdASGI:
    """ASGI (HTTP): choose the request's id, set it for the request's task, pass it
    on as ``X-Request-Id`` and answer with it."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = request_id_choose(headers)
        forwarded = [(k, v) for k, v in scope["headers"] if k.lower() != b"x-request-id"]
        scope = {**scope, "headers": [*forwarded, (b"x-request-id", request_id.encode())]}
        answer_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                if b"x-request-id" not in names:
                    message = {**message, "headers": [*message.get("headers", []), answer_header]}
            await send(message)

        token = _request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)


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
        request_id = request_id_choose(
            {name.lower(): value for name, value in request.headers.items()}
        )
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
