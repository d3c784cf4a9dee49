"""/api/ladder/: the page's numbers as decimal strings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import logged_in
from tests.ladder.pages.conftest import INSTRUMENT
from tests.ladder.pages.html import parse

URL = reverse("api:ladder")
ROW_KEYS = {"price", "display", "buy_qty", "sell_qty", "position", "pnl", "risk", "breakeven"}
ROW_KEYS |= {"options_pnl", "book_pnl", "book_delta"}  # the whole book (no options here)


def row_at(body: dict, price: str) -> dict:
    (row,) = (r for r in body["rows"] if r["price"] == price)
    return row


def test_the_worked_numbers_are_exact_decimal_strings(desk, trader) -> None:
    response = logged_in(trader).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["instrument"] == INSTRUMENT
    assert (body["spot"], body["spot_source"]) == ("110.3671875", "tt")
    assert body["as_of"] == "2025-07-21T20:30:08-05:00"
    assert row_at(body, "110.125") == {
        "price": "110.125",
        "display": "110'040",
        "buy_qty": 160,
        "sell_qty": 0,
        "position": 529,
        "pnl": "-65226.5625",
        "risk": "8265.625",
        "breakeven": "110.2483016304",  # 110.125 + 65226.5625 / 529000
        "options_pnl": "0",  # the sample spot-risk file holds no option position
        "book_pnl": "-65226.5625",
        "book_delta": "529",
    }
    stop = row_at(body, "110.046875")
    assert (stop["position"], stop["pnl"], stop["sell_qty"]) == (528, "-106554.6875", 1)
    assert body["header"]["position"] == 219
    assert body["header"]["sod_position"] == 169
    assert body["header"]["tt_pnl"] == "1.7855000848066993"
    assert len(body["rows"]) == 81
    assert all(set(row) == ROW_KEYS for row in body["rows"])


def test_the_api_and_the_page_show_the_same_numbers(desk, trader) -> None:
    client = logged_in(trader)
    body = client.get(URL).json()
    soup = parse(client.get(reverse("ladder:ladder")).content)
    page_rows = soup.one("table", id="ladder-table").one("tbody").find_all("tr")
    assert [tr["data-price"] for tr in page_rows] == [r["price"] for r in body["rows"]]
    for tr, row in zip(page_rows, body["rows"], strict=True):
        cells = {td["data-col"]: td for td in tr.find_all("td")}
        assert cells["display"].text == row["display"]
        assert cells["position"]["data-value"] == str(row["position"])
        assert cells["pnl"]["data-value"] == row["pnl"]
        assert cells["risk"]["data-value"] == row["risk"]
        assert cells["breakeven"]["data-value"] == (row["breakeven"] or "")
        assert cells["buy_qty"]["data-value"] == str(row["buy_qty"])
        assert cells["sell_qty"]["data-value"] == str(row["sell_qty"])
    assert soup.one("dd", data_field="spot")["data-value"] == body["spot"]


def test_an_instrument_and_more_ticks_on_request(desk, trader) -> None:
    body = logged_in(trader).get(URL, {"instrument": INSTRUMENT, "ticks": "400"}).json()
    assert body["instrument"] == INSTRUMENT
    assert len(body["rows"]) == 801


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"ticks": "many"}, "ticks"),
        ({"ticks": "0"}, "ticks"),
        ({"ticks": "401"}, "ticks"),
        ({"instrument": "ZN Sep25"}, "instrument"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(desk, trader, query, parameter) -> None:
    response = logged_in(trader).get(URL, query)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert response.json()["error"].startswith(f"{parameter}: ")


def test_an_instrument_without_a_position_is_a_404(desk, trader) -> None:
    response = logged_in(trader).get(URL, {"instrument": "42"})
    assert response.status_code == 404
    assert response.json()["error"] == "no TT position for instrument 42"


def test_no_data_yet_is_a_404_that_says_so(stack, trader) -> None:
    response = logged_in(trader).get(URL)
    assert response.status_code == 404
    assert response.json()["error"].startswith("No data yet")
    assert response.json()["feeds"]["tt-positions"]["age_s"] is None
