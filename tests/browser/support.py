"""Real Chromium against the real ASGI app: shared by every browser test.

Debian's chromium, driven by Playwright through ``executable_path`` (nothing can
download browser builds here); the app under uvicorn in a thread, with
websockets, on the test stack and database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from devstack.processes import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package"),
]


@contextmanager
def served_app(*, websockets: bool = True, port: int | None = None) -> Iterator[str]:
    """The ASGI app on a free port (or ``port``) for as long as the block runs; yields
    its base URL."""
    import uvicorn

    from frgm_site.asgi import application

    port = port or free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="websockets-sansio" if websockets else "none",
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def session_cookie(user: Any, base_url: str) -> list[dict[str, Any]]:
    """A logged-in session for ``user`` as a Playwright cookie on ``base_url``.

    For tests whose subject is a page, not the login form (one browser test logs in
    through the form).
    """
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return [{"name": name, "value": client.cookies[name].value, "url": base_url}]


def _wait_for_function_csp_safe(tab: Any) -> None:
    """Playwright polls an expression given to wait_for_function with eval(), which
    the site's Content-Security-Policy (rightly) refuses; a function it calls. So an
    expression becomes ``() => (expression)``."""
    wait = tab.wait_for_function

    def wait_for_function(expression: str, *args: Any, **kwargs: Any) -> Any:
        if not expression.lstrip().startswith(("(", "function", "async")):
            expression = f"() => ({expression})"
        return wait(expression, *args, **kwargs)

    tab.wait_for_function = wait_for_function


@contextmanager
def chromium_page(
    base_url: str,
    *,
    cookies: list[dict[str, Any]] | None = None,
    viewport: tuple[int, int] = (1400, 1000),
) -> Iterator[Any]:
    """A fresh Chromium tab on ``base_url``; page errors are collected in ``tab.errors``."""
    from playwright.sync_api import sync_playwright

    width, height = viewport
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=base_url
        )
        if cookies:
            context.add_cookies(cookies)
        tab = context.new_page()
        _wait_for_function_csp_safe(tab)
        tab.errors = []
        tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        try:
            yield tab
        finally:
            browser.close()
