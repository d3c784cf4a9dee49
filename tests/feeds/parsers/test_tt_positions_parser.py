"""TT positions: TT's own numbers, exact, with quantities as whole contracts."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from feeds.parsers import file_parse
from feeds.records import Feed, ParsedFile, TtPosition

POSITIONS = "tt/positions_response.json"
POSITIONS_KEY = "tt/positions/2025-07-21/positions_20250721_203007.json"


@pytest.fixture
def positions(sample) -> ParsedFile:
    return file_parse(key=POSITIONS_KEY, data=sample(POSITIONS))


@pytest.fixture
def response(sample) -> dict:
    return json.loads(sample(POSITIONS))


def test_it_reads_the_net_position_and_pnl_price(positions):
    (position,) = positions.positions
    assert position.net_position == 219
    assert type(position.net_position) is int
    assert position.pnl_price == Decimal("110.3671875")
    assert position.pnl_price_type == "MIDPOINT"


def test_it_reads_start_of_day_fills_and_working_quantities(positions):
    (position,) = positions.positions
    assert (position.sod_net_position, position.sod_price) == (169, Decimal("110.25"))
    assert (position.buy_fill_qty, position.sell_fill_qty) == (70, 20)
    assert (position.buy_working_qty, position.sell_working_qty) == (0, 0)


def test_it_keeps_every_digit_tt_sent_for_prices_and_pnl(positions):
    (position,) = positions.positions
    assert position.avg_buy == Decimal("110.20089285714286")
    assert position.open_avg_price == Decimal("110.55985292362338")
    assert position.pnl == Decimal("1.7855000848066993")
    assert position.realized_pnl == Decimal("-0.07700000365730375")


def test_it_reads_ids_as_strings_even_when_tt_sends_a_number(positions):
    (position,) = positions.positions
    assert (position.instrument_id, position.account_id) == ("8092262517946017060", "1334000")
    assert positions.feed is Feed.TT_POSITIONS
    assert positions.warnings == ()


def test_it_reads_a_null_price_as_none(response):
    response["positions"][0]["sodPrice"] = None
    del response["positions"][0]["avgSell"]
    (position,) = file_parse(key=POSITIONS_KEY, data=json.dumps(response).encode()).positions
    assert (position.sod_price, position.avg_sell) == (None, None)


def test_it_reads_a_short_position_as_negative(response):
    response["positions"][0]["netPosition"] = -12.0
    (position,) = file_parse(key=POSITIONS_KEY, data=json.dumps(response).encode()).positions
    assert position.net_position == -12


def test_it_accepts_a_response_with_no_positions(response):
    response["positions"] = []
    assert file_parse(key=POSITIONS_KEY, data=json.dumps(response).encode()).positions == ()


def test_it_warns_when_tt_says_more_pages_follow(response):
    response["lastPage"] = "false"
    parsed = file_parse(key=POSITIONS_KEY, data=json.dumps(response).encode())
    assert len(parsed.positions) == 1
    assert parsed.warnings == ("lastPage is false: TT has more positions than this file holds",)


def test_the_record_is_a_tt_position(positions):
    assert isinstance(positions.positions[0], TtPosition)
