"""In real Chromium: the ladder's whole-book switch shows the options columns, and the
choice survives a reload (remembered per user in localStorage)."""

from __future__ import annotations

import time

import pytest
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

BOOK_PNL_SHOWN = (
    "() => { const td = document.querySelector("
    '\'#ladder-table tr[data-price="111.40625"] td[data-col="book_pnl"]\');'
    " return td !== null && getComputedStyle(td).display !== 'none'; }"
)


def _wait_for_options(trader: User) -> None:
    client = Client()
    client.force_login(trader)
    deadline = time.monotonic() + 15
    while True:
        response = client.get("/api/ladder/")
        if response.status_code == 200 and response.json()["spot"] == "111.1640625":
            return
        assert time.monotonic() < deadline, "the options book never reached the API"
        time.sleep(0.1)


def test_the_switch_shows_the_whole_book_and_is_remembered(desk) -> None:
    trader = User.objects.get(username="tina-live")
    desk.put(f"tt/instruments/instrument_{INSTRUMENT}.json", sep25_instrument())
    desk.put(
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203107.csv",
        spot_risk_with_positions(POSITIONS),
    )
    _wait_for_options(trader)
    with (
        served_app() as url,
        chromium_page(url, cookies=session_cookie(trader, url), viewport=(1400, 1000)) as page,
    ):
        page.goto("/ladder/")
        cell = page.locator('#ladder-table tr[data-price="111.40625"] td[data-col="options_pnl"]')
        assert not cell.is_visible()  # futures only by default
        assert page.get_attribute("#whole-book", "aria-pressed") == "false"
        page.click("#whole-book")
        page.wait_for_function(BOOK_PNL_SHOWN)
        assert float(cell.inner_text().replace(",", "")) == pytest.approx(21_466.82, abs=1.0)
        assert "0 options not priced" in page.inner_text("#options-not-priced")
        page.reload()
        page.wait_for_function(BOOK_PNL_SHOWN)  # remembered
        assert page.get_attribute("#whole-book", "aria-pressed") == "true"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "ladder-whole-book.png"))
        page.click("#whole-book")
        assert not cell.is_visible()
        assert page.errors == []
