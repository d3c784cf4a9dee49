"""The volatility smile: one point per option with an IV, exactly the row's IV."""

from __future__ import annotations

import json
from decimal import Decimal

from ladder.analytics import (
    expiry_sort_key,
    smile_default,
    smile_expiries,
    smile_figure,
    smile_figures,
)


def _option(key: str, itype: str, strike: str, **ivs: str | None) -> dict:
    product, expiry = key.split(".")[1:3]
    return {
        "key": key,
        "itype": itype,
        "product": product,
        "expiry": expiry,
        "strike": strike,
        "iv_bid": ivs.get("iv_bid"),
        "iv_ask": ivs.get("iv_ask"),
        "iv_avg": ivs.get("iv_avg"),
    }


ROWS = {
    r["key"]: r
    for r in [
        _option(
            "XCME.OZN.AUG25.111.C", "C", "111", iv_bid="417.37", iv_ask="526.19", iv_avg="479.3"
        ),
        _option(
            "XCME.OZN.AUG25.110:25.C", "C", "110.25", iv_bid="400.1", iv_ask=None, iv_avg="450"
        ),
        _option(
            "XCME.OZN.AUG25.110:25.P", "P", "110.25", iv_bid="", iv_ask="610.5", iv_avg="599.5"
        ),
        _option("XCME.VY3.21JUL25.110:75.P", "P", "110.75"),  # INVALID market: no IVs at all
        {"key": "XCME.ZN.SEP25", "itype": "F", "expiry": "SEP25", "strike": None},
    ]
}


def _trace(figure: dict, name: str) -> dict:
    return next(t for t in figure["data"] if t["name"] == name)


def test_smile_points_are_the_rows_ivs_sorted_by_strike() -> None:
    figure = smile_figure(ROWS, expiry="AUG25")
    bid = _trace(figure, "Call IV bid")
    assert bid["x"] == [110.25, 111.0]
    assert bid["y"] == [float(Decimal("400.1")), float(Decimal("417.37"))]
    assert bid["text"] == ["XCME.OZN.AUG25.110:25.C", "XCME.OZN.AUG25.111.C"]
    assert _trace(figure, "Put IV avg")["y"] == [599.5]


def test_missing_ivs_are_skipped_not_zero() -> None:
    figure = smile_figure(ROWS, expiry="AUG25")
    assert _trace(figure, "Call IV ask")["x"] == [111.0]  # 110.25 C has no ask IV
    assert "Put IV bid" not in {t["name"] for t in figure["data"]}  # blank, not 0
    assert all(0.0 not in t["y"] for t in figure["data"])


def test_an_expiry_without_any_iv_says_so() -> None:
    figure = smile_figure(ROWS, expiry="21JUL25")
    assert figure["data"] == []
    assert "no implied vols for 21JUL25" in figure["layout"]["annotations"][0]["text"]


def test_calls_and_puts_look_different() -> None:
    figure = smile_figure(ROWS, expiry="AUG25")
    call, put = _trace(figure, "Call IV avg"), _trace(figure, "Put IV avg")
    assert call["marker"]["symbol"] != put["marker"]["symbol"]
    assert call["line"]["dash"] != put["line"]["dash"]


def test_expiries_are_in_calendar_order_and_futures_have_no_smile() -> None:
    assert [e["expiry"] for e in smile_expiries(ROWS)] == ["21JUL25", "AUG25"]
    assert smile_expiries(ROWS)[1]["label"] == "AUG25 (OZN)"
    assert set(smile_figures(ROWS)) == {"21JUL25", "AUG25"}
    tokens = ["AUG25", "24JUL25", "SEP25", "21JUL25", "22JUL25"]
    assert sorted(tokens, key=expiry_sort_key) == [
        "21JUL25",
        "22JUL25",
        "24JUL25",
        "AUG25",
        "SEP25",
    ]


def test_the_figure_is_plain_json() -> None:
    json.dumps(smile_figures(ROWS))  # no Decimal left for the browser to choke on


def test_the_default_expiry_is_the_nearest_with_implied_vols() -> None:
    expiries = smile_expiries(ROWS)
    assert smile_default(expiries, smile_figures(ROWS)) == "AUG25"  # 21JUL25 has none
    assert smile_default([], {}) is None
