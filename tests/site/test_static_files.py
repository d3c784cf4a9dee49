"""Static files come from ServeStatic at the ASGI layer: streamed, cacheable, never
read whole into memory per request (plotly.min.js is 4.8 MB).

Driven through the ASGI application uvicorn serves (``frgm_site.asgi``), locally
configured: ServeStatic serves from the finders. The image's configuration
(collectstatic, hashed names cached for a year) is proved in
``tests/site/test_image_commands.py``.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from dataclasses import dataclass, field
from typing import Any

import pytest

from ladder.plotly_finder import PLOTLY_JS, plotly_js_dir

PLOTLY_URL = "/static/plotly/plotly.min.js"


@dataclass
class Answer:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_messages: int = 0


async def asgi_get(app: Any, path: str, *, keep_body: bool = True, **headers: str) -> Answer:
    """One HTTP GET through ``app``, as uvicorn would call it. ``keep_body=False``
    drops the body as it goes (as a socket would), so only what the server itself
    holds is in memory."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            *((k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    answer = Answer()
    sent_request = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected (Django listens for it)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            if keep_body:
                answer.body += message.get("body", b"")
            answer.body_messages += 1

    await app(scope, receive, send)
    return answer


@pytest.fixture(scope="module")
def application() -> Any:
    from frgm_site.asgi import application

    return application


@pytest.fixture(scope="module")
def plotly_bytes() -> bytes:
    return (plotly_js_dir() / PLOTLY_JS).read_bytes()


async def test_the_plotly_bundle_is_served_whole_with_an_etag(application, plotly_bytes) -> None:
    answer = await asgi_get(application, PLOTLY_URL)
    assert answer.status == 200
    assert answer.body == plotly_bytes
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["content-length"] == str(len(plotly_bytes))
    assert answer.headers["etag"]
    assert "max-age=" in answer.headers["cache-control"]
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_a_browser_that_has_the_bundle_gets_304_and_no_body(application) -> None:
    first = await asgi_get(application, PLOTLY_URL)
    again = await asgi_get(application, PLOTLY_URL, if_none_match=first.headers["etag"])
    assert again.status == 304
    assert again.body == b""


async def test_a_range_is_answered_from_the_file_not_the_whole_bundle(
    application, plotly_bytes
) -> None:
    answer = await asgi_get(application, PLOTLY_URL, range="bytes=1000-1999")
    assert answer.status == 206
    assert answer.body == plotly_bytes[1000:2000]
    assert answer.headers["content-range"] == f"bytes 1000-1999/{len(plotly_bytes)}"


async def test_the_bundle_is_streamed_in_blocks_never_held_whole_in_memory(
    application, plotly_bytes
) -> None:
    # WhiteNoise under Django's ASGI handler read the whole file into a list before
    # sending its first byte: a peak above the file's 4.8 MB on every request.
    await asgi_get(application, PLOTLY_URL)  # lazy set-up out of the way
    tracemalloc.start()
    try:
        answer = await asgi_get(application, PLOTLY_URL, keep_body=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.status == 200
    assert answer.body_messages > 10, "the bundle was not streamed in blocks"
    assert peak < len(plotly_bytes) // 4, f"{peak} bytes held while serving the bundle"


async def test_other_requests_still_reach_django(application) -> None:
    answer = await asgi_get(application, "/healthz")
    assert answer.status == 200
    assert answer.body_messages >= 1
