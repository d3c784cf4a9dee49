"""Static files served by ServeStatic at the ASGI layer, before Django.

ServeStatic finds the files as its Django middleware would: from the finders
locally (``SERVESTATIC_USE_FINDERS``), from collectstatic's manifest in the image,
where hashed names are cached for a year (``immutable``) and gzip variants are
sent to browsers that accept them. It streams a file in small blocks from an
async file handle, answers ``If-None-Match``/``If-Modified-Since`` with 304 and
``Range`` with 206.

Why not its Django middleware: WhiteNoise's handed Django a sync file iterator,
which Django's ASGI handler reads whole into memory before the first byte goes
out (4.6 MB for each ``plotly.min.js``); ServeStatic's middleware is async only,
so the ``/api/`` calls Django serves through its WSGI handler
(``frgm_site.api_asgi``) would each pay an ``async_to_sync`` hop for it. A
static file needs no session, CSRF or login either: it is public.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from servestatic.asgi import FileServerASGI
from servestatic.middleware import ServeStaticMiddleware
from servestatic.responders import Redirect, StaticFile
from servestatic.utils import decode_path_info, run_async_in_thread

from frgm_site.api_asgi import AsgiApp, Receive, Scope, Send

# Django's SecurityMiddleware no longer sees these responses: the headers that
# still matter for a script or a style sheet are added here.
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
                await FileServerASGI(static_file)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def find(self, path: str) -> StaticFile | Redirect | None:
        """The file for ``path``; with autorefresh (DEBUG) looked up on disk each time,
        so a file edited under ``make run`` is served as it is now."""
        url = decode_path_info(path)
        if self.table.autorefresh:
            return await run_async_in_thread(self.table.find_file, url)
        return self.table.files.get(url)
