"""How ``/api/`` is served: Django's sync handler on a small thread pool, bounded.

Why: under ASGI, Django runs every sync part of a call (our request-id
middleware, each ``MiddlewareMixin`` hook, the view) through
``sync_to_async`` in a thread it creates for that call, about sixteen hops
between the event loop and that thread per call. For the JSON API, whose
answers are cached (``ladder.api_cache``), that bookkeeping was most of the
cost (~2-3 ms CPU per call against ~0.9 ms through the sync handler), and
nothing bounded it: at 50 calls a second on a busy machine the threads and
their Redis connections piled up (issue 10: 100-connection pool exhausted,
RSS 178 -> 427 MB, p99 25-50 s).

So an ``/api/`` call runs through Django's own WSGI handler (the same settings,
middleware and views as a page; what Django runs under gunicorn) in one hop
to a pool of ``FRGM_API_THREADS`` threads, and at most
``FRGM_API_MAX_IN_FLIGHT`` calls are in the process at once: a call beyond
that is answered at once with 503, ``Retry-After`` and a JSON error rather
than queued behind the others. Pages and websockets are untouched. The first
call starts the process's live hub, whose update messages tell the API's
cache when the state moved (``ladder.api_cache``).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.wsgi import WsgiToAsgiInstance

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
# Django's ASGIHandler sends Mappings: a send must take any (ours build dicts).
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

API_PREFIX = "/api/"
RETRY_AFTER_S = 1  # a busy process has room again well within a second
MAX_BODY = 64 * 1024
STARTUP_RETRY_S = 10.0

log = logging.getLogger(__name__)


class ApiServer:
    """ASGI: ``/api/`` through ``wsgi`` on a bounded pool; everything else to ``app``."""

    def __init__(
        self,
        app: AsgiApp,
        *,
        wsgi: WsgiApp,
        max_in_flight: int,
        threads: int,
        prefix: str = API_PREFIX,
        startup: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.startup = startup  # awaited by the first call (the API cache's hub)
        self._startup_next = 0.0
        self.wsgi = wsgi
        self.max_in_flight = max_in_flight
        self.prefix = prefix
        self.in_flight = 0  # touched in the event loop only
        self.refused = 0
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="api")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            self.refused += 1
            await busy_send(send, in_flight=self.in_flight)
            return
        self.in_flight += 1
        try:
            if self.startup is not None:
                await self._start()
            body = await _body_read(receive)
            loop = asyncio.get_running_loop()
            status, headers, content = await loop.run_in_executor(
                self._executor, self._call, scope, body
            )
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
        finally:
            self.in_flight -= 1

    async def _start(self) -> None:
        """Run ``startup`` once; after a failure, again at most every ``STARTUP_RETRY_S``
        (the calls go on meanwhile: the cache then rechecks the store itself)."""
        now = time.monotonic()
        if now < self._startup_next:
            return
        self._startup_next = now + STARTUP_RETRY_S
        try:
            assert self.startup is not None
            await self.startup()
        except Exception:
            log.warning("api: startup failed; retry in %s s", STARTUP_RETRY_S, exc_info=True)
            return
        self.startup = None

    def _call(self, scope: Scope, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """One call through the WSGI handler, in a pool thread; the body read whole
        (API answers are JSON documents, not streams)."""
        adapter = WsgiToAsgiInstance(self.wsgi)
        adapter.scope = scope
        environ = adapter.build_environ(scope, io.BytesIO(body))
        started: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
            ]

        result = self.wsgi(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # Django's request_finished: database connections closed, as always
        return started["status"], started["headers"], content


async def busy_send(send: Send, *, in_flight: int) -> None:
    """503 with Retry-After and a JSON error: the caller should come back shortly."""
    body = json.dumps(
        {
            "error": f"the API is busy ({in_flight} calls in progress); "
            f"retry after {RETRY_AFTER_S} s",
            "retry_after_s": RETRY_AFTER_S,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(RETRY_AFTER_S).encode()),
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _body_read(receive: Receive) -> bytes:
    """The request body, kept up to ``MAX_BODY`` bytes (the API takes GETs only;
    a larger body is read to its end and cut, and the view refuses the method)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if size < MAX_BODY:
            chunks.append(chunk[: MAX_BODY - size])
            size += len(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)
