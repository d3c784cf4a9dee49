"""In real Chromium: a trader opens the risk slide and sees the grid, the chart, and
the grid moving after a new spot-risk file (the page polls /api/slide/)."""

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
        served_app(websockets=False) as url,
        chromium_page(url, cookies=session_cookie(trader, url), viewport=(1400, 1500)) as page,
    ):
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

        before = page.evaluate(f"() => {CELL.format(move=8)}.dataset.value")
        desk.put("actant/spot-risk/2025-07-21/bav_analysis_20250721_203207.csv", _moved(4))
        page.wait_for_function(
            f"(before) => {CELL.format(move=8)}.dataset.value !== before",
            arg=before,
            timeout=15000,
        )
        assert page.errors == []
