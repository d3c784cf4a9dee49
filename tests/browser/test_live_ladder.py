"""A trader in real Chromium: logs in, sees the sample ladder, watches it move when a
file lands in the bucket, and sees the banner while the websocket is down."""

from __future__ import annotations

import json
import time
from typing import Any

from django.contrib.auth.models import User

from tests.browser.support import BROWSER_MARKS, SCREENSHOTS, chromium_page, served_app
from tests.feeds.ingest.conftest import latest_rows, sample

pytestmark = BROWSER_MARKS
POSITION_AT_110_040 = 'tr[data-price="110.125"] td[data-col="position"]'


def _positions(net: int) -> bytes:
    body = json.loads(sample("tt/positions_response.json"))
    body["positions"][0]["netPosition"] = float(net)
    return json.dumps(body).encode()


def _shows(selector: str, text: str) -> str:
    return f"document.querySelector('{selector}').innerText.trim() === '{text}'"


def _refuse_ladder_sockets(page) -> dict[str, Any]:
    """From now on the page's ladder sockets are refused (closed at once, as when the
    web process cannot be reached) while ``["on"]``; then they reach the server."""
    refusing: dict[str, Any] = {"on": True, "count": 0}

    def route(ws) -> None:
        if refusing["on"]:
            refusing["count"] += 1
            ws.close(code=1001, reason="refused by the test")
        else:
            ws.connect_to_server()

    page.route_web_socket(lambda url: "/ws/ladder/" in url, route)
    return refusing


def _wait_for_ingest(page, *, net: int) -> None:
    """Until the worker has stored the positions file holding ``net``."""
    deadline = time.monotonic() + 10
    while not any(r["net_position"] == net for r in latest_rows("tt-positions").values()):
        assert time.monotonic() < deadline, f"the positions file with {net} was not ingested"
        page.wait_for_timeout(100)  # lets Playwright answer the page meanwhile


def test_a_new_file_moves_the_ladder_within_a_second_and_a_dropped_socket_recovers(desk):
    with served_app() as url, chromium_page(url) as page:
        page.goto("/ladder/")
        page.fill("#id_username", "tina-live")
        page.fill("#id_password", "desk-pass-9f2")
        page.click("button.primary")
        page.wait_for_url("**/ladder/")
        assert page.inner_text(POSITION_AT_110_040).strip() == "+529"  # server-rendered
        page.wait_for_function("() => window.frgmLive && window.frgmLive.state().connected")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "ladder.png"))

        assert page.inner_text("#e2e-latency").strip() == "—"  # no live update yet
        put_at = time.monotonic()
        desk.put("tt/positions/2025-07-21/positions_20250721_203109.json", _positions(220))
        page.wait_for_function(_shows(POSITION_AT_110_040, "+530"), timeout=5000)
        moved_after = time.monotonic() - put_at
        print(f"ladder moved {moved_after * 1000:.0f} ms after the file landed")
        assert moved_after < 1.0, f"the ladder moved {moved_after:.2f} s after the file landed"
        # The header's end-to-end latency: S3 event -> this browser, for that file. It
        # cannot exceed the time from our put to seeing the ladder move.
        latency_text = page.inner_text("#e2e-latency").strip()
        latency_ms = int(page.get_attribute("#e2e-latency", "data-value") or "-1")
        print(f"e2e latency shown: {latency_text}")
        assert latency_text == f"{latency_ms} ms"
        assert 0 < latency_ms <= moved_after * 1000 + 50

        # Killed while a file lands: the banner stays until the socket is back, and
        # the reconnect's snapshot brings the file's numbers without a reload.
        refusing = _refuse_ladder_sockets(page)
        page.evaluate("window.__sameDocument = true")
        page.evaluate("window.frgmLive.drop()")
        page.wait_for_selector("#banner[data-state=disconnected]", timeout=5000)
        assert "Disconnected" in page.inner_text("#banner")
        desk.put("tt/positions/2025-07-21/positions_20250721_203110.json", _positions(221))
        _wait_for_ingest(page, net=221)
        deadline = time.monotonic() + 10
        while refusing["count"] < 1:  # its next try comes after a backoff with jitter
            assert time.monotonic() < deadline, "the page never tried to reconnect"
            page.wait_for_timeout(100)
        page.wait_for_timeout(300)
        assert page.inner_text(POSITION_AT_110_040).strip() == "+530"  # still down
        assert page.get_attribute("#banner", "data-state") == "disconnected"
        refusing["on"] = False
        page.wait_for_function("() => window.frgmLive.state().connected", timeout=20000)
        page.wait_for_selector("#banner[data-state=disconnected]", state="detached", timeout=5000)
        page.wait_for_function(_shows(POSITION_AT_110_040, "+531"), timeout=5000)
        assert page.evaluate("window.__sameDocument === true")  # no reload
        # and deltas follow the resync's snapshot
        desk.put("tt/positions/2025-07-21/positions_20250721_203111.json", _positions(222))
        page.wait_for_function(_shows(POSITION_AT_110_040, "+532"), timeout=5000)
        assert page.errors == []  # the spot-risk page's screenshot: test_spot_risk_live.py


def _orders_partly_filled() -> bytes:
    body = json.loads(sample("tt/working_orders_response.json"))
    body["orders"][0]["leavesQuantity"] = 70.0  # 10 of the 80 lots filled
    return json.dumps(body).encode()


def test_a_feed_past_its_expected_interval_turns_the_banner_stale(desk):
    from ops.models import FeedSettings
    from tests.browser.support import session_cookie

    # As an admin sets them: the orders feed is due every 2 s, the others have time.
    FeedSettings.objects.create(feed="tt-orders", interval_s=2, grace_s=60)
    for feed in ("spot-risk", "tt-positions"):
        FeedSettings.objects.create(feed=feed, interval_s=600, grace_s=900)
    trader = User.objects.get(username="tina-live")
    with served_app() as url, chromium_page(url, cookies=session_cookie(trader, url)) as page:
        page.goto("/ladder/")
        page.wait_for_function("() => window.frgmLive && window.frgmLive.state().connected")
        page.wait_for_selector("#banner[data-state=stale]", timeout=10000)
        text = page.inner_text("#banner")
        assert text.startswith("stale: tt-orders last file")
        assert "spot-risk" not in text
        assert "tt-positions" not in text
        desk.put(
            "tt/orders/2025-07-21/working_orders_20250721_203120.json", _orders_partly_filled()
        )
        page.wait_for_selector("#banner[data-state=stale]", state="detached", timeout=5000)
        assert page.errors == []


def test_the_ladder_survives_a_web_restart_without_a_reload(desk):
    from devstack.processes import free_port
    from tests.browser.support import session_cookie

    trader = User.objects.get(username="tina-live")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with chromium_page(base, cookies=session_cookie(trader, base)) as page:
        with served_app(port=port):
            page.goto("/ladder/")
            page.wait_for_function("() => window.frgmLive && window.frgmLive.state().connected")
            page.evaluate("window.__sameDocument = true")
        # the web process is gone: the trader is told, the numbers stay on screen
        page.wait_for_selector("#banner[data-state=disconnected]", timeout=5000)
        assert page.inner_text(POSITION_AT_110_040).strip() == "+529"
        with served_app(port=port):
            restarted = time.monotonic()
            page.wait_for_function("() => window.frgmLive.state().connected", timeout=20000)
            back_after = time.monotonic() - restarted
            print(f"reconnected {back_after:.1f} s after the web process came back")
            assert back_after < 15  # the recovery target
            assert page.evaluate("window.__sameDocument === true")  # no reload
            desk.put("tt/positions/2025-07-21/positions_20250721_203111.json", _positions(222))
            page.wait_for_function(
                f"document.querySelector('{POSITION_AT_110_040}').innerText.trim() === '+532'",
                timeout=5000,
            )
