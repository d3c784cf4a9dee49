"""/api/spot-risk/: one object per instrument, null where there is no price."""

from __future__ import annotations

from django.urls import reverse

from tests.conftest import logged_in
from tests.ladder.pages.html import parse

URL = reverse("api:spot_risk")
KEYS = {"key", "bid", "ask", "theo", "iv_bid", "iv_ask", "iv_avg", "position", "greeks"}


def by_key(body: dict) -> dict[str, dict]:
    return {item["key"]: item for item in body["instruments"]}


def test_every_instrument_with_prices_as_decimal_strings(desk, trader) -> None:
    body = logged_in(trader).get(URL).json()
    items = by_key(body)
    assert len(items) == 131
    assert all(set(item) >= KEYS for item in items.values())
    option = items["XCME.OZN.AUG25.110:25.C"]
    assert (option["bid"], option["ask"], option["theo"]) == ("0.921875", "0.9375", "0.9283016")
    assert option["iv_avg"] == "479.3074107"
    assert set(option["greeks"]) == {"vol", "delta", "gamma", "vega", "theta"}
    assert body["expiries"] == ["future", "21JUL25", "22JUL25", "23JUL25", "24JUL25", "AUG25"]


def test_invalid_rows_have_nulls_and_no_greeks(desk, trader) -> None:
    item = by_key(logged_in(trader).get(URL).json())["XCME.VY3.21JUL25.110:75.P"]
    assert item["bid"] is item["ask"] is item["theo"] is item["iv_avg"] is None
    assert item["greeks"] is None


def test_totals_per_expiry_and_for_the_portfolio(desk, trader) -> None:
    totals = logged_in(trader).get(URL).json()["totals"]
    assert totals["by_expiry"]["21JUL25"]["delta"] is None  # nothing could add up
    assert totals["by_expiry"]["AUG25"] == {
        "delta": 0.0, "gamma": 0.0, "vega": 0.0, "theta": 0.0, "missing": 0,
    }  # fmt: skip
    assert totals["portfolio"]["delta"] == 0.0


def test_the_api_and_the_page_show_the_same_values(desk, trader) -> None:
    client = logged_in(trader)
    items = by_key(client.get(URL).json())
    soup = parse(client.get(reverse("ladder:spot_risk")).content)
    for tr in soup.find_all("tr", data_key=True):
        item = items[tr["data-key"]]
        cells = {td["data-col"]: td["data-value"] for td in tr.find_all("td")}
        for col in ("bid", "ask", "theo", "iv_bid", "iv_ask", "iv_avg"):
            assert cells[col] == (item[col] or ""), (tr["data-key"], col)
        if item["greeks"] is not None:
            assert float(cells["delta"]) == item["greeks"]["delta"]


def test_an_expiry_filter_and_a_bad_one(desk, trader) -> None:
    client = logged_in(trader)
    body = client.get(URL, {"expiry": "AUG25"}).json()
    assert {item["group"] for item in body["instruments"]} == {"AUG25"}
    bad = client.get(URL, {"expiry": "DEC99"})
    assert bad.status_code == 400
    assert bad.json()["parameter"] == "expiry"


def test_no_data_yet_is_a_404_that_says_so(stack, trader) -> None:
    response = logged_in(trader).get(URL)
    assert response.status_code == 404
    assert response.json()["error"].startswith("No data yet")
