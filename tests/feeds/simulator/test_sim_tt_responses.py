"""TT positions, working orders and instrument files: the samples' shapes, a desk's behaviour."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

Rows = Callable[[bytes], list[list[str]]]
TICK = Decimal(1) / 64


def responses(files, prefix: str) -> list[tuple[Any, dict[str, Any]]]:
    return [(m, json.loads(f.body)) for m, f in files if f.key.startswith(prefix)]


def kinds(value: object) -> type:
    return type(value)


@pytest.fixture(scope="module")
def long_run(run) -> tuple[Any, list]:
    # Ten minutes of a lively market: fills, new orders, a stop limit now and then.
    return run(600, step=1.0, spot_risk_rows=20, layout="single", move_probability=0.5, seed=3)


def test_positions_have_the_samples_keys_in_the_samples_order(run, sample) -> None:
    _, files = run(0)
    (_, ours), *_ = responses(files, "tt/positions/")
    theirs = json.loads(sample("positions_response.json"))
    assert list(ours) == list(theirs) == ["lastPage", "positions", "status"]
    assert (ours["status"], ours["lastPage"]) == ("Ok", "true")
    (mine,), (expected,) = ours["positions"], theirs["positions"]
    assert list(mine) == list(expected)
    assert {k: kinds(v) for k, v in mine.items()} == {k: kinds(v) for k, v in expected.items()}


def test_json_files_are_laid_out_like_the_samples(run, sample) -> None:
    _, files = run(0)
    for prefix, name in [("tt/positions/", "positions_response.json"),
                         ("tt/orders/", "working_orders_response.json"),
                         ("tt/instruments/", "instrument_details_zn_jun25.json")]:  # fmt: skip
        body = next(f.body for _, f in files if f.key.startswith(prefix))
        expected = sample(name)
        assert body.startswith(b'{\n  "')
        assert expected.startswith(b'{\n  "')
        assert body.endswith(b"\n}")
        assert expected.endswith(b"\n}")


def test_the_position_adds_up_and_is_marked_at_the_futures_mid(long_run, rows_of: Rows) -> None:
    _, files = long_run
    mids = {}
    for moment, f in files:
        if f.key.startswith("actant/spot-risk/"):
            future = next(r for r in rows_of(f.body) if len(r) > 4 and r[4] == "F")
            mids[moment] = (Decimal(future[1]) + Decimal(future[2])) / 2
    for moment, response in responses(files, "tt/positions/"):
        (p,) = response["positions"]
        assert p["netPosition"] == p["sodNetPos"] + p["buyFillQty"] - p["sellFillQty"]
        if moment in mids:
            assert Decimal(str(p["pnlPrice"])) == mids[moment]
        assert p["pnlPriceType"] == "MIDPOINT"
        book = (
            p["pnlPrice"] * p["netPosition"] - p["sodPrice"] * p["sodNetPos"]
            - p["avgBuy"] * p["buyFillQty"] + p["avgSell"] * p["sellFillQty"]
        )  # fmt: skip
        assert p["pnl"] == pytest.approx(book * 1000, abs=1e-3)


def test_fills_move_the_position_through_the_session(long_run) -> None:
    _, files = long_run
    positions = [r["positions"][0] for _, r in responses(files, "tt/positions/")]
    assert len({p["netPosition"] for p in positions}) > 3
    for before, after in itertools.pairwise(positions):
        assert after["buyFillQty"] >= before["buyFillQty"]
        assert after["sellFillQty"] >= before["sellFillQty"]


def test_working_quantities_are_the_childrens_leaves_by_side(long_run) -> None:
    _, files = long_run
    orders = dict(responses(files, "tt/orders/"))
    for moment, response in responses(files, "tt/positions/"):
        (p,) = response["positions"]
        children = [o for o in orders[moment]["orders"] if "leavesQuantity" in o]
        assert p["buyWorkingQty"] == sum(o["leavesQuantity"] for o in children if o["side"] == "1")
        assert p["sellWorkingQty"] == sum(o["leavesQuantity"] for o in children if o["side"] == "2")


def test_orders_have_the_samples_keys_and_types(long_run, sample) -> None:
    _, files = long_run
    theirs = json.loads(sample("working_orders_response.json"))
    shapes = {}
    for order in theirs["orders"]:
        shapes[(order.get("syntheticType"), order["orderType"])] = {
            k: kinds(v) for k, v in order.items()
        }
    seen = set()
    for _, response in responses(files, "tt/orders/"):
        assert list(response) == list(theirs)
        assert (response["status"], response["lastPage"]) == ("Ok", "true")
        for order in response["orders"]:
            kind = (order.get("syntheticType"), order["orderType"])
            seen.add(kind)
            mine = {k: kinds(v) for k, v in order.items()}
            if kind == (None, "2") or kind == (None, "4"):
                assert mine == shapes[kind]
            else:
                assert kind == ("7", "2")
                assert set(mine) <= set(shapes[kind])
                assert "price" not in mine
                assert "leavesQuantity" not in mine
            assert list(order) == sorted(order)
    assert seen == {(None, "2"), (None, "4"), ("7", "2")}


def test_children_belong_to_the_algo_parent_and_rest_on_the_right_side(long_run) -> None:
    _, files = long_run
    positions = dict(responses(files, "tt/positions/"))
    for moment, response in responses(files, "tt/orders/"):
        orders = response["orders"]
        assert [o["orderId"] for o in orders] == sorted(o["orderId"] for o in orders)
        (parent,) = [o for o in orders if o.get("syntheticType") == "7"]
        mid = Decimal(str(positions[moment]["positions"][0]["pnlPrice"]))
        for child in (o for o in orders if o is not parent):
            assert child["parentOrderId"] == parent["orderId"]
            price = Decimal(str(child["price"]))
            assert price / TICK == (price / TICK).to_integral_value()
            assert child["leavesQuantity"] + child["cumulatedQuantity"] == child["orderQty"]
            assert child["orderStatus"] == ("1" if child["cumulatedQuantity"] == 0 else "2")
            rests_below = (child["side"] == "1") == (child["orderType"] == "2")
            assert (price < mid) if rests_below else (price > mid), child
            if child["orderType"] == "4":
                assert child["stopPrice"] == child["price"]


def test_order_times_are_nanoseconds_no_later_than_the_file(long_run) -> None:
    _, files = long_run
    for moment, response in responses(files, "tt/orders/")[-5:]:
        file_ns = int(moment.timestamp() * 1e9)
        for order in response["orders"]:
            assert file_ns - 700 * 10**9 <= order["dateTime"] <= file_ns + 10**6


def test_crossed_orders_fill_and_new_ones_replace_them(long_run) -> None:
    _, files = long_run
    answers = responses(files, "tt/orders/")
    first = {o["orderId"] for o in answers[0][1]["orders"]}
    last = {o["orderId"] for o in answers[-1][1]["orders"]}
    assert first != last
    buys = [
        sum(1 for o in r["orders"] if o["side"] == "1" and o["orderType"] == "2")
        for _, r in answers
    ]
    assert min(buys) >= 1


def test_the_instrument_file_is_the_future_the_desk_trades(run, sample) -> None:
    simulator, files = run(0)
    ((key, body),) = [(f.key, f.body) for _, f in files if f.key.startswith("tt/instruments/")]
    ours, theirs = json.loads(body), json.loads(sample("instrument_details_zn_jun25.json"))
    assert list(ours) == list(theirs)
    (mine,), (expected,) = ours["instrument"], theirs["instrument"]
    assert {k: kinds(v) for k, v in mine.items()} == {k: kinds(v) for k, v in expected.items()}
    assert (mine["alias"], mine["name"], mine["term"]) == ("ZN Sep25", "ZNU5", "Sep25")
    assert key == f"tt/instruments/instrument_{mine['id']}.json"
    (position,) = json.loads(next(f.body for _, f in files if "positions" in f.key))["positions"]
    assert position["instrumentId"] == mine["id"] == "8092262517946017060"
    assert simulator.future.actant_key == "XCME.ZN.SEP25"
    assert mine["tickSize"] == 0.015625
    assert mine["pointValue"] == 1000.0
