"""/api/ladder/ with the whole book: options P&L, book P&L and book delta per row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.conftest import logged_in
from tests.ladder.book.conftest import SPOT

URL = reverse("api:ladder")


def row_at(body: dict, price: str) -> dict:
    (row,) = (r for r in body["rows"] if r["price"] == price)
    return row


def test_the_worked_example_through_the_ladder_api(book_desk, trader) -> None:
    body = logged_in(trader).get(URL).json()
    assert (body["spot"], body["spot_source"]) == (SPOT, "actant")
    assert body["options_not_priced"] == {"count": 0, "keys": []}
    row = row_at(body, "111.40625")  # 111'130
    assert row["display"] == "111'130"
    assert float(row["options_pnl"]) == pytest.approx(21_466.82, abs=1.0)
    assert Decimal(row["book_pnl"]) == Decimal(row["pnl"]) + Decimal(row["options_pnl"])
    down = row_at(body, "110.671875")  # 110'215
    assert float(down["options_pnl"]) == pytest.approx(-42_026.76, abs=1.0)
    assert "vtexp" in body["feeds"]


def test_book_delta_is_the_futures_position_plus_the_options_delta(book_desk, trader) -> None:
    body = logged_in(trader).get(URL).json()
    for row in body["rows"]:
        options_delta = Decimal(row["book_delta"]) - row["position"]
        assert abs(options_delta) < 50 + 30 + 20 + 40  # each option's |delta| <= 1
    at = row_at(body, "111.171875")  # the spot's row: mostly calls long, puts short
    assert Decimal(at["book_delta"]) - at["position"] > 0


def test_an_option_position_without_a_vol_is_counted_not_priced(feed_queue, trader) -> None:
    from tests.feeds.ingest.conftest import ORDERS_KEY, POSITIONS_KEY, SPOT_KEY, sample
    from tests.ladder.book.conftest import spot_risk_with_positions

    # No vtexp file: no option can be priced, and the answer says which.
    feed_queue.put(SPOT_KEY, spot_risk_with_positions({"XCME.OZN.AUG25.111.C": 5}))
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    feed_queue.put(ORDERS_KEY, sample("tt/working_orders_response.json"))
    assert all(feed_queue.drain())
    body = logged_in(trader).get(URL).json()
    assert body["options_not_priced"] == {"count": 1, "keys": ["XCME.OZN.AUG25.111.C"]}
    assert all(r["options_pnl"] == "0" for r in body["rows"])
    assert all(r["book_pnl"] == r["pnl"] for r in body["rows"])
