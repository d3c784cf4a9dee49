"""The spot-risk page: every instrument grouped by expiry, "—" for what is missing."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.conftest import logged_in
from tests.ladder.pages.html import Node, parse

URL = reverse("ladder:spot_risk")
COLUMNS = [
    "key", "strike", "itype", "bid", "ask", "theo", "iv_bid", "iv_ask", "iv_avg",
    "position", "delta", "gamma", "vega", "theta",
]  # fmt: skip


def page(client, url: str = URL) -> Node:
    response = client.get(url)
    assert response.status_code == 200
    return parse(response.content)


def groups(soup: Node) -> list[str]:
    return [body["data-expiry"] for body in soup.find_all("tbody", data_expiry=True)]


def cells(soup: Node, key: str) -> dict[str, Node]:
    row = soup.one("tr", data_key=key)
    return {td["data-col"]: td for td in row.find_all("td")}


def test_groups_come_future_first_then_by_expiry_date(desk, trader) -> None:
    assert groups(page(logged_in(trader))) == [
        "future", "21JUL25", "22JUL25", "23JUL25", "24JUL25", "AUG25",
    ]  # fmt: skip


def test_every_instrument_row_has_a_key_and_patchable_cells(desk, trader) -> None:
    soup = page(logged_in(trader))
    rows = soup.find_all("tr", data_key=True)
    assert len(rows) == 131  # 132 instruments less the product row XCME.ZN
    for row in rows:
        assert [td["data-col"] for td in row.find_all("td")] == COLUMNS


def test_invalid_prices_show_a_dash_and_no_greeks_never_zero(desk, trader) -> None:
    row = cells(page(logged_in(trader)), "XCME.VY3.21JUL25.110:75.P")
    for col in ("bid", "ask", "theo", "iv_bid", "iv_ask", "iv_avg", "delta", "gamma"):
        assert row[col].text == "—", col
        assert row[col]["data-value"] == ""
    one_sided = cells(page(logged_in(trader)), "XCME.OZN.AUG25.110.P")
    assert one_sided["bid"].text == "—"
    assert one_sided["ask"].text == "0'005"  # 1/64 in 32nds


def test_prices_are_32nds_on_the_grid_and_decimals_below_a_tick(desk, trader) -> None:
    soup = page(logged_in(trader))
    future = cells(soup, "XCME.ZN.SEP25")
    assert (future["bid"].text, future["ask"].text) == ("111'050", "111'055")
    assert future["delta"].text == "—"  # a future's delta is in the totals, not a Greek
    cabinet = cells(soup, "XCME.OZN.AUG25.113.C")
    assert cabinet["bid"].text == "0.0069999"
    assert cabinet["ask"].text == "0'005"
    assert cabinet["theo"].text == "0.0117701"  # below one tick: the decimal
    assert cells(soup, "XCME.OZN.AUG25.110:25.C")["theo"].text == "0'29.71"  # 0.9283016 x 32
    assert cabinet["iv_avg"].text == "789.92"  # as Actant gives it, to 2 places
    assert re.match(r"^-?\d\.\d{4}$", cabinet["delta"].text)


def test_each_expiry_and_the_portfolio_have_totals(desk, trader) -> None:
    soup = page(logged_in(trader))
    totals = {tr["data-total"]: tr for tr in soup.find_all("tr", cls="total")}
    assert set(totals) == {*groups(soup), "portfolio"}
    delta = {name: tr.one("td", data_col="delta").text for name, tr in totals.items()}
    assert delta["21JUL25"] == "—"  # every row INVALID: nothing to add up, not a zero
    assert delta["AUG25"] == "0.0000"  # Greeks, but no position in the sample
    assert totals["future"].one("td", data_col="gamma").text == "—"


def test_the_expiry_filter_keeps_one_group_and_portfolio_totals(desk, trader) -> None:
    soup = page(logged_in(trader), f"{URL}?expiry=AUG25")
    assert groups(soup) == ["AUG25"]
    assert soup.one("tr", data_total="portfolio") is not None
    options = [o["value"] for o in soup.one("select", id="expiry-filter").find_all("option")]
    assert options == ["", "future", "21JUL25", "22JUL25", "23JUL25", "24JUL25", "AUG25"]


def test_an_unknown_expiry_shows_everything_and_says_why(desk, trader) -> None:
    soup = page(logged_in(trader), f"{URL}?expiry=DEC99")
    assert "unknown expiry 'DEC99'" in soup.one(cls="note").text
    assert len(groups(soup)) == 6


def test_the_page_makes_only_the_session_role_and_feed_interval_queries(
    desk, trader, django_assert_num_queries
) -> None:
    client = logged_in(trader)
    with django_assert_num_queries(4):  # session, user, the user's groups, feed intervals
        assert client.get(URL).status_code == 200
