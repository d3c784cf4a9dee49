"""In real Chromium: the spot-risk page patches what new files change (prices, vols, a
row gone, a row new and then changed) from packed frames, without a reload."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User

from ladder.prices import price_to_32nds
from tests.browser.support import (
    BROWSER_MARKS,
    SCREENSHOTS,
    chromium_page,
    served_app,
    session_cookie,
)
from tests.feeds.ingest.conftest import sample

pytestmark = BROWSER_MARKS

FUTURE = b"XCME.ZN.SEP25,111.1562500,111.1718750,"
CALL = b"XCME.GY4.22JUL25.110:5.C,.6562500,.6875000,110.5000000,C,.6667193,,942.8994130,"
GONE = b"XCME.OZN.AUG25.110:25.C,"
NEW = "XCME.OZN.AUG25.125.C"


def _new_row(iv: str) -> bytes:
    return f"{NEW},.0156250,.0312500,125.0000000,C,.0200000,,{iv},{iv},0,0,0,,,0,0".encode()


def _file(new_iv: str) -> bytes:
    """The sample one tick up, a call's IV average at 850, one row gone, one row new."""
    body = sample("actant/bav_analysis_20250721_203007.csv")
    lines = [line for line in body.split(b"\n") if line and not line.startswith(GONE)]
    lines.append(_new_row(new_iv))
    body = b"\n".join(lines) + b"\n"  # every real file ends with its newline
    assert FUTURE in body
    assert CALL + b"796.7854655" in body
    body = body.replace(FUTURE, b"XCME.ZN.SEP25,111.1718750,111.1875000,")
    return body.replace(CALL + b"796.7854655", CALL + b"850.0000000")


def _cell(key: str, col: str) -> str:
    return f'tr[data-key="{key}"] td[data-col="{col}"]'


def test_the_spot_risk_page_follows_new_files_without_a_reload(desk) -> None:
    trader = User.objects.get(username="tina-live")
    call = CALL.split(b",")[0].decode()
    with served_app() as url, chromium_page(url, cookies=session_cookie(trader, url)) as page:
        page.goto("/ladder/spot-risk/")
        page.wait_for_function("() => window.frgmLive && window.frgmLive.state().connected")
        page.evaluate("window.__sameDocument = true")
        assert page.inner_text(_cell(call, "iv_avg")) == "796.79"
        page.wait_for_timeout(700)  # the snapshot's flash is over: the sample, as it came
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "spot_risk.png"))

        desk.put("actant/spot-risk/2025-07-21/bav_analysis_20250721_203107.csv", _file("600"))
        # both rows of the new file on the page: the call's vol, the future's bid (under
        # load the two can land a frame apart, and the test asked for one only)
        page.wait_for_function(
            f"document.querySelector('{_cell(call, 'iv_avg')}').textContent === '850.00'"
            f" && document.querySelector('{_cell('XCME.ZN.SEP25', 'bid')}')"
            ".getAttribute('data-value') === '111.171875'"
        )
        bid = page.locator(_cell("XCME.ZN.SEP25", "bid"))
        assert bid.inner_text() == price_to_32nds(Decimal("111.171875"))
        assert bid.get_attribute("data-value") == "111.171875"  # a price: exact
        assert page.get_attribute(_cell(call, "iv_avg"), "data-value") == "850.00"  # as shown
        assert page.locator(f'tr[data-key="{GONE.decode()[:-1]}"]').count() == 0
        assert page.inner_text(_cell(NEW, "strike")) == "125.00"
        assert page.locator(f'tbody[data-expiry="AUG25"] tr[data-key="{NEW}"]').count() == 1

        # the new row, known by its id from now on, changes again
        desk.put("actant/spot-risk/2025-07-21/bav_analysis_20250721_203108.csv", _file("610"))
        page.wait_for_function(
            f"document.querySelector('{_cell(NEW, 'iv_avg')}').textContent === '610.00'"
        )
        assert page.evaluate("window.frgmLive.state().seq") >= 2
        assert page.evaluate("window.__sameDocument === true")  # no reload
        assert page.errors == []
