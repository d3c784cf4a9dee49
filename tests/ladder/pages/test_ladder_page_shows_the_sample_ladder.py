"""The ladder page, server-rendered from the sample files ingested through the real pipeline."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import logged_in
from tests.ladder.pages.html import Node, parse

URL = reverse("ladder:ladder")
COLUMNS = ["buy_qty", "display", "sell_qty", "position", "pnl", "risk", "breakeven"]
COLUMNS += ["options_pnl", "book_pnl", "book_delta"]  # the whole book (hidden by default)
THIRTY_SECONDS = re.compile(r"^\d+'\d{2}[0257]$")


def page(client, url: str = URL) -> Node:
    response = client.get(url)
    assert response.status_code == 200
    return parse(response.content)


def ladder_rows(soup: Node) -> list[Node]:
    return soup.one("table", id="ladder-table").one("tbody").find_all("tr")


def row_at(soup: Node, price: str) -> Node:
    return soup.one("tr", data_price=price)


def cell(row: Node, col: str) -> Node:
    return row.one("td", data_col=col)


def test_at_110_040_the_page_shows_the_worked_numbers(desk, trader) -> None:
    row = row_at(page(logged_in(trader)), "110.125")
    assert cell(row, "display").text == "110'040"
    assert cell(row, "position").text == "+529"
    assert cell(row, "pnl").text == "-65,226.56"
    assert cell(row, "pnl")["data-value"] == "-65226.5625"
    assert "num-neg" in cell(row, "pnl")["class"]
    assert cell(row, "risk").text == "+8,265.63"
    assert cell(row, "risk")["data-value"] == "8265.625"
    assert "num-pos" in cell(row, "risk")["class"]
    assert cell(row, "buy_qty").text == "160"


def test_at_110_015_the_sell_stop_has_triggered(desk, trader) -> None:
    row = row_at(page(logged_in(trader)), "110.046875")
    assert cell(row, "display").text == "110'015"
    assert cell(row, "position").text == "+528"
    assert cell(row, "pnl")["data-value"] == "-106554.6875"
    assert cell(row, "sell_qty").text == "1"


def test_the_header_shows_position_prices_pnl_and_spot_from_tt(desk, trader) -> None:
    soup = page(logged_in(trader))
    fields = soup.one(id="ladder-header").find_all("dd", data_field=True)
    header = {dd["data-field"]: dd for dd in fields}
    assert header["position"].text == "+219"
    assert header["sod_position"].text == "+169"
    assert header["open_avg_price"].text == "110'180"  # 110.5598529... to the nearest 1/128
    assert header["open_avg_price"]["data-value"] == "110.55985292362338"
    assert header["tt_pnl"].text == "+1.79"
    assert header["realized_pnl"].text == "-0.08"
    assert header["spot"].one(cls="spot-price").text == "110'117"
    assert header["spot"]["data-value"] == "110.3671875"
    assert "TT pnlPrice" in header["spot"].text
    assert soup.one("dd", id="e2e-latency").text == "—"  # live.js fills it


def test_every_feed_behind_the_numbers_shows_its_age(desk, trader) -> None:
    soup = page(logged_in(trader))
    ages = {li["data-feed"]: li for li in soup.find_all("li", data_feed=True)}
    assert set(ages) == {"tt-positions", "tt-orders", "spot-risk", "tt-instruments", "vtexp"}
    assert ages["tt-positions"].one(cls="age").text.endswith("s ago")
    assert ages["tt-instruments"].one(cls="age").text == "no file yet"


def test_rows_cover_40_ticks_each_side_with_32nds_prices_and_patchable_cells(desk, trader) -> None:
    soup = page(logged_in(trader))
    rows = ladder_rows(soup)
    assert len(rows) == 81
    for tr in rows:
        assert [td["data-col"] for td in tr.find_all("td")] == COLUMNS
        assert THIRTY_SECONDS.match(cell(tr, "display").text), cell(tr, "display").text
        breakeven = cell(tr, "breakeven").text
        assert breakeven == "" or THIRTY_SECONDS.match(breakeven)
    prices = [float(tr["data-price"]) for tr in rows]
    assert prices == sorted(prices, reverse=True)


def test_the_spot_row_is_highlighted(desk, trader) -> None:
    spot_rows = page(logged_in(trader)).find_all("tr", cls="spot")
    assert [tr["data-price"] for tr in spot_rows] == ["110.375"]  # spot 110'117 rounds up


@pytest.mark.parametrize(("ticks", "rows"), [("100", 201), ("1000", 801), ("5", 81), ("x", 81)])
def test_more_rows_on_request_up_to_400_ticks(desk, trader, ticks: str, rows: int) -> None:
    soup = page(logged_in(trader), f"{URL}?ticks={ticks}")
    assert len(ladder_rows(soup)) == rows


def test_an_unknown_instrument_falls_back_to_the_largest_position_and_says_so(desk, trader) -> None:
    soup = page(logged_in(trader), f"{URL}?instrument=123")
    assert "no TT position for instrument 123" in soup.one(cls="note").text
    assert len(ladder_rows(soup)) == 81


def test_the_page_makes_only_the_session_role_and_feed_interval_queries(
    desk, trader, django_assert_num_queries
) -> None:
    client = logged_in(trader)
    with django_assert_num_queries(4):  # session, user, the user's groups, feed intervals
        assert client.get(URL).status_code == 200
