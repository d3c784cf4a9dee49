"""TT working orders: sides, types and prices, and the algo parent that
must not be counted as a resting order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from feeds.parsers import file_parse
from feeds.records import Feed, OrderType, ParsedFile, Side, TtOrder

ORDERS = "tt/working_orders_response.json"
ORDERS_KEY = "tt/orders/2025-07-21/working_orders_20250721_203007.json"
PARENT_ID = "d5474dbc-ed45-44e1-b036-60d65bc2da53"


@pytest.fixture
def orders(sample) -> ParsedFile:
    return file_parse(key=ORDERS_KEY, data=sample(ORDERS))


@pytest.fixture
def response(sample) -> dict:
    return json.loads(sample(ORDERS))


def by_id(parsed: ParsedFile, order_id: str) -> TtOrder:
    (found,) = [o for o in parsed.orders if o.order_id == order_id]
    return found


def reparsed(response: dict) -> ParsedFile:
    return file_parse(key=ORDERS_KEY, data=json.dumps(response).encode())


def test_it_reads_all_seven_orders(orders):
    assert len(orders.orders) == 7
    assert orders.feed is Feed.TT_ORDERS


def test_it_marks_the_one_algo_parent_and_lets_it_lack_price_and_leaves(orders):
    (parent,) = [o for o in orders.orders if o.is_algo_parent]
    assert parent.order_id == PARENT_ID
    assert (parent.price, parent.leaves_qty, parent.order_qty) == (None, None, None)
    assert parent.parent_order_id is None


def test_its_children_rest_at_their_prices_under_the_parent(orders):
    children = [o for o in orders.orders if not o.is_algo_parent]
    assert len(children) == 6
    assert all(o.parent_order_id == PARENT_ID for o in children)
    buys = sorted((o.price, o.leaves_qty) for o in children if o.side is Side.BUY)
    assert buys == [
        (Decimal("110.125"), 160),
        (Decimal("110.171875"), 80),
        (Decimal("110.21875"), 40),
        (Decimal("110.265625"), 20),
        (Decimal("110.3125"), 10),
    ]


def test_it_reads_a_limit_buy(orders):
    order = by_id(orders, "0aca0322-8ef1-4607-951d-93224663017b")
    assert (order.side, order.order_type) == (Side.BUY, OrderType.LIMIT)
    assert (order.price, order.stop_price) == (Decimal("110.171875"), None)
    assert (order.order_qty, order.leaves_qty, order.status) == (80, 80, "1")
    assert (order.instrument_id, order.account_id) == ("8092262517946017060", "1334000")


def test_it_reads_a_stop_limit_sell_with_its_stop_price(orders):
    order = by_id(orders, "86356940-9a2f-4c69-a2d6-c2ecb7db2333")
    assert (order.side, order.order_type) == (Side.SELL, OrderType.STOP_LIMIT)
    assert order.price == order.stop_price == Decimal("110.046875")
    assert order.leaves_qty == 1


def test_it_reads_the_nanosecond_time_as_aware_utc(orders):
    order = by_id(orders, "0aca0322-8ef1-4607-951d-93224663017b")  # dateTime 1747328540354606867
    assert order.placed_at == datetime(2025, 5, 15, 17, 2, 20, 354606, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "order_type"),
    [
        ("2", OrderType.LIMIT),
        ("3", OrderType.STOP),
        ("4", OrderType.STOP_LIMIT),
        ("1", OrderType.OTHER),
    ],
)
def test_it_maps_tt_order_type_codes(response, code, order_type):
    child = response["orders"][0]
    child["orderType"] = code
    child["stopPrice"] = 110.0  # a stop rests at its stop price
    assert reparsed(response).orders[0].order_type is order_type


def test_it_reads_a_stop_order_without_a_limit_price(response):
    child = response["orders"][0]
    child.update(orderType="3", stopPrice=110.5, side="2")
    del child["price"]
    order = reparsed(response).orders[0]
    assert (order.order_type, order.price, order.stop_price) == (
        OrderType.STOP,
        None,
        Decimal("110.5"),
    )


def test_it_reads_an_order_without_a_time_as_none(response):
    del response["orders"][0]["dateTime"]
    assert reparsed(response).orders[0].placed_at is None
