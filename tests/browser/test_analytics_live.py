"""In real Chromium with websockets on: today's analytics page moves as files arrive,
without a reload (the day's series grows a point, the smile takes the new vols)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User

from feeds.feed_keys import spot_risk_key, trading_date_for
from tests.browser.support import BROWSER_MARKS, chromium_page, served_app, session_cookie
from tests.feeds.ingest.conftest import history_count, sample

pytestmark = BROWSER_MARKS

SAMPLE_FUTURE = b"XCME.ZN.SEP25,111.1562500,111.1718750,"
# A 22JUL25 call (the smile's default expiry) and its Actant IV average.
CALL_LINE = b"XCME.GY4.22JUL25.110:5.C,.6562500,.6875000,110.5000000,C,.6667193,,942.8994130,"
CALL_IV_AVG = b"796.7854655"
FUTURE_MID = "document.getElementById('chart-series').data.find(t => t.meta.field === 'future_mid')"
CALL_IV_AVG_AT_110_5 = """(() => {
  const trace = document.getElementById('chart-smile').data.find(t => t.name === 'Call IV avg');
  return trace ? trace.y[trace.x.indexOf(110.5)] : null;
})()"""


def _spot_risk(*, ticks: int, iv_avg: bytes = CALL_IV_AVG) -> bytes:
    """The sample file with the future ``ticks`` 1/64ths higher and the call's IV average."""
    body = sample("actant/bav_analysis_20250721_203007.csv")
    bid = Decimal("111.15625") + Decimal(ticks) / 64
    moved = f"XCME.ZN.SEP25,{bid:.7f},{bid + Decimal(1) / 64:.7f},".encode()
    assert SAMPLE_FUTURE in body
    assert CALL_LINE + CALL_IV_AVG in body
    return body.replace(SAMPLE_FUTURE, moved).replace(CALL_LINE + CALL_IV_AVG, CALL_LINE + iv_avg)


def _wait_for_history(day: str, files: int) -> None:
    deadline = time.monotonic() + 10
    while history_count("spot-risk", day, metrics=True) < files:
        assert time.monotonic() < deadline, f"{files} spot-risk files not in today's history"
        time.sleep(0.1)


def test_a_new_file_extends_the_series_and_moves_the_smile_without_a_reload(desk) -> None:
    now = datetime.now(UTC)
    today = trading_date_for(now).isoformat()
    desk.put(spot_risk_key(moment=now - timedelta(seconds=2)), _spot_risk(ticks=1))
    _wait_for_history(today, 1)
    trader = User.objects.get(username="tina-live")
    with (
        served_app() as url,
        chromium_page(url, cookies=session_cookie(trader, url), viewport=(1440, 1400)) as page,
    ):
        page.goto("/ladder/analytics/")  # today: the live day
        # Functions, not strings: the page's CSP forbids eval (a string is eval'd).
        page.wait_for_function(
            "() => document.querySelector('#chart-series .main-svg') !== null"
            " && document.querySelector('#chart-smile .main-svg') !== null"
        )
        page.wait_for_function(
            "() => document.getElementById('analytics-live').textContent"
            ".includes('live: websocket')"
        )
        assert page.evaluate(f"{FUTURE_MID}.y") == [111.1796875]  # (bid + ask) / 2, 1 tick up
        assert page.evaluate(CALL_IV_AVG_AT_110_5) == 796.7854655
        page.evaluate("window.__sameDocument = true")

        put_at = time.monotonic()
        desk.put(spot_risk_key(moment=now), _spot_risk(ticks=4, iv_avg=b"850.0000000"))
        page.wait_for_function(f"() => {FUTURE_MID}.y.length === 2", timeout=10000)
        page.wait_for_function(f"() => {CALL_IV_AVG_AT_110_5} === 850", timeout=10000)
        print(f"series and smile moved {time.monotonic() - put_at:.2f} s after the file landed")
        assert page.evaluate(f"{FUTURE_MID}.y") == [111.1796875, 111.2265625]
        assert page.evaluate("window.__sameDocument === true")  # no reload
        assert page.errors == []
