"""TT working orders (FEEDS.md "TT (JSON)", ``ttledger /orders``).

An algo parent (``syntheticType`` "7") is not a resting order: it has no
price or leaves quantity of its own, and its children carry the quantities.
Every other order must say where it rests, or the ladder would misplace it.
"""

from __future__ import annotations

from feeds.feed_keys import KEY_PATTERNS
from feeds.limits import PRICE
from feeds.parsers.base import FieldError, ParseError
from feeds.parsers.tt_json import (
    Item,
    code_field,
    decimal_field,
    epoch_ns_field,
    items_build,
    optional_qty_field,
    optional_text_field,
    qty_field,
    tt_items,
)
from feeds.records import Feed, FeedKey, OrderType, ParsedFile, Side, TtOrder

_SIDES = {"1": Side.BUY, "2": Side.SELL}
_ORDER_TYPES = {"2": OrderType.LIMIT, "3": OrderType.STOP, "4": OrderType.STOP_LIMIT}
_ALGO_PARENT = "7"
# Which prices say where an order rests: a stop (market) order only has its
# stop price; a stop limit needs both; a limit or anything else its price.
_RESTING_PRICES = {
    OrderType.LIMIT: ("price",),
    OrderType.STOP: ("stopPrice",),
    OrderType.STOP_LIMIT: ("price", "stopPrice"),
    OrderType.OTHER: ("price",),
}


class TtOrdersParser:
    feed = Feed.TT_ORDERS
    key_pattern = KEY_PATTERNS[Feed.TT_ORDERS]

    def parse(self, data: bytes, *, source: FeedKey) -> ParsedFile:
        return tt_orders_parse(data, source=source)


def tt_orders_parse(data: bytes, *, source: FeedKey) -> ParsedFile:
    file = source.key
    items, warnings = tt_items(data, file=file, array="orders", feed=Feed.TT_ORDERS)
    orders = items_build(items, _order, file=file, array="orders")
    first: dict[str, int] = {}
    for index, order in enumerate(orders):
        seen = first.setdefault(order.order_id, index)
        if seen != index:
            # The same order twice would count its quantity twice on the ladder.
            raise ParseError(
                f"orders[{index}] repeats orderId {order.order_id} of orders[{seen}]",
                file=file,
                row=index,
                column="orderId",
            )
    return ParsedFile(feed=Feed.TT_ORDERS, source=source, orders=tuple(orders), warnings=warnings)


def _order(item: Item) -> TtOrder:
    is_algo_parent = str(item.get("syntheticType")) == _ALGO_PARENT
    side_code = code_field(item, "side")
    side = _SIDES.get(side_code)
    if side is None:
        raise FieldError("side", f"side {side_code!r} is not 1 (buy) or 2 (sell)")
    order_type = _ORDER_TYPES.get(code_field(item, "orderType"), OrderType.OTHER)
    if not is_algo_parent:
        for name in _RESTING_PRICES[order_type]:
            if item.get(name) is None:
                raise FieldError(name, f"has no {name}, and only an algo parent may lack it")
    return TtOrder(
        order_id=code_field(item, "orderId"),
        parent_order_id=optional_text_field(item, "parentOrderId"),
        instrument_id=code_field(item, "instrumentId"),
        account_id=code_field(item, "accountId"),
        side=side,
        order_type=order_type,
        price=decimal_field(item, "price", PRICE),
        stop_price=decimal_field(item, "stopPrice", PRICE),
        order_qty=optional_qty_field(item, "orderQty"),
        leaves_qty=(
            optional_qty_field(item, "leavesQuantity")
            if is_algo_parent
            else qty_field(item, "leavesQuantity")
        ),
        status=code_field(item, "orderStatus"),
        is_algo_parent=is_algo_parent,
        placed_at=epoch_ns_field(item, "dateTime"),
    )
