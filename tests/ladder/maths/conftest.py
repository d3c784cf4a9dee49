"""Records for the ladder maths: TT's sample files and small builders.

The sample files are copies of ``samples/tt/`` kept next to these tests. They
are turned into records here, without the feed parsers, so the maths is
tested on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from feeds.records import OrderType, Side, TtOrder, TtPosition

DATA = Path(__file__).parent / "data"
INSTRUMENT = "8092262517946017060"
ACCOUNT = "1334000"
_SIDES = {"1": Side.BUY, "2": Side.SELL}
_TYPES = {"2": OrderType.LIMIT, "3": OrderType.STOP, "4": OrderType.STOP_LIMIT}

PositionFactory = Callable[..., TtPosition]
OrderFactory = Callable[..., TtOrder]


def _load(name: str) -> dict[str, Any]:
    # parse_float=Decimal keeps TT's numbers exactly as written.
    with (DATA / name).open() as handle:
        loaded: dict[str, Any] = json.load(handle, parse_float=Decimal)
    return loaded


def _position(raw: dict[str, Any]) -> TtPosition:
    return TtPosition(
        instrument_id=raw["instrumentId"],
        account_id=str(raw["accountId"]),
        net_position=int(raw["netPosition"]),
        sod_net_position=int(raw["sodNetPos"]),
        sod_price=raw["sodPrice"],
        avg_buy=raw["avgBuy"],
        avg_sell=raw["avgSell"],
        open_avg_price=raw["openAvgPrice"],
        buy_fill_qty=int(raw["buyFillQty"]),
        sell_fill_qty=int(raw["sellFillQty"]),
        buy_working_qty=int(raw["buyWorkingQty"]),
        sell_working_qty=int(raw["sellWorkingQty"]),
        pnl=raw["pnl"],
        realized_pnl=raw["realizedPnl"],
        pnl_price=raw["pnlPrice"],
        pnl_price_type=raw["pnlPriceType"],
    )


def _order(raw: dict[str, Any]) -> TtOrder:
    leaves = raw.get("leavesQuantity")
    return TtOrder(
        order_id=raw["orderId"],
        parent_order_id=raw.get("parentOrderId"),
        instrument_id=raw["instrumentId"],
        account_id=str(raw["accountId"]),
        side=_SIDES[raw["side"]],
        order_type=_TYPES.get(raw["orderType"], OrderType.OTHER),
        price=raw.get("price"),
        stop_price=raw.get("stopPrice"),
        order_qty=int(raw["orderQty"]) if "orderQty" in raw else None,
        leaves_qty=int(leaves) if leaves is not None else None,
        status=raw["orderStatus"],
        is_algo_parent=raw.get("syntheticType") == "7",
        placed_at=None,
    )


@pytest.fixture
def tt_sample_position() -> TtPosition:
    (raw,) = _load("positions_response.json")["positions"]
    return _position(raw)


@pytest.fixture
def tt_sample_orders() -> tuple[TtOrder, ...]:
    return tuple(_order(raw) for raw in _load("working_orders_response.json")["orders"])


@pytest.fixture
def make_position() -> PositionFactory:
    def build(net_position: int = 0, **changes: Any) -> TtPosition:
        fields: dict[str, Any] = {
            "instrument_id": INSTRUMENT,
            "account_id": ACCOUNT,
            "net_position": net_position,
            "sod_net_position": 0,
            "sod_price": None,
            "avg_buy": None,
            "avg_sell": None,
            "open_avg_price": None,
            "buy_fill_qty": 0,
            "sell_fill_qty": 0,
            "buy_working_qty": 0,
            "sell_working_qty": 0,
            "pnl": None,
            "realized_pnl": None,
            "pnl_price": None,
            "pnl_price_type": None,
        }
        return TtPosition(**(fields | changes))

    return build


@pytest.fixture
def make_order() -> OrderFactory:
    counter = iter(range(1, 1_000_000))

    def build(
        side: Side,
        order_type: OrderType,
        price: str | None,
        leaves_qty: int | None,
        stop_price: str | None = None,
        **changes: Any,
    ) -> TtOrder:
        fields: dict[str, Any] = {
            "order_id": f"order-{next(counter)}",
            "parent_order_id": "parent-1",
            "instrument_id": INSTRUMENT,
            "account_id": ACCOUNT,
            "side": side,
            "order_type": order_type,
            "price": Decimal(price) if price is not None else None,
            "stop_price": Decimal(stop_price) if stop_price is not None else None,
            "order_qty": leaves_qty,
            "leaves_qty": leaves_qty,
            "status": "1",
            "is_algo_parent": False,
            "placed_at": None,
        }
        return TtOrder(**(fields | changes))

    return build
