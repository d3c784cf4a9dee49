"""TT REST responses as the feed server saves them: the samples' keys, key order and layout.

Two-space indent, no trailing newline; quantities and prices are JSON floats
(``80.0``), ids are strings except ``accountId``. Positions keep TT's own key
order (``accountId`` last); orders and instrument details come sorted by key,
and orders sorted by ``orderId``, as TT returns them.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from feeds.simulator.calendar import FutureMonth
from feeds.simulator.desk import STOP_LIMIT, Desk, WorkingOrder

ACCOUNT_ID = 1334000
USER_ID = 1168910
BROKER_ID = 1055384
POINT_VALUE = 1000
# TT ids of the ZN futures seen in the samples; other months get a stable made-up id.
KNOWN_INSTRUMENT_IDS = {"JUN25": "4877721789746411490", "SEP25": "8092262517946017060"}
_ALGO_NAME = "5MartingaleAPITEST"


def tt_instrument_id(future: FutureMonth) -> str:
    """TT's instrument id for ``future``: the real one when known, else a stable 19-digit id."""
    known = KNOWN_INSTRUMENT_IDS.get(future.token)
    if known is not None:
        return known
    digest = int.from_bytes(hashlib.sha256(future.token.encode()).digest()[:8], "big")
    return str(10**18 + digest % (9 * 10**18))


def _dump(document: dict[str, Any], *, sort_keys: bool) -> bytes:
    return json.dumps(document, indent=2, sort_keys=sort_keys).encode("utf-8")


def positions_response(*, desk: Desk, instrument_id: str, mid: Decimal) -> bytes:
    p = desk.position
    working = {side: sum(o.leaves for o in desk.orders if o.side == side) for side in ("1", "2")}
    position = {
        "avgBuy": float(p.buy_value / p.buy_qty) if p.buy_qty else 0.0,
        "avgSell": float(p.sell_value / p.sell_qty) if p.sell_qty else 0.0,
        "buyFillQty": float(p.buy_qty),
        "buyWorkingQty": float(working["1"]),
        "instrumentId": instrument_id,
        "netPosition": float(p.net),
        "openAvgPrice": float(p.open_avg),
        "pnl": float(p.day_pnl(mid=mid, point_value=POINT_VALUE)),
        "pnlPrice": float(mid),
        "pnlPriceType": "MIDPOINT",
        "realizedPnl": float(p.realized * POINT_VALUE),
        "sellFillQty": float(p.sell_qty),
        "sellWorkingQty": float(working["2"]),
        "sodNetPos": float(p.sod_net),
        "sodPrice": float(p.sod_price),
        "sodPriceType": "SETTLE",
        "accountId": ACCOUNT_ID,
    }
    return _dump({"lastPage": "true", "positions": [position], "status": "Ok"}, sort_keys=False)


def _int_param(name: str, value: int) -> dict[str, Any]:
    return {"name": name, "type": 2, "v_int32": value}


def _child(order: WorkingOrder, *, parent_id: str, instrument_id: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "accountId": ACCOUNT_ID, "algoType": 0, "brokerId": BROKER_ID,
        "cumulatedQuantity": float(order.filled), "currUserId": USER_ID,
        "dateTime": order.placed_ns, "execId": order.exec_id,
        "executionType": "1" if order.filled == 0 else "F",
        "instrumentId": instrument_id, "leavesQuantity": float(order.leaves),
        "manualOrderIndicator": False, "marketId": 183, "orderId": order.order_id,
        "orderQty": float(order.qty), "orderStatus": "1" if order.filled == 0 else "2",
        "orderType": order.order_type, "parentOrderId": parent_id, "price": float(order.price),
        "side": order.side, "timeInForce": "1", "uniqueExecId": order.exec_id,
        "userId": str(USER_ID),
        "userParameters": {
            "userParameterList": [
                _int_param("__on_leave", 0), _int_param("terminator_cod", order.terminator)
            ]
        },
    }  # fmt: skip
    if order.order_type == STOP_LIMIT:
        document["stopPrice"] = float(order.price)
    return document


def _parent(desk: Desk, *, instrument_id: str) -> dict[str, Any]:
    """The algo's synthetic parent: no price, no quantities, syntheticType "7"."""
    parameters = [
        {"displayName": "", "name": "_algo_version", "type": 7, "v_string": "1.0.1"},
        {"displayName": "", "name": "_algo_name", "type": 7, "v_string": _ALGO_NAME},
        {"displayName": "", "name": "user_disconnect_action", "type": 2, "v_int32": 0},
        {"displayName": "", "name": "enable_algo_risk_checks", "type": 6, "v_bool": False},
        {"name": "_ignore_market_state", "type": 6, "v_bool": False},
    ]
    exec_id = desk.parent_id.replace("-", "")[:22]
    return {
        "accountId": ACCOUNT_ID, "algoInstrumentId": "10628608476345732679", "algoType": 0,
        "brokerId": BROKER_ID, "clientIP": "1928479917", "currUserId": USER_ID,
        "dateTime": desk.parent_placed_ns, "execId": exec_id, "executionType": "12",
        "instrumentId": instrument_id, "manualOrderIndicator": True, "marketId": 1001,
        "orderId": desk.parent_id, "orderStatus": "1", "orderType": "2",
        "securityDescription": _ALGO_NAME, "side": "1", "syntheticStatus": 3,
        "syntheticType": "7", "timeInForce": "2", "uniqueExecId": exec_id,
        "userId": str(USER_ID), "userParameters": {"userParameterList": parameters},
    }  # fmt: skip


def orders_response(*, desk: Desk, instrument_id: str) -> bytes:
    orders = [_child(o, parent_id=desk.parent_id, instrument_id=instrument_id) for o in desk.orders]
    orders.append(_parent(desk, instrument_id=instrument_id))
    orders.sort(key=lambda o: str(o["orderId"]))
    return _dump({"lastPage": "true", "orders": orders, "status": "Ok"}, sort_keys=True)


def instrument_details(*, future: FutureMonth, instrument_id: str) -> bytes:
    """``ttpds /instrument/<id>`` for the future: ``ZN Sep25``, ``ZNU5``, term ``Sep25``."""
    last_trade = future.last_trade_date
    instrument = {
        "alias": f"ZN {future.term}", "displayFactor": 1.0, "displayType": 17,
        "expirationDate": int(last_trade.strftime("%Y%m%d235959")), "id": instrument_id,
        "lastTradeDate": int(last_trade.strftime("%Y%m%d")), "marketDepth": 10, "marketId": 7,
        "metadata": json.dumps({"cdd": f"{future.year}{future.month:02d}0000000"}).replace(" ", ""),
        "name": f"ZN{future.code}{future.year % 10}", "pointValue": float(POINT_VALUE),
        "productFamilyId": "11555651545526830408", "productId": "16143309052651006928",
        "productSymbol": "ZN", "productTypeId": 34,
        "ricCode": f"TY{future.code}{future.year % 100:02d}", "roundLotQty": 1,
        "securityExchange": 1, "securityId": str(42000000 + int(instrument_id) % 1000000),
        "seriesTermId": 4, "term": future.term, "tickSize": 0.015625, "tickValue": 15.625,
    }  # fmt: skip
    return _dump({"instrument": [instrument], "lastPage": "true", "status": "Ok"}, sort_keys=True)
