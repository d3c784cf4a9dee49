"""In real Chromium: a trader opens the risk slide and sees the grid, the chart, and
the grid moving after a new spot-risk file through the websocket (``/ws/slide/``: no
polling), and new parameters answered over the same socket."""

from __future__ import annotations

import time
from decimal import Decimal

from django.contrib.auth.models import User
from django.test import Client

from tests.browser.support import (
    BROWSER_MARKS,
    SCREENSHOTS,
    chromium_page,
    served_app,
    session_cookie,
)
from tests.ladder.book.conftest import POSITIONS, spot_risk_with_positions
from tests.ladder.pages.conftest import INSTRUMENT
from tests.ladder.pages.test_spot_from_actant import sep25_instrument

pytestmark = BROWSER_MARKS

SAMPLE_FUTURE = b"XCME.ZN.SEP25,111.1562500,111.1718750,"
CELL = 'document.querySelector(\'#slide-table tr[data-move="{move}"] td[data-shift="2"]\')'


def _wait_for_options(trader: User, spot: str) -> None:
    client = Client()
    client.force_login(trader)
    deadline = time.monotonic() + 15
    while True:
        response = client.get("/api/slide/")
        if response.status_code == 200 and response.json()["spot"] == spot:
            return
        assert time.monotonic() < deadline, "the options book never reached the API"
        time.sleep(0.1)


def _moved(ticks: int) -> bytes:
    body = spot_risk_with_positions(POSITIONS)
    bid = Decimal("111.15625") + Decimal(ticks) / 64
    assert SAMPLE_FUTURE in body
    return body.replace(
        SAMPLE_FUTURE, f"XCME.ZN.SEP25,{bid:.7f},{bid + Decimal(1) / 64:.7f},".encode()
    )


def test_a_trader_sees_the_slide_and_it_moves_with_a_new_file(desk) -> None:
    trader = User.objects.get(username="tina-live")
    desk.put(f"tt/instruments/instrument_{INSTRUMENT}.json", sep25_instrument())
    desk.put(
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203107.csv",
        spot_risk_with_positions(POSITIONS),
    )
    _wait_for_options(trader, "111.1640625")
    with (
        served_app() as url,
        chromium_page(url, cookies=session_cookie(trader, url), viewport=(1400, 1500)) as page,
    ):
        sockets: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        api_calls: list[str] = []
        page.on("request", lambda r: api_calls.append(r.url) if "/api/" in r.url else None)
        page.goto("/ladder/slide/")
        page.wait_for_function("() => document.querySelector('#chart-slide .main-svg') !== null")
        rows = page.locator("#slide-table tbody tr")
        assert rows.count() == 17  # -64 ... +64 in 8s
        assert page.locator("#slide-table thead th").all_inner_texts()[-5:] == [
            "vol -20 %", "vol -10 %", "vol 0", "vol +10 %", "vol +20 %",
        ]  # fmt: skip
        centre = page.locator('#slide-table tr[data-move="0"] td[data-col="price"]')
        assert centre.inner_text() == "111'055"
        assert page.locator('#slide-table td[data-col="pnl"].num-pos').count() > 0
        assert page.locator('#slide-table td[data-col="pnl"].num-neg').count() > 0
        assert "0 options not priced" in page.inner_text("#not-priced")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "slide.png"), full_page=True)

        page.wait_for_function("() => window.frgmLive.state().seq !== null")  # its snapshot
        seq = page.evaluate("() => window.frgmLive.state().seq")
        before = page.evaluate(f"() => {CELL.format(move=8)}.dataset.value")
        desk.put("actant/spot-risk/2025-07-21/bav_analysis_20250721_203207.csv", _moved(4))
        page.wait_for_function(
            f"(before) => {CELL.format(move=8)}.dataset.value !== before",
            arg=before,
            timeout=15000,
        )
        assert page.evaluate("() => window.frgmLive.state().seq") == seq + 1  # one delta
        assert page.inner_text('#slide [data-field="spot"]') == "111.2265625"
        assert [url.split("?")[0].rsplit("/", 2)[-2] for url in sockets] == ["slide"]

        # new parameters: the same socket, a new grid, the address bar in step
        page.fill('input[name="moves"]', "16")
        page.fill('input[name="step"]', "4")
        page.check('input[name="by_expiry"]')
        page.click("#slide-form button[type=submit]")
        page.wait_for_function(
            "() => document.querySelectorAll('#slide-table tbody tr').length === 9"
        )
        page.wait_for_function(
            '() => document.querySelector(\'#slide-table tr[data-move="4"] td[data-shift="2"]\')'
            ".dataset.value !== ''"
        )
        assert "moves=16" in page.url
        assert page.locator("#slide-expiries").is_visible()
        assert page.locator("#slide-expiry-table tbody tr").count() == 9 * 3  # 3 expiries
        assert len(sockets) == 1  # no reconnect, no reload
        assert api_calls == []  # the page never polled the API
        assert page.errors == []
