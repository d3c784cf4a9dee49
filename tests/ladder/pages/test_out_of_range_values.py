"""Numbers out of range already in the state store (written before the parsers'
range checks, or by a future bug) never make a page or the API answer 500: the
value is a dash with a note, the rest of the page stands."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from ladder.numbers import OUT_OF_RANGE_NOTE
from lib.redis_clients import state_store
from tests.conftest import logged_in
from tests.ladder.pages.conftest import INSTRUMENT
from tests.ladder.pages.html import parse

# As JSON tokens, exactly as they would sit in a row's text.
BAD = {
    "1e308": "1e308",
    "-1e308 as text": '"-1e308"',
    "5,000 digits": '"' + "9" * 5000 + '"',
    "5,000-digit integer": "9" * 5000,
    "NaN": "NaN",
    "Infinity": "Infinity",
    "NaN as text": '"NaN"',
    "not a number": '"12abc"',
}
FUTURE = "XCME.ZN.SEP25"
MARKER = "__bad_value__"


def rows_tamper(feed: str, wanted: Callable[[dict[str, Any]], bool], **fields: str) -> int:
    """Write raw JSON ``fields`` into the feed's stored rows that ``wanted`` picks."""
    store = state_store()
    name = f"frgm:{{{feed}}}:rows"
    changed = 0
    for row_id, raw in store.hgetall(name).items():
        row = json.loads(raw)
        if not wanted(row):
            continue
        markers = {field: f"{MARKER}{i}" for i, field in enumerate(fields)}
        row.update(markers)
        text = json.dumps(row)
        for field, token in fields.items():
            text = text.replace(f'"{markers[field]}"', token)
        store.hset(name, row_id, text)
        changed += 1
    assert changed, f"no {feed} row matched"
    return changed


@pytest.fixture(params=list(BAD), ids=list(BAD))
def bad(request) -> str:
    return BAD[request.param]


def test_a_tt_pnl_out_of_range_is_a_dash_with_a_note_and_the_ladder_stands(
    desk, trader, bad
) -> None:
    rows_tamper("tt-positions", lambda r: r["instrument_id"] == INSTRUMENT, pnl=bad)
    client = logged_in(trader)
    response = client.get(reverse("ladder:ladder"))
    assert response.status_code == 200
    page = parse(response.content)
    pnl = page.one("dd", data_field="tt_pnl")
    assert pnl.text == "—"
    assert pnl["title"] == OUT_OF_RANGE_NOTE
    assert page.find("table", id="ladder-table") is not None
    assert "pnl out of range" in page.one(id="out-of-range-notes").text
    api = client.get(reverse("api:ladder"))
    assert api.status_code == 200
    assert api.json()["header"]["tt_pnl"] is None


@pytest.mark.parametrize("bad_name", ["1e308", "5,000 digits", "NaN", "Infinity"])
def test_a_pnl_price_out_of_range_says_why_there_is_no_ladder(desk, trader, bad_name) -> None:
    rows_tamper("tt-positions", lambda r: r["instrument_id"] == INSTRUMENT, pnl_price=BAD[bad_name])
    client = logged_in(trader)
    response = client.get(reverse("ladder:ladder"))
    assert response.status_code == 200
    assert "out of range" in parse(response.content).one(id="no-data").text
    api = client.get(reverse("api:ladder"))
    assert api.status_code == 404  # no spot, no ladder: as without a pnlPrice
    assert "out of range" in api.json()["error"]


@pytest.mark.parametrize("field", ["tick_size", "point_value"])
def test_an_instrument_tick_size_out_of_range_says_why_there_is_no_ladder(
    desk, trader, field
) -> None:
    row = {"instrument_id": INSTRUMENT, "alias": "ZN Sep25", "product_symbol": "ZN", field: MARKER}
    state_store().hset(
        "frgm:{tt-instruments}:rows", INSTRUMENT, json.dumps(row).replace(f'"{MARKER}"', "1e308")
    )
    client = logged_in(trader)
    chosen = {"instrument": INSTRUMENT}
    response = client.get(reverse("ladder:ladder"), chosen)
    assert response.status_code == 200
    assert "out of range" in parse(response.content).one(id="no-data").text
    api = client.get(reverse("api:ladder"), chosen)
    assert api.status_code == 404
    assert "out of range" in api.json()["error"]


def test_a_working_order_out_of_range_is_left_out_and_said(desk, trader) -> None:
    rows_tamper("tt-orders", lambda r: True, price="1e308", leaves_qty="9" * 5000)
    response = logged_in(trader).get(reverse("ladder:ladder"))
    assert response.status_code == 200
    page = parse(response.content)
    assert page.find("table", id="ladder-table") is not None
    assert "left out of the ladder" in page.one(id="out-of-range-notes").text


# Each bad value once, over the fields a line shows (the bid is the case).
SPOT_RISK_CASES = [
    (field, name)
    for field, name in zip(
        ["bid", "ask", "theo", "strike", "iv_avg", "position", "bid", "iv_bid"], BAD, strict=True
    )
]


@pytest.mark.parametrize(("field", "bad_name"), SPOT_RISK_CASES)
def test_a_spot_risk_value_out_of_range_is_a_dash_with_a_note(
    desk, trader, field, bad_name
) -> None:
    rows_tamper("spot-risk", lambda r: r["key"] == FUTURE, **{field: BAD[bad_name]})
    client = logged_in(trader)
    response = client.get(reverse("ladder:spot_risk"))
    assert response.status_code == 200
    page = parse(response.content)
    cell = page.one("tr", data_key=FUTURE).one("td", data_col=field)
    assert cell.text == "—"
    assert cell["title"] == OUT_OF_RANGE_NOTE
    assert "out of range" in page.one(id="out-of-range-notes").text
    api = client.get(reverse("api:spot_risk"))
    assert api.status_code == 200
    line = next(i for i in api.json()["instruments"] if i["key"] == FUTURE)
    assert line[field] is None
    assert line["out_of_range"] == [field]
    # The ladder takes its spot from this future when it can: never a 500 either.
    assert client.get(reverse("ladder:ladder")).status_code == 200
    assert client.get(reverse("api:ladder")).status_code in (200, 404)


def test_greeks_out_of_range_are_dashes_and_left_out_of_the_totals(desk, trader) -> None:
    def an_option(row: dict[str, Any]) -> bool:
        return row.get("itype") in ("C", "P") and bool(row.get("greeks"))

    rows = state_store().hgetall("frgm:{spot-risk}:rows")
    key = next(json.loads(v)["key"] for v in rows.values() if an_option(json.loads(v)))
    rows_tamper(
        "spot-risk",
        lambda r: r["key"] == key,
        greeks='{"delta": NaN, "gamma": 1e308, "vega": Infinity, "theta": 0.1, "vol": 0.5}',
    )
    client = logged_in(trader)
    response = client.get(reverse("ladder:spot_risk"))
    assert response.status_code == 200
    row = parse(response.content).one("tr", data_key=key)
    for greek in ("delta", "gamma", "vega"):
        assert row.one("td", data_col=greek)["title"] == OUT_OF_RANGE_NOTE
    api = client.get(reverse("api:spot_risk"))
    assert api.status_code == 200
    json.loads(api.content)  # strict JSON: no NaN or Infinity tokens
    assert b"NaN" not in api.content
    assert b"Infinity" not in api.content


def test_analytics_never_fails_on_values_out_of_range(desk, trader) -> None:
    rows_tamper("spot-risk", lambda r: r.get("itype") in ("C", "P"), iv_avg="9" * 5000)
    client = logged_in(trader)
    assert client.get(reverse("ladder:analytics")).status_code == 200
    smile = client.get(reverse("ladder:analytics-smile"))
    assert smile.status_code == 200
    assert b"Infinity" not in smile.content
    assert b"NaN" not in smile.content
