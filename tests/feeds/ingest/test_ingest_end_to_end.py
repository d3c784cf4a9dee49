"""A file put in the bucket reaches Redis, DynamoDB and the channel group, once."""

from __future__ import annotations

import json
from decimal import Decimal

from feeds.messages import feed_all_group_name
from lib.redis_clients import state_store
from tests.feeds.ingest.conftest import (
    ORDERS_KEY,
    POSITIONS_KEY,
    SPOT_KEY,
    VTEXP_KEY,
    history_count,
    latest_rows,
    sample,
)


def test_a_spot_risk_file_reaches_redis_dynamodb_and_browsers(feed_queue, channel_listener):
    updates = channel_listener(feed_all_group_name("spot-risk"))
    feed_queue.put(VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv"))
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    assert all(feed_queue.drain())

    rows = latest_rows("spot-risk")
    future = rows["XCME.ZN.SEP25"]
    assert (Decimal(future["bid"]), Decimal(future["ask"])) == (
        Decimal("111.15625"),
        Decimal("111.171875"),
    )
    assert "XCME.ZN" not in rows  # the product row carries nothing
    call = rows["XCME.OZN.AUG25.110:25.C"]
    assert call["greeks"]["vol"] > 0
    assert 0 < call["greeks"]["delta"] < 1
    assert rows["XCME.VY3.21JUL25.110:75.P"]["greeks"] is None  # INVALID prices, no Greeks
    assert history_count("spot-risk", "2025-07-21") == 1
    assert history_count("spot-risk", "2025-07-21", metrics=True) == 1
    received = updates()
    assert len({u["group"] for u in received}) == len(received)  # one message per group
    [update] = [u for u in received if u["group"] == "SEP25"]
    assert update["type"] == "feed.update"
    assert update["changed"]["XCME.ZN.SEP25"]["bid"] == future["bid"]
    assert update["seq"] == 1
    assert update["s3_event_time"] is not None


def test_tt_positions_and_orders_reach_redis_per_instrument(feed_queue, channel_listener):
    everything = channel_listener(feed_all_group_name("tt-orders"))
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    feed_queue.put(ORDERS_KEY, sample("tt/working_orders_response.json"))
    assert all(feed_queue.drain())

    [position] = latest_rows("tt-positions").values()
    assert position["net_position"] == 219
    assert Decimal(position["pnl_price"]) == Decimal("110.3671875")
    orders = latest_rows("tt-orders")
    assert len(orders) == 6  # seven orders, one of them the algo parent
    assert "d5474dbc-ed45-44e1-b036-60d65bc2da53" not in orders
    [update] = everything()
    assert update["group"] == "8092262517946017060"
    assert len(update["changed"]) == 6


def test_feed_health_records_times_and_stages(feed_queue):
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    feed_queue.drain()
    health = {
        k.decode(): v.decode() for k, v in state_store().hgetall("frgm:{spot-risk}:health").items()
    }
    assert health["last_key"] == SPOT_KEY
    assert health["files_total"] == "1"
    assert float(health["last_latency_ms"]) >= 0
    stages = json.loads(health["last_stages_ms"])
    assert set(stages) == {"download", "parse", "derive", "redis", "dynamodb", "publish"}
