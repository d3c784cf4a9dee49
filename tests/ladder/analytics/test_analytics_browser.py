"""In real Chromium: the analytics page draws its charts from the sample files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group, User

from tests.browser.support import BROWSER_MARKS, chromium_page, served_app, session_cookie
from tests.feeds.ingest.conftest import (
    ORDERS_KEY,
    POSITIONS_KEY,
    SPOT_KEY,
    VTEXP_KEY,
    FeedQueue,
    sample,
)

SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "analytics.png"
pytestmark = BROWSER_MARKS

# Later files for a livelier day: the future moves (in 1/64ths) and the position changes.
MOVES = [(1, 219), (3, 224), (2, 224), (-1, 230), (0, 226), (4, 226)]
SAMPLE_FUTURE = b"XCME.ZN.SEP25,111.1562500,111.1718750,"


def _spot_moved(ticks: int) -> bytes:
    bid = Decimal("111.15625") + Decimal(ticks) / 64
    moved = f"XCME.ZN.SEP25,{bid:.7f},{bid + Decimal(1) / 64:.7f},".encode()
    return sample("actant/bav_analysis_20250721_203007.csv").replace(SAMPLE_FUTURE, moved)


def _positions_moved(position: int, ticks: int) -> bytes:
    body = json.loads(sample("tt/positions_response.json"))
    body["positions"][0]["netPosition"] = position
    body["positions"][0]["pnl"] = round(1.7855 + position * ticks * 15.625, 4)
    return json.dumps(body).encode()


def test_the_charts_draw_the_sample_day(feed_queue: FeedQueue, transactional_db: None) -> None:
    feed_queue.put(VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv"))
    feed_queue.drain()
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    feed_queue.put(ORDERS_KEY, sample("tt/working_orders_response.json"))
    for minute, (ticks, position) in enumerate(MOVES, start=1):  # later files of the evening
        stamp = f"20250721_20{30 + 3 * minute}07"
        feed_queue.put(f"actant/spot-risk/2025-07-21/bav_analysis_{stamp}.csv", _spot_moved(ticks))
        feed_queue.put(
            f"tt/positions/2025-07-21/positions_{stamp}.json", _positions_moved(position, ticks)
        )
    feed_queue.drain()
    trader = User.objects.create_user("tina-browser", password="pw-tina-browser")
    trader.groups.add(Group.objects.get_or_create(name="trader")[0])
    with (
        served_app(websockets=False) as url,
        chromium_page(url, cookies=session_cookie(trader, url), viewport=(1440, 1400)) as page,
    ):
        page.goto("/ladder/analytics/?date=2025-07-21")
        page.wait_for_function(
            "document.querySelector('#chart-series .main-svg') !== null"
            " && document.querySelector('#chart-smile .main-svg') !== null"
        )
        traces = page.evaluate(
            "Object.fromEntries(document.getElementById('chart-series').data"
            ".map(t => [t.meta.field, t.y]))"
        )
        smile = page.evaluate("document.getElementById('chart-smile').data.length")
        expiry = page.input_value("#smile-expiry")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        errors = page.errors
    assert errors == []
    assert len(traces["future_mid"]) == 1 + len(MOVES)
    assert traces["future_mid"][0] == 111.1640625  # the sample file's own mid
    assert traces["net_position"][:2] == [219, 219]
    assert smile >= 3  # bid, ask and average of at least one option type
    assert expiry == "22JUL25"  # 21JUL25 expired with no implied vols: not the default
