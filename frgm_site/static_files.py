"""Static files served at the ASGI layer, before Django, through ServeStatic.

ServeStatic finds the files as its Django middleware would: from the finders
locally (``SERVESTATIC_USE_FINDERS``), from collectstatic's manifest in the image,
where hashed names are cached for a year (``immutable``) and gzip variants go to
browsers that accept them. It answers ``If-None-Match``/``If-Modified-Since``
with 304 and ``Range`` with 206, and chooses the headers and the file.

Why not its Django middleware: WhiteNoise's handed Django a sync file iterator,
which Django's ASGI handler reads whole into memory before the first byte goes
out (4.8 MB for each ``plotly.min.js``); ServeStatic's middleware is async only,
so the ``/api/`` calls Django serves through its WSGI handler
(``frgm_site.api_asgi``) would each pay an ``async_to_sync`` hop for it. A
static file needs no session, CSRF or login either: it is public.

Why the body is sent here: ServeStatic's own ASGI sender reads 8 KB per thread
hop, on a thread pool it creates per request (~200 ms of hops for plotly.min.js
on a busy 2-core machine); here a whole file goes in ``BLOCK_SIZE`` blocks,
each read off the event loop. uvicorn offers no ``pathsend``/``sendfile``
extension that would spare the reads.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from servestatic.middleware import ServeStaticMiddleware
from servestatic.responders import AsyncSlicedFile, Redirect, Response, StaticFile
from servestatic.utils import AsyncFile, decode_path_info, run_async_in_thread

from frgm_site.api_asgi import AsgiApp, Receive, Scope, Send

BLOCK_SIZE = 128 * 1024  # one read and one send each: a few dozen for the largest file
# Django's SecurityMiddleware no longer sees these answers: the headers that still
# matter for a script or a style sheet are added here.
STATIC_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


async def _not_a_static_file(request: HttpRequest) -> HttpResponseBase:
    raise AssertionError("StaticFilesASGI sends every other request to its app")


class _StaticFileTable(ServeStaticMiddleware):
    """ServeStatic's Django-aware file table (finders, manifest, immutability)."""

    def add_cache_headers(self, headers: Any, path: str, url: str) -> None:
        super().add_cache_headers(headers, path, url)
        for name, value in STATIC_HEADERS.items():
            headers[name] = value


class StaticFilesASGI:
    """ASGI: a request for a known static file is answered here; all else goes to ``app``."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app
        self.table = _StaticFileTable(_not_a_static_file)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            static_file = await self.find(scope["path"])
            if static_file is not None:
                await self.serve(static_file, scope, send)
                return
        await self.app(scope, receive, send)

    async def find(self, path: str) -> StaticFile | Redirect | None:
        """The file for ``path``; with autorefresh (DEBUG) looked up on disk each time,
        so a file edited under ``make run`` is served as it is now."""
        url = decode_path_info(path)
        if self.table.autorefresh:
            return await run_async_in_thread(self.table.find_file, url)
        return self.table.files.get(url)

    async def serve(self, static_file: StaticFile | Redirect, scope: Scope, send: Send) -> None:
        # ServeStatic speaks WSGI header names; pathsend=True: for a whole file it
        # names the path instead of opening it, and the body is sent from here.
        request_headers = {
            "HTTP_" + name.decode("latin-1").upper().replace("-", "_"): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        request_headers["QUERY_STRING"] = scope["query_string"].decode("latin-1")
        response = await static_file.aget_response(scope["method"], request_headers, pathsend=True)
        await send(
            {
                "type": "http.response.start",
                "status": int(response.status),
                "headers": [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in response.headers
                    if value is not None
                ],
            }
        )
        await _body_send(response, send)


async def _body_send(response: Response, send: Send) -> None:
    if response.file is None and response.path is not None:
        await _whole_file_send(response.path, send)
    elif isinstance(response.file, AsyncFile | AsyncSlicedFile):
        async with response.file as part:  # a Range: ServeStatic's slice of the file
            while chunk := await part.read(BLOCK_SIZE):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    else:  # 304, HEAD, 405, a redirect: no body
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _whole_file_send(path: str, send: Send) -> None:
    loop = asyncio.get_running_loop()
    # Opening costs what a stat does; the reads are what takes time.
    with open(path, "rb", buffering=0) as file:
        while chunk := await loop.run_in_executor(None, file.read, BLOCK_SIZE):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
