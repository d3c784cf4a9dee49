"""TT instrument details: the id's contract terms and its Actant future key."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from feeds.parsers import file_parse
from feeds.records import Feed, ParsedFile

INSTRUMENT = "tt/instrument_details_zn_jun25.json"
INSTRUMENT_KEY = "tt/instruments/instrument_4877721789746411490.json"


@pytest.fixture
def instrument(sample) -> ParsedFile:
    return file_parse(key=INSTRUMENT_KEY, data=sample(INSTRUMENT))


@pytest.fixture
def response(sample) -> dict:
    return json.loads(sample(INSTRUMENT))


def test_it_maps_the_instrument_to_the_actant_future_key(instrument):
    (details,) = instrument.instruments
    assert details.actant_future_key == "XCME.ZN.JUN25"
    assert (details.product_symbol, details.term) == ("ZN", "Jun25")


def test_it_reads_tick_size_tick_value_and_point_value_exactly(instrument):
    (details,) = instrument.instruments
    assert details.tick_size == Decimal("0.015625")
    assert details.tick_value == Decimal("15.625")
    assert details.point_value == 1000
    assert details.tick_size * details.point_value == details.tick_value


def test_it_reads_names_and_the_id(instrument):
    (details,) = instrument.instruments
    assert (details.instrument_id, details.alias, details.name) == (
        "4877721789746411490",
        "ZN Jun25",
        "ZNM5",
    )
    assert instrument.feed is Feed.TT_INSTRUMENTS
    assert instrument.source.instrument_id == "4877721789746411490"


def test_it_reads_the_expiration_as_chicago_time(instrument):
    (details,) = instrument.instruments
    chicago = ZoneInfo("America/Chicago")
    assert details.expiration == datetime(2025, 6, 18, 23, 59, 59, tzinfo=chicago)
    assert details.expiration.utcoffset() is not None


def test_it_reads_a_missing_expiration_as_none(response):
    del response["instrument"][0]["expirationDate"]
    parsed = file_parse(key=INSTRUMENT_KEY, data=json.dumps(response).encode())
    assert parsed.instruments[0].expiration is None


def test_it_upper_cases_the_term_for_the_actant_key(response):
    response["instrument"][0].update(term="Sep25", alias="ZN Sep25")
    parsed = file_parse(key=INSTRUMENT_KEY, data=json.dumps(response).encode())
    assert parsed.instruments[0].actant_future_key == "XCME.ZN.SEP25"
