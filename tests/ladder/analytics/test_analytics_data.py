"""The charts' data from sample files put through the real ingest pipeline."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from feeds.records import Feed
from feeds.selectors import latest_rows
from tests.conftest import logged_in
from tests.feeds.ingest.conftest import (
    ORDERS_KEY,
    POSITIONS_KEY,
    SPOT_KEY,
    VTEXP_KEY,
    FeedQueue,
    sample,
)

# From the samples: the ZN Sep25 future's bid/ask mid, and the one TT position.
EXPECTED_MID = (111.15625 + 111.171875) / 2  # 111'052
EXPECTED_NET = 219
EXPECTED_PNL = 1.7855000848066993
LATER_SPOT_KEY = "actant/spot-risk/2025-07-21/bav_analysis_20250721_204007.csv"


@pytest.fixture
def ingested(feed_queue: FeedQueue) -> FeedQueue:
    feed_queue.put(VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv"))
    feed_queue.drain()
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    feed_queue.put(ORDERS_KEY, sample("tt/working_orders_response.json"))
    feed_queue.drain()
    return feed_queue


def _series(client, **params: str) -> dict:
    reply = client.get(reverse("ladder:analytics-series"), {"date": "2025-07-21", **params})
    assert reply.status_code == 200, reply.content
    return reply.json()


def test_the_series_endpoint_returns_the_days_files(ingested: FeedQueue, trader: User) -> None:
    data = _series(logged_in(trader))
    points = data["points"]
    assert points["future_mid"]["x"] == ["2025-07-21 20:30:07"]
    assert points["future_mid"]["y"] == [EXPECTED_MID]
    assert points["net_position"] == {"x": ["2025-07-21 20:30:08"], "y": [EXPECTED_NET]}
    assert points["pnl"]["y"] == [EXPECTED_PNL]
    assert len(points["portfolio_delta"]["y"]) == 1
    assert data["message"] == ""
    assert data["more"] is False
    assert set(data["cursor"]) == {"spot-risk", "tt-positions"}
    assert data["figure"]["data"][0]["meta"]["field"] == "future_mid"


def test_after_the_cursor_only_new_files_come_back(ingested: FeedQueue, trader: User) -> None:
    client = logged_in(trader)
    cursor = _series(client)["cursor"]
    after = {f"after-{feed}": sk for feed, sk in cursor.items()}
    assert _series(client, **after)["points"]["future_mid"] == {"x": [], "y": []}
    ingested.put(LATER_SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    ingested.drain()
    newer = _series(client, **after)
    assert newer["points"]["future_mid"]["x"] == ["2025-07-21 20:40:07"]
    assert newer["points"]["net_position"] == {"x": [], "y": []}
    assert "figure" not in newer  # increments carry points only
    assert f"#{LATER_SPOT_KEY}#" in newer["cursor"]["spot-risk"]  # time#key#version


def test_the_smile_endpoint_plots_the_latest_rows_ivs(ingested: FeedQueue, trader: User) -> None:
    data = logged_in(trader).get(reverse("ladder:analytics-smile")).json()
    rows = latest_rows(feed=Feed.SPOT_RISK)
    assert [e["expiry"] for e in data["expiries"]] == [
        "21JUL25",
        "22JUL25",
        "23JUL25",
        "24JUL25",
        "AUG25",
    ]
    avg = next(t for t in data["figures"]["AUG25"]["data"] if t["name"] == "Call IV avg")
    for key, strike, iv in zip(avg["text"], avg["x"], avg["y"], strict=True):
        assert float(Decimal(rows[key]["strike"])) == strike
        assert float(Decimal(rows[key]["iv_avg"])) == iv
    with_iv = [
        r
        for r in rows.values()
        if r["expiry"] == "AUG25" and r["itype"] == "C" and r["iv_avg"] is not None
    ]
    assert len(avg["y"]) == len(with_iv)
    assert data["as_of"].startswith("2025-07-21T20:30:07")


def test_the_latency_endpoint_has_a_point_per_ingested_file(
    ingested: FeedQueue, trader: User
) -> None:
    data = logged_in(trader).get(reverse("ladder:analytics-latency")).json()
    assert len(data["points"]["spot-risk"]["y"]) == 1
    assert data["points"]["spot-risk"]["text"] == [SPOT_KEY]
    assert all(ms >= 0 for ms in data["points"]["spot-risk"]["y"])
    feeds = [t["meta"]["feed"] for t in data["figure"]["data"]]
    assert feeds == ["spot-risk", "tt-positions", "tt-orders", "vtexp", "browser"]


def test_the_page_embeds_all_three_charts_for_first_paint(
    ingested: FeedQueue, trader: User
) -> None:
    page = logged_in(trader).get(reverse("ladder:analytics"), {"date": "2025-07-21"})
    initial = json.loads(json.dumps(page.context["initial"]))  # what json_script embeds
    assert initial["series"]["data"][0]["y"] == [EXPECTED_MID]
    assert "AUG25" in initial["smile"]["figures"]
    assert initial["latency"]["data"][0]["meta"]["feed"] == "spot-risk"
    assert 'id="series-empty" class="empty" hidden>' in page.text


def test_the_page_and_endpoints_make_a_fixed_number_of_queries(
    ingested: FeedQueue, trader: User, django_assert_num_queries
) -> None:
    client = logged_in(trader)
    # session, user, the user's groups: the same however many files the day has
    with django_assert_num_queries(3):
        client.get(reverse("ladder:analytics"), {"date": "2025-07-21"})
    for name in ("ladder:analytics-series", "ladder:analytics-smile", "ladder:analytics-latency"):
        with django_assert_num_queries(3):
            client.get(reverse(name), {"date": "2025-07-21"})


def test_a_long_day_comes_in_parts_with_a_cursor(
    ingested: FeedQueue, trader: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingested.put(LATER_SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    ingested.drain()
    monkeypatch.setattr("ladder.analytics_views.MAX_ITEMS_PER_FEED", 1)
    monkeypatch.setattr("ladder.analytics_views.PAGE", 1)
    client = logged_in(trader)
    first = _series(client)
    assert first["more"] is True
    assert first["points"]["future_mid"]["x"] == ["2025-07-21 20:30:07"]
    after = {f"after-{feed}": sk for feed, sk in first["cursor"].items()}
    rest = _series(client, **after)
    assert rest["points"]["future_mid"]["x"] == ["2025-07-21 20:40:07"]
